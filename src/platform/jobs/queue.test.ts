import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import type { JobContext, JobRow } from './queue.ts';

let app: TestApp;
let admin: Session;
let officer: Session;

before(async () => {
  app = await startTestApp();
  admin = await signIn(app, 'admin', DEMO_PASSWORD);
  officer = await signIn(app, 'officer.permits', DEMO_PASSWORD);
});
after(() => app.stop());

/** The one job of a task; each test uses its own task names. */
async function jobOf(task: string): Promise<JobRow & { locked_by: string | null }> {
  const { rows } = await app.database.pool.query<JobRow & { locked_by: string | null }>('SELECT * FROM platform_jobs WHERE task = $1', [task]);
  assert.equal(rows.length, 1, `one ${task} job`);
  return rows[0]!;
}

/** The database's clock, in seconds, so backoff is measured against the time the queue itself uses. */
async function dbNow(): Promise<number> {
  const { rows } = await app.database.pool.query<{ t: number }>('SELECT extract(epoch FROM clock_timestamp())::float8 AS t');
  return rows[0]!.t;
}

async function runAtOf(id: number): Promise<number> {
  const { rows } = await app.database.pool.query<{ t: number }>('SELECT extract(epoch FROM run_at)::float8 AS t FROM platform_jobs WHERE id = $1', [id]);
  return rows[0]!.t;
}

/** Let the backoff elapse without waiting for it. */
async function makeDue(id: number): Promise<void> {
  await app.database.pool.query('UPDATE platform_jobs SET run_at = now() WHERE id = $1', [id]);
}

function retryEntries(jobId: number) {
  return app.database.pool
    .query<{ actor_id: string }>(`SELECT actor_id FROM audit_entries WHERE action = 'platform.retry-job' AND subject_type = 'job' AND subject_id = $1 ORDER BY id`, [String(jobId)])
    .then((r) => r.rows);
}

class RollBack extends Error {}

