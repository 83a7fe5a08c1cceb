import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db, Executor } from '../db/database.ts';

/**
 * Durable jobs and the transactional outbox. A use case enqueues jobs (or emits events, which
 * become one job per subscriber) with the same executor as its own writes, so the job exists if
 * and only if the change committed. Workers claim jobs with FOR UPDATE SKIP LOCKED and a lease,
 * so two processes never run the same job at once and a crashed worker's job is run again.
 */
export interface JobContext {
  jobId: number;
  attempt: number;
  log: Logger;
}

export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => Promise<void>;

export interface EnqueueOptions {
  /** A second enqueue with the same key is ignored: retried requests create no duplicate work. */
  dedupeKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export interface JobRow {
  id: number;
  task: string;
  payload: unknown;
  state: 'pending' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: Date;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface QueueStats {
  pending: number;
  running: number;
  dead: number;
  done: number;
}

const NOTIFY_CHANNEL = 'daftari_jobs';
const LEASE_SECONDS = 300;

export class JobQueue {
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly subscribers = new Map<string, string[]>();

  constructor(private readonly db: Db, private readonly log: Logger) {}

  register<P>(task: string, handler: JobHandler<P>): void {
    if (this.handlers.has(task)) throw new Error(`Job task "${task}" is registered twice`);
    this.handlers.set(task, handler as JobHandler<never>);
  }

  /** Run `task` for every event named `event`. */
  subscribe<P>(event: string, task: string, handler: JobHandler<P>): void {
    this.register(task, handler);
    this.subscribers.set(event, [...(this.subscribers.get(event) ?? []), task]);
  }

  async enqueue(executor: Executor, task: string, payload: unknown, opts: EnqueueOptions = {}): Promise<void> {
    if (!this.handlers.has(task)) throw new Error(`No handler is registered for job task "${task}"`);
    await sql`
      INSERT INTO platform_jobs (task, payload, run_at, max_attempts, dedupe_key)
      VALUES (${task}, ${JSON.stringify(payload)}::jsonb, ${opts.runAt ?? new Date()}, ${opts.maxAttempts ?? 10}, ${opts.dedupeKey ?? null})
      ON CONFLICT (dedupe_key) DO NOTHING`.execute(executor);
    await sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`.execute(executor);
  }

  /**
   * Publish a domain event in the caller's transaction; each subscriber gets its own job. The
   * subscribers are those registered in this process, which is why every process (server, CLI,
   * worker) builds the whole platform through the composition root before emitting anything.
   */
  async emit(executor: Executor, event: string, payload: Record<string, unknown>, opts: { dedupeKey?: string } = {}): Promise<void> {
    for (const task of this.subscribers.get(event) ?? []) {
      await this.enqueue(executor, task, { event, ...payload }, { dedupeKey: opts.dedupeKey ? `${task}:${opts.dedupeKey}` : undefined });
    }
  }

  /** Claim and run up to `limit` due jobs; returns how many ran. */
  async runDue(workerId: string, limit: number): Promise<number> {
    const claimed = await sql<JobRow>`
      UPDATE platform_jobs SET state = 'running', attempts = attempts + 1, locked_by = ${workerId},
             locked_until = now() + make_interval(secs => ${LEASE_SECONDS})
      WHERE id IN (
        SELECT id FROM platform_jobs
        WHERE (state = 'pending' AND run_at <= now()) OR (state = 'running' AND locked_until < now())
        ORDER BY run_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.db);
    await Promise.all(claimed.rows.map((job) => this.runOne(workerId, job)));
    return claimed.rows.length;
  }

  private async runOne(workerId: string, job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.task);
    const log = this.log.child({ jobId: job.id, task: job.task, attempt: job.attempts });
    try {
      if (!handler) throw new Error(`No handler is registered for job task "${job.task}"`);
      await handler(job.payload as never, { jobId: job.id, attempt: job.attempts, log });
      await sql`UPDATE platform_jobs SET state = 'done', finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
                WHERE id = ${job.id} AND locked_by = ${workerId}`.execute(this.db);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const dead = job.attempts >= job.max_attempts;
      log[dead ? 'error' : 'warn']({ err: message }, dead ? 'job failed for the last time' : 'job failed; will retry');
      await sql`
        UPDATE platform_jobs SET
          state = ${dead ? 'dead' : 'pending'},
          run_at = now() + make_interval(secs => ${backoffSeconds(job.attempts)}),
          finished_at = ${dead ? sql`now()` : null},
          locked_by = NULL, locked_until = NULL, last_error = ${message.slice(0, 2000)}
        WHERE id = ${job.id} AND locked_by = ${workerId}`.execute(this.db);
    }
  }

  /** Run jobs until none is due. For tests and the CLI; the worker does this continuously. */
  async drain(maxRounds = 1000): Promise<void> {
    const id = `drain-${randomUUID()}`;
    for (let i = 0; i < maxRounds; i++) {
      if ((await this.runDue(id, 10)) === 0) return;
    }
  }

  async stats(): Promise<QueueStats> {
    const result = await sql<{ state: keyof QueueStats; n: number }>`
      SELECT state, count(*)::int AS n FROM platform_jobs GROUP BY state`.execute(this.db);
    const stats: QueueStats = { pending: 0, running: 0, dead: 0, done: 0 };
    for (const row of result.rows) stats[row.state] = row.n;
    return stats;
  }

  async list(state: JobRow['state'], limit: number, beforeId?: number): Promise<JobRow[]> {
    const result = await sql<JobRow>`
      SELECT id, task, payload, state, attempts, max_attempts, run_at, last_error, created_at, finished_at
      FROM platform_jobs WHERE state = ${state} ${beforeId ? sql`AND id < ${beforeId}` : sql``}
      ORDER BY id DESC LIMIT ${limit}`.execute(this.db);
    return result.rows;
  }

  /** Give a dead job a fresh set of attempts. Returns false when the job is not dead. */
  async retry(executor: Executor, id: number): Promise<boolean> {
    const result = await sql`
      UPDATE platform_jobs SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL
      WHERE id = ${id} AND state = 'dead'`.execute(executor);
    await sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`.execute(executor);
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  /** Delete finished jobs older than the retention period. */
  async purgeDone(olderThanDays: number): Promise<number> {
    const result = await sql`DELETE FROM platform_jobs WHERE state = 'done' AND finished_at < now() - make_interval(days => ${olderThanDays})`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Start a worker loop: woken by NOTIFY when a job is enqueued, and polling as a fallback. */
  startWorker(opts: { connectionString: string; concurrency?: number; pollMs?: number }): { stop(): Promise<void> } {
    const workerId = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    const concurrency = opts.concurrency ?? 4;
    let running = true;
    let wake: (() => void) | undefined;
    const listener = new pg.Client({ connectionString: opts.connectionString });
    listener.on('error', (err) => this.log.warn({ err: err.message }, 'job listener connection lost; polling only'));
    listener.on('notification', () => wake?.());
    const listening = listener.connect().then(() => listener.query(`LISTEN ${NOTIFY_CHANNEL}`)).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'could not LISTEN for jobs; polling only');
    });
    const loop = (async () => {
      await listening;
      while (running) {
        let ran = 0;
        try {
          ran = await this.runDue(workerId, concurrency);
        } catch (err) {
          if (running) this.log.error({ err: (err as Error).message }, 'job worker could not claim jobs');
        }
        if (ran === 0 && running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, opts.pollMs ?? 1000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      }
    })();
    return {
      async stop() {
        running = false;
        wake?.();
        await loop;
        await listener.end().catch(() => undefined);
      },
    };
  }
}

export function backoffSeconds(attempt: number): number {
  const base = Math.min(2 ** attempt, 3600);
  return base + Math.random() * base * 0.2;
}
