import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import { access, agenciesReached } from '../../platform/http/access.ts';
import type { App } from '../../platform/http/server.ts';
import { Uuid, Problems } from '../../platform/http/schemas.ts';
import { findEntries } from './store.ts';
import { verifyChain } from './verify-chain.ts';

/** Roles that may read the audit log of the agencies they hold them in: officers see what happened to their agency's work. */
export const AUDIT_READERS = ['admin', 'agency-head', 'auditor', 'officer'] as const;

export const AuditQuery = Type.Object(
  {
    agency: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ maxLength: 80, pattern: '^[a-z0-9.-]+$' })),
    actor: Type.Optional(Type.String({ maxLength: 80, pattern: '^[A-Za-z0-9-]+$' })),
    subjectType: Type.Optional(Type.String({ maxLength: 40, pattern: '^[a-z0-9-]+$' })),
    subjectId: Type.Optional(Type.String({ maxLength: 80, pattern: '^[A-Za-z0-9._:-]+$' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

const Entry = Type.Object({
  id: Type.Integer(),
  occurredAt: Type.String({ format: 'date-time' }),
  actorType: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorName: Type.Union([Type.String(), Type.Null()]),
  agencyId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  chainSeq: Type.Union([Type.Integer(), Type.Null()]),
});

export function auditRoutes(db: Db, keys: NodeKeys) {
  return async (app: App) => {
    app.get('/api/audit/entries', {
      config: { access: access.roles(...AUDIT_READERS) },
      schema: {
        summary: 'Browse the audit log of the agencies you may read, newest first',
        querystring: AuditQuery,
        response: { 200: Type.Object({ entries: Type.Array(Entry), nextBefore: Type.Union([Type.Integer(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const q = request.query;
        const limit = q.limit ?? 50;
        const entries = await findEntries(db, {
          agencies: agenciesReached(request.principal, AUDIT_READERS),
          agencyId: q.agency,
          action: q.action,
          actorId: q.actor,
          subjectType: q.subjectType,
          subjectId: q.subjectId,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          beforeId: q.before,
          limit,
        });
        return {
          entries: entries.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })),
          nextBefore: entries.length === limit ? entries[entries.length - 1]!.id : null,
        };
      },
    });

    app.get('/api/audit/verification', {
      config: { access: access.roles('admin') },
      schema: {
        summary: 'Check the whole audit chain and its signed checkpoints',
        response: {
          200: Type.Object({
            valid: Type.Boolean(),
            linked: Type.Integer(),
            unlinked: Type.Integer(),
            checkpoints: Type.Integer(),
            headSeq: Type.Integer(),
            firstProblem: Type.Union([Type.Object({ entryId: Type.Union([Type.Integer(), Type.Null()]), chainSeq: Type.Union([Type.Integer(), Type.Null()]), reason: Type.String() }), Type.Null()]),
          }),
          ...Problems,
        },
      },
      handler: async () => verifyChain(db, keys),
    });
  };
}
