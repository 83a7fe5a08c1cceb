import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/platform/db/embedded-server.ts';
import { freePort } from '../../test/support/ports.ts';

/** An empty database of the benchmark's own, and a temporary directory for its files. */
export interface ScratchDatabase {
  url: string;
  dataDir: string;
  /** Drop the database, stop the server if we started it, remove the directory. */
  close(): Promise<void>;
}

/**
 * With DATABASE_URL, a scratch database beside it on that server, dropped afterwards, so a
 * benchmark never writes into real data; without it, the embedded server in a temporary directory.
 */
export async function openScratchDatabase(log: Logger): Promise<ScratchDatabase> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-bench-'));
  let embedded: EmbeddedServer | null = null;
  const serverUrl = process.env.DATABASE_URL || (embedded = await startEmbeddedServer({ dataDir, port: await freePort(), log })).url;
  const name = `daftari_bench_${randomBytes(6).toString('hex')}`;
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  try {
    await onServer(`CREATE DATABASE ${name}`);
  } catch (err) {
    await embedded?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    async close() {
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await embedded?.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
