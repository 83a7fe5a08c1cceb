/**
 * A separate worker process for multi-process job tests: its own pool and JobQueue on the database
 * in DATABASE_URL, running JOB_TASK by recording the job in `job_runs` as WORKER_NAME. Prints
 * "ready" once its worker loop is started, and stops cleanly on SIGTERM.
 */
import { sql } from 'kysely';
import { openDatabase } from '../../src/platform/db/database.ts';
import { JobQueue } from '../../src/platform/jobs/queue.ts';
import { createLogger } from '../../src/platform/log.ts';

const { DATABASE_URL: url, WORKER_NAME: name, JOB_TASK: task } = process.env;
if (!url || !name || !task) throw new Error('DATABASE_URL, WORKER_NAME and JOB_TASK are required');

const database = openDatabase(url, { max: 6, applicationName: name });
const jobs = new JobQueue(database.db, createLogger('warn'));
jobs.register(task, async (_payload, ctx) => {
  await sql`INSERT INTO job_runs (job_id, worker) VALUES (${ctx.jobId}, ${name})`.execute(database.db);
  // A little work per job, as real handlers do, so one process cannot take the whole queue alone.
  await new Promise((resolve) => setTimeout(resolve, 2));
});
const worker = jobs.startWorker({ connectionString: url, concurrency: 4, pollMs: 100 });
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void worker
    .stop()
    .then(() => database.close())
    .then(() => process.exit(0));
});
