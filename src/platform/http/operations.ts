import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Migration } from 'kysely';
import type client from 'prom-client';
import type { Db } from '../db/database.ts';
import { pendingMigrations } from '../db/migrations.ts';
import { access } from './access.ts';
import { Problems } from './schemas.ts';
import type { App } from './server.ts';

/** Liveness, readiness, metrics and the OpenAPI document: what operators and load balancers call. */
export function operationsRoutes(db: Db, migrations: Record<string, Migration>, registry: client.Registry) {
  return async (app: App) => {
    app.get('/health', {
      config: { access: access.public },
      schema: { summary: 'The process is alive', tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
      handler: async () => ({ status: 'ok' as const }),
    });

    app.get('/ready', {
      config: { access: access.public },
      schema: {
        summary: 'Ready for traffic: the database answers and its schema is current',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), ...Problems },
      },
      handler: async (request, reply) => {
        try {
          await sql`SELECT 1`.execute(db);
          const pending = await pendingMigrations(db, migrations);
          if (pending.length > 0) {
            return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: `${pending.length} database migration(s) not applied yet`, requestId: request.id });
          }
        } catch {
          return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: 'The database cannot be reached', requestId: request.id });
        }
        return { status: 'ready' as const };
      },
    });

    app.get('/metrics', {
      config: { access: access.roles('admin', 'metrics-reader') },
      schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] },
      handler: async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    });

    app.get('/openapi.json', {
      config: { access: access.public },
      schema: { summary: 'This OpenAPI 3.1 document, generated from the schemas that validate requests', tags: ['operations'] },
      handler: async () => app.swagger(),
    });
  };
}
