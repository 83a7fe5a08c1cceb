import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase } from '../../../test/support/database.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../log.ts';
import { JobQueue } from './queue.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const TASK = 'test.record-run';
const JOBS = 300;

type Worker = ChildProcessByStdio<null, Readable, Readable> & { stderrText: () => string };

/** A worker process of its own, with its own pool and queue, as a second app server would run. */
async function startWorkerProcess(databaseUrl: string, name: string): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/job-worker.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, WORKER_NAME: name, JOB_TASK: TASK },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready: ${stderr}`)));
  });
  return Object.assign(child, { stderrText: () => stderr });
}

function stop(worker: Worker): Promise<number | null> {
  if (worker.exitCode !== null) return Promise.resolve(worker.exitCode);
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  worker.kill('SIGTERM');
  return exited;
}

describe('two worker processes on one queue', () => {
  it(`run each of ${JOBS} jobs exactly once between them, and both take part`, async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.url, { max: 2 });
    const workers: Worker[] = [];
    try {
      // No unique constraint: a job run twice would show up as two rows.
      await sql`CREATE TABLE job_runs (job_id bigint NOT NULL, worker text NOT NULL)`.execute(database.db);
      workers.push(...(await Promise.all(['worker-one', 'worker-two'].map((name) => startWorkerProcess(testDb.url, name)))));

      const producer = new JobQueue(database.db, createLogger('silent'));
      producer.register(TASK, async () => {
        throw new Error('only the worker processes run these jobs');
      });
      await database.db.transaction().execute(async (trx) => {
        for (let n = 0; n < JOBS; n++) await producer.enqueue(trx, TASK, { n });
      });

      const remaining = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM platform_jobs WHERE state <> 'done'`.execute(database.db)).rows[0]!.n;
      // A bound on polling, so a hung worker fails the test instead of the whole run.
      for (let polls = 0; (await remaining()) > 0; polls++) {
        assert.ok(polls < 1200, `jobs are still pending; worker output: ${workers.map((w) => w.stderrText()).join('\n')}`);
        await sleep(50);
      }
      assert.deepEqual(await Promise.all(workers.map(stop)), [0, 0], 'both workers stop cleanly');

      const { rows: runs } = await sql<{ job_id: number; runs: number }>`
        SELECT j.id AS job_id, count(r.job_id)::int AS runs
        FROM platform_jobs j LEFT JOIN job_runs r ON r.job_id = j.id GROUP BY j.id ORDER BY j.id`.execute(database.db);
      assert.equal(runs.length, JOBS);
      assert.deepEqual(runs.filter((r) => r.runs !== 1), [], 'every job ran exactly once');
      const { rows: shares } = await sql<{ worker: string; n: number }>`
        SELECT worker, count(*)::int AS n FROM job_runs GROUP BY worker ORDER BY worker`.execute(database.db);
      assert.deepEqual(shares.map((s) => s.worker), ['worker-one', 'worker-two'], `both processes ran jobs: ${JSON.stringify(shares)}`);
      assert.equal(shares[0]!.n + shares[1]!.n, JOBS);
    } finally {
      await Promise.all(workers.map(stop));
      await database.close();
      await testDb.drop();
    }
  });
});
