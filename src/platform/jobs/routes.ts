import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db, Tx } from '../db/database.ts';
import { access } from '../http/access.ts';
import { Problem } from '../http/problem.ts';
import { Problems } from '../http/schemas.ts';
import type { App } from '../http/server.ts';
import type { JobQueue } from './queue.ts';

export const JobState = Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('done'), Type.Literal('dead')]);
export const JobIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false });

const Job = Type.Object({
  id: Type.Integer(),
  task: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  run_at: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }),
  finished_at: Type.Union([Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), Type.Null()]),
});

/** Writes the audit entry for an administrator's retry, in the retry's transaction. */
export type RetryAudit = (trx: Tx, request: FastifyRequest, jobId: number) => Promise<void>;

/** The job queue for administrators: counts, the dead-letter list, and a retry. */
export function jobRoutes(db: Db, jobs: JobQueue, audit: RetryAudit) {
  return async (app: App) => {
    app.get('/api/admin/jobs', {
      config: { access: access.roles('admin') },
      schema: {
        summary: 'Background jobs by state; dead jobs failed every attempt and wait for an administrator',
        tags: ['admin'],
        querystring: Type.Object({ state: Type.Optional(JobState), before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ counts: Type.Record(Type.String(), Type.Integer()), jobs: Type.Array(Job) }), ...Problems },
      },
      handler: async (request) => ({
        counts: { ...(await jobs.stats()) },
        jobs: await jobs.list(request.query.state ?? 'dead', request.query.limit ?? 50, request.query.before),
      }),
    });

    app.post('/api/admin/jobs/:id/retry', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Give a dead job a fresh set of attempts', tags: ['admin'], params: JobIdParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        if (!(await retryDeadJob(db, jobs, request, request.params.id, audit))) throw Problem.conflict('Only a dead job can be retried; this one is not dead or does not exist.');
        return reply.code(204).send(null);
      },
    });
  };
}

export async function retryDeadJob(db: Db, jobs: JobQueue, request: FastifyRequest, id: number, audit: RetryAudit): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const retried = await jobs.retry(trx, id);
    if (retried) await audit(trx, request, id);
    return retried;
  });
}
