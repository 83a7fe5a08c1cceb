/** Looking at a DATA_DIR's embedded PostgreSQL from the outside, as an operator would. */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** Alive and not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pid in the embedded cluster's lock file, if there is one. */
export function postmasterPid(dataDir: string): number | undefined {
  const lockFile = path.join(dataDir, 'pg', 'postmaster.pid');
  return existsSync(lockFile) ? Number(readFileSync(lockFile, 'utf8').split('\n')[0]) : undefined;
}

/** Running PostgreSQL processes started on this DATA_DIR's cluster. */
export async function postgresProcessesOf(dataDir: string): Promise<number[]> {
  const clusterDir = path.join(dataDir, 'pg');
  const pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const matching = await Promise.all(
    pids.map(async (pid) => {
      const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      return cmdline.split('\0').includes(clusterDir) && isRunning(pid) ? pid : null;
    }),
  );
  return matching.filter((pid) => pid !== null);
}

/** Runs SQL on the embedded server of a DATA_DIR as its superuser (password from the secret file). */
export async function queryEmbedded<T extends pg.QueryResultRow>(dataDir: string, port: number, text: string): Promise<T[]> {
  const password = readFileSync(path.join(dataDir, 'daftari-superuser.secret'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'daftari', password, database: 'daftari' });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}