describe('the job queue', () => {
  it('runs a job whose transaction committed, and never one whose transaction rolled back', async () => {
    const ran: unknown[] = [];
    app.jobs.register('test.file-permit', async (payload) => {
      ran.push(payload);
    });
    await app.database.db.transaction().execute((trx) => app.jobs.enqueue(trx, 'test.file-permit', { permit: 'committed' }));
    await assert.rejects(
      app.database.db.transaction().execute(async (trx) => {
        await app.jobs.enqueue(trx, 'test.file-permit', { permit: 'rolled-back' });
        throw new RollBack();
      }),
      RollBack,
    );
    await app.jobs.drain();
    assert.deepEqual(ran, [{ permit: 'committed' }]);
  });

  it('retries a failing job with growing backoff, then marks it dead with its last error', async () => {
    const attempts: number[] = [];
    app.jobs.register('test.print-certificate', async (_payload, ctx: JobContext) => {
      attempts.push(ctx.attempt);
      throw new Error(`printer on fire (attempt ${ctx.attempt})`);
    });
    await app.jobs.enqueue(app.database.db, 'test.print-certificate', {}, { maxAttempts: 3 });
    const id = (await jobOf('test.print-certificate')).id;

    for (const attempt of [1, 2]) {
      const before = await dbNow();
      assert.equal(await app.jobs.runDue('worker-a', 10), 1);
      const after = await dbNow();
      const job = await jobOf('test.print-certificate');
      assert.deepEqual([job.state, job.attempts, job.last_error], ['pending', attempt, `printer on fire (attempt ${attempt})`]);
      // 2^attempt seconds plus up to 20 % jitter, counted from the failure.
      const runAt = await runAtOf(id);
      assert.ok(runAt >= before + 2 ** attempt, `attempt ${attempt} waits at least ${2 ** attempt} s`);
      assert.ok(runAt <= after + 1.2 * 2 ** attempt, `attempt ${attempt} waits at most ${1.2 * 2 ** attempt} s`);
      await makeDue(id);
    }
    assert.equal(await app.jobs.runDue('worker-a', 10), 1);
    const dead = await jobOf('test.print-certificate');
    assert.deepEqual([dead.state, dead.attempts, dead.last_error, dead.locked_by], ['dead', 3, 'printer on fire (attempt 3)', null]);
    assert.ok(dead.finished_at instanceof Date);
    assert.deepEqual(attempts, [1, 2, 3]);
    await makeDue(id);
    assert.equal(await app.jobs.runDue('worker-a', 10), 0, 'a dead job is not run again by itself');
  });

  it('ignores a second enqueue with the same dedupe key', async () => {
    const ran: unknown[] = [];
    app.jobs.register('test.send-receipt', async (payload) => {
      ran.push(payload);
    });
    await app.jobs.enqueue(app.database.db, 'test.send-receipt', { copy: 1 }, { dedupeKey: 'receipt:INV-42' });
    await app.database.db.transaction().execute((trx) => app.jobs.enqueue(trx, 'test.send-receipt', { copy: 2 }, { dedupeKey: 'receipt:INV-42' }));
    await app.jobs.drain();
    await app.jobs.enqueue(app.database.db, 'test.send-receipt', { copy: 3 }, { dedupeKey: 'receipt:INV-42' });
    await app.jobs.drain();
    assert.deepEqual(ran, [{ copy: 1 }]);
    assert.equal((await jobOf('test.send-receipt')).state, 'done');
  });

  it('runs a job again when the worker holding it crashed and its lease expired; the lost worker cannot overwrite the outcome', async () => {
    const runs: { attempt: number; worker: string }[] = [];
    let started!: () => void;
    const firstRunStarted = new Promise<void>((resolve) => (started = resolve));
    let unfreeze!: () => void;
    const frozen = new Promise<void>((resolve) => (unfreeze = resolve));
    app.jobs.register('test.index-document', async (_payload, ctx: JobContext) => {
      if (ctx.attempt === 1) {
        started();
        // The crashed worker: it never finishes while its lease runs.
        await frozen;
        throw new Error('lost worker woke up');
      }
      runs.push({ attempt: ctx.attempt, worker: 'worker-b' });
    });
    await app.jobs.enqueue(app.database.db, 'test.index-document', { doc: 7 });
    const crashed = app.jobs.runDue('worker-crashed', 1);
    await firstRunStarted;
    const leased = await jobOf('test.index-document');
    assert.deepEqual([leased.state, leased.locked_by], ['running', 'worker-crashed']);
    assert.equal(await app.jobs.runDue('worker-b', 10), 0, 'a leased job is not taken by another worker');

    await app.database.pool.query(`UPDATE platform_jobs SET locked_until = now() - interval '1 second' WHERE id = $1`, [leased.id]);
    assert.equal(await app.jobs.runDue('worker-b', 10), 1);
    assert.deepEqual(runs, [{ attempt: 2, worker: 'worker-b' }]);

    unfreeze();
    await crashed;
    const job = await jobOf('test.index-document');
    assert.deepEqual([job.state, job.attempts, job.last_error], ['done', 2, null]);
  });

  it('emit() gives every subscriber of the event its own job, once per dedupe key', async () => {
    const seen: [string, unknown][] = [];
    for (const task of ['test.notify-applicant', 'test.update-register']) {
      app.jobs.subscribe('test.permit-issued', task, async (payload) => {
        seen.push([task, payload]);
      });
    }
    for (let i = 0; i < 2; i++) {
      await app.database.db.transaction().execute((trx) => app.jobs.emit(trx, 'test.permit-issued', { permitId: 'P-1' }, { dedupeKey: 'P-1' }));
    }
    await app.jobs.drain();
    assert.deepEqual(seen.sort(), [
      ['test.notify-applicant', { event: 'test.permit-issued', permitId: 'P-1' }],
      ['test.update-register', { event: 'test.permit-issued', permitId: 'P-1' }],
    ]);
  });
});

