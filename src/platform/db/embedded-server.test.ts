import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { createLogger } from '../log.ts';
import { startEmbeddedServer, type EmbeddedServer } from './embedded-server.ts';
import { freePort } from '../../../test/support/ports.ts';
import { isRunning, postgresProcessesOf, postmasterPid, queryEmbedded } from '../../../test/support/embedded-postgres.ts';

const HOLDER = path.resolve(import.meta.dirname, '../../../test/support/hold-embedded-server.ts');

interface Scratch {
  dataDir: string;
  port: number;
  logs: string[];
  /** Starts the server in this process. */
  start(): Promise<EmbeddedServer>;
  /** Starts it in another process, as a running `daftari serve` would hold it; resolves once it is ready. */
  startElsewhere(): Promise<ChildProcess>;
}

/** An empty DATA_DIR and a free port, removed after the test along with anything still running on it. */
async function scratch(t: TestContext, opts: { insideClosedDirectory?: boolean } = {}): Promise<Scratch> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-embedded-'));
  if (opts.insideClosedDirectory) await fs.chmod(root, 0o700);
  const dataDir = opts.insideClosedDirectory ? path.join(root, 'data') : root;
  const port = await freePort();
  const logs: string[] = [];
  const log = createLogger('info', { write: (line: string) => void logs.push(line) });
  const servers: EmbeddedServer[] = [];
  const holders: ChildProcess[] = [];
  t.after(async () => {
    for (const child of holders) {
      child.kill('SIGTERM');
      await exited(child);
    }
    await Promise.all(servers.map((s) => s.stop()));
    const orphan = postmasterPid(dataDir);
    if (orphan !== undefined && isRunning(orphan)) {
      process.kill(orphan, 'SIGINT');
      while (isRunning(orphan)) await delay(50);
    }
    await fs.rm(root, { recursive: true, force: true });
  });
  return {
    dataDir,
    port,
    logs,
    async start() {
      const server = await startEmbeddedServer({ dataDir, port, log });
      servers.push(server);
      return server;
    },
    startElsewhere() {
      const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      holders.push(child);
      return new Promise((resolve, reject) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
        child.once('exit', (code) => reject(new Error(`the holding process exited with ${code}: ${stderr}`)));
      });
    },
  };
}

const query = (s: Pick<Scratch, 'dataDir' | 'port'>, text: string) => queryEmbedded(s.dataDir, s.port, text);

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the embedded PostgreSQL server', () => {
  test('starts on an empty DATA_DIR, accepts connections and stops cleanly', async (t) => {
    const s = await scratch(t);
    const server = await s.start();

    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const [row] = (await client.query<{ db: string; user: string }>('SELECT current_database() AS db, current_user AS user')).rows;
    await client.end();
    assert.deepEqual(row, { db: 'daftari', user: 'daftari' });

    await server.stop();
    assert.equal(postmasterPid(s.dataDir), undefined, 'PostgreSQL removes its lock file on a clean shutdown');
    assert.equal(existsSync(path.join(s.dataDir, 'daftari-owner.pid')), false);
    assert.deepEqual(await postgresProcessesOf(s.dataDir), []);
    await assert.rejects(query(s, 'SELECT 1'), { code: 'ECONNREFUSED' });
  });

  test('works in a DATA_DIR inside a directory closed to other users, though as root it runs the server as another user', async (t) => {
    const s = await scratch(t, { insideClosedDirectory: true });

    await s.start();

    assert.deepEqual(await query(s, 'SELECT 1 AS up'), [{ up: 1 }]);
  });

  test('a restart after a clean stop reuses the cluster and its data', async (t) => {
    const s = await scratch(t);
    const first = await s.start();
    await query(s, 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$written before the restart$$)');
    await first.stop();
    s.logs.length = 0;

    await s.start();

    assert.deepEqual(await query(s, 'SELECT note FROM kept'), [{ note: 'written before the restart' }]);
    assert.ok(!s.logs.some((line) => line.includes('initialising a new PostgreSQL cluster')), 'no second initdb');
  });

  test('after its owner is killed with SIGKILL, the next start stops the orphaned server and keeps the data', async (t) => {
    const s = await scratch(t);
    const owner = await s.startElsewhere();
    await query(s, 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$written before the crash$$)');
    const orphan = postmasterPid(s.dataDir)!;

    owner.kill('SIGKILL');
    await exited(owner);
    assert.ok(isRunning(orphan), 'PostgreSQL outlives the killed process that started it');

    await s.start();

    assert.equal(isRunning(orphan), false, 'the orphan was stopped');
    assert.ok(s.logs.some((line) => line.includes('orphaned PostgreSQL server')));
    assert.notEqual(postmasterPid(s.dataDir), orphan);
    assert.deepEqual(await query(s, 'SELECT note FROM kept'), [{ note: 'written before the crash' }]);
  });

  test('a stale postmaster.pid naming a process that has exited is removed', async (t) => {
    const s = await scratch(t);
    await (await s.start()).stop();
    const gone = spawn('true');
    await exited(gone);
    await fs.writeFile(path.join(s.dataDir, 'pg', 'postmaster.pid'), `${gone.pid}\n${path.join(s.dataDir, 'pg')}\n`);

    await s.start();

    assert.ok(s.logs.some((line) => line.includes('removing a stale PostgreSQL lock file')));
    assert.deepEqual(await query(s, 'SELECT 1 AS up'), [{ up: 1 }]);
  });

  test("a postmaster.pid naming another DATA_DIR's server (a recycled pid) leaves that server running", async (t) => {
    const s = await scratch(t);
    await (await s.start()).stop();
    const neighbour = await scratch(t);
    await neighbour.start();
    const neighbourPid = postmasterPid(neighbour.dataDir)!;
    await fs.writeFile(path.join(s.dataDir, 'pg', 'postmaster.pid'), `${neighbourPid}\n${path.join(s.dataDir, 'pg')}\n`);

    await s.start();

    assert.ok(isRunning(neighbourPid), "the other cluster's server still runs");
    assert.deepEqual(await query(neighbour, 'SELECT 1 AS up'), [{ up: 1 }]);
    assert.deepEqual(await query(s, 'SELECT 1 AS up'), [{ up: 1 }]);
  });

  test('a second start while a live process holds the DATA_DIR is refused with a clear message', async (t) => {
    const s = await scratch(t);
    const owner = await s.startElsewhere();

    await assert.rejects(s.start(), {
      message: `${s.dataDir} is in use by another Daftari process (pid ${owner.pid}). Stop it, or give this one another DATA_DIR.`,
    });

    assert.deepEqual(await query(s, 'SELECT 1 AS up'), [{ up: 1 }], "the owner's server is untouched");
    owner.kill('SIGTERM');
    assert.equal(await exited(owner), 0);
    assert.deepEqual(await postgresProcessesOf(s.dataDir), []);
  });

  test('of two processes starting on the same empty DATA_DIR at once, one serves and the other is refused', async (t) => {
    const s = await scratch(t);

    const outcomes = await Promise.allSettled([s.startElsewhere(), s.startElsewhere()]);

    const served = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(served.length, 1);
    assert.equal(refused.length, 1);
    assert.match(String(refused[0]!.reason), /is in use by another Daftari process/);
    assert.deepEqual(await query(s, 'SELECT 1 AS up'), [{ up: 1 }]);
  });
});
