import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { publicRegister, REGISTER_POSITION } from './applications/public-register.ts';

export const RegisterQuery = Type.Object(
  {
    before: Type.Optional(Type.String({ pattern: REGISTER_POSITION, description: 'The `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

const Entry = Type.Object({
  trackingNumber: Type.String(),
  grantedAt: Type.String({ format: 'date-time' }),
  values: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});

/** Public registers of granted applications, as open data: no sign-in, no personal data. */
export function registerRoutes(db: Db) {
  return async (app: App) => {
    app.get('/api/registration/registers/:id', {
      config: { access: access.public },
      schema: {
        summary: 'The public register of a service: granted applications, the latest first, with only the answers its definition makes public',
        tags: ['registration'],
        params: Type.Object({ id: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) }, { additionalProperties: false }),
        querystring: RegisterQuery,
        response: { 200: Type.Object({ service: Type.String(), fields: Type.Array(Type.String()), items: Type.Array(Entry), next: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const limit = request.query.limit ?? 50;
        const register = await publicRegister(db, request.params.id, { before: request.query.before, limit });
        if (!register) throw Problem.notFound('No service keeps a public register under this id.');
        return {
          service: request.params.id,
          fields: register.definition.register!.fields,
          items: register.entries.map((e) => ({ trackingNumber: e.trackingNumber, grantedAt: e.grantedAt.toISOString(), values: e.values })),
          next: register.entries.length === limit ? register.entries.at(-1)!.position : null,
        };
      },
    });
  };
}