describe('dead jobs for administrators', () => {
  let failing = true;
  let id: number;
  const outcomes: string[] = [];

  /** Fail every attempt until the job is dead. */
  async function killIt(): Promise<void> {
    for (;;) {
      await makeDue(id);
      await app.jobs.runDue('worker-a', 10);
      if ((await jobOf('test.deliver-sms')).state === 'dead') return;
    }
  }

  before(async () => {
    app.jobs.register('test.deliver-sms', async (_payload, ctx: JobContext) => {
      outcomes.push(failing ? `failed ${ctx.attempt}` : `delivered ${ctx.attempt}`);
      if (failing) throw new Error('SMS gateway answered 503');
    });
    await app.jobs.enqueue(app.database.db, 'test.deliver-sms', { to: '+253 77 00 00 00' }, { maxAttempts: 2 });
    id = (await jobOf('test.deliver-sms')).id;
    await killIt();
  });

  it('lists them with their last error for an administrator only', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/api/admin/jobs?state=dead', headers: asSession(admin) });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ counts: Record<string, number>; jobs: { id: number; task: string; attempts: number; last_error: string }[] }>();
    assert.ok(body.counts.dead! >= 1);
    const listed = body.jobs.find((j) => j.id === id);
    assert.deepEqual(listed && [listed.task, listed.attempts, listed.last_error], ['test.deliver-sms', 2, 'SMS gateway answered 503']);

    assert.equal((await app.app.inject({ method: 'GET', url: '/api/admin/jobs', headers: asSession(officer) })).statusCode, 403);
    assert.equal((await app.app.inject({ method: 'GET', url: '/api/admin/jobs' })).statusCode, 401);
  });

  it('shows them on the job queue page with a retry button', async () => {
    const page = await app.app.inject({ method: 'GET', url: '/admin/jobs', headers: { cookie: admin.cookie() } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /<code>test\.deliver-sms<\/code>/);
    assert.match(page.body, /SMS gateway answered 503/);
    assert.match(page.body, new RegExp(`<form method="post" action="/admin/jobs/${id}/retry">`));

    assert.equal((await app.app.inject({ method: 'GET', url: '/admin/jobs', headers: { cookie: officer.cookie() } })).statusCode, 403);
    assert.equal((await app.app.inject({ method: 'GET', url: '/admin/jobs' })).statusCode, 401);
  });

  it('the API retry revives a dead job and records who did it; a job that is not dead cannot be retried', async () => {
    const adminId = (await app.app.inject({ method: 'GET', url: '/api/identity/me', headers: asSession(admin) })).json<{ id: string }>().id;
    assert.equal((await app.app.inject({ method: 'POST', url: `/api/admin/jobs/${id}/retry`, headers: asSession(officer) })).statusCode, 403);
    assert.equal((await app.app.inject({ method: 'POST', url: `/api/admin/jobs/${id}/retry` })).statusCode, 401);
    assert.deepEqual(await retryEntries(id), []);

    const retried = await app.app.inject({ method: 'POST', url: `/api/admin/jobs/${id}/retry`, headers: asSession(admin) });
    assert.equal(retried.statusCode, 204, retried.body);
    const job = await jobOf('test.deliver-sms');
    assert.deepEqual([job.state, job.attempts, job.finished_at], ['pending', 0, null]);
    assert.deepEqual(await retryEntries(id), [{ actor_id: adminId }]);

    const again = await app.app.inject({ method: 'POST', url: `/api/admin/jobs/${id}/retry`, headers: asSession(admin) });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal((await retryEntries(id)).length, 1, 'a refused retry records nothing');
    await killIt();
  });

  it('the page form revives it too, and the revived job runs to completion', async () => {
    const response = await app.app.inject({
      method: 'POST',
      url: `/admin/jobs/${id}/retry`,
      headers: { cookie: admin.cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: admin.csrf }).toString(),
    });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, '/admin/jobs?state=dead');
    assert.equal((await retryEntries(id)).length, 2);

    failing = false;
    await app.jobs.drain();
    assert.equal((await jobOf('test.deliver-sms')).state, 'done');
    assert.deepEqual(outcomes, ['failed 1', 'failed 2', 'failed 1', 'failed 2', 'delivered 1']);
  });
});
