import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { findRegistry } from '../registries/index.ts';
import { grantRight, listMembers, listRights, listServices, readLog, revokeRight, saveMember, saveService, verifyLog } from './store.ts';

const ADMIN = access.roles('admin');
const MemberCode = Type.String({ pattern: '^[A-Z]{2}/[A-Z]{2,10}/[a-z0-9-]{2,62}$', description: 'e.g. DJ/GOV/land-registry' });
const ServiceCode = Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}/read$', description: 'e.g. land-parcels/read' });
const Jwk = Type.Object({ kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }), kid: Type.Optional(Type.String({ maxLength: 100 })), alg: Type.Optional(Type.Literal('EdDSA')), use: Type.Optional(Type.Literal('sig')) }, { additionalProperties: false });
const AgencyCode = Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$', description: 'The agency on this node the member stands for when consent is checked, e.g. urban-permits' });
const Purpose = Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$', description: 'Serve only with the person’s consent to an agreement for this purpose, e.g. construction-permit' });
const MemberOut = Type.Object({ code: Type.String(), name: Type.String(), baseUrl: Type.String(), publicJwk: Type.Record(Type.String(), Type.Unknown()), agency: Type.Optional(Type.Union([Type.String(), Type.Null()])) });
const ServiceOut = Type.Object({ code: Type.String(), registry: Type.String(), fields: Type.Array(Type.String()), purpose: Type.Optional(Type.Union([Type.String(), Type.Null()])) });
const RightBody = Type.Object({ client: MemberCode, service: ServiceCode }, { additionalProperties: false });
const LogOut = Type.Object({
  seq: Type.Integer(), at: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), direction: Type.String(), messageId: Type.String(), client: Type.String(), provider: Type.Union([Type.String(), Type.Null()]),
  service: Type.String(), userId: Type.Union([Type.String(), Type.Null()]), issue: Type.Union([Type.String(), Type.Null()]), requestDigest: Type.String(), status: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]), signatures: Type.Object({ request: Type.Optional(Type.String()), response: Type.Optional(Type.String()) }), prevHash: Type.String(), hash: Type.String(),
});

export function mediatorAdminApi(db: Db, keys: NodeKeys) {
  return async (app: App) => {
    app.get('/api/mediator/key', {
      config: { access: access.public },
      schema: { summary: "This node's public signing key, for other members to register", tags: ['mediator'], response: { 200: Type.Record(Type.String(), Type.Unknown()), ...Problems } },
      handler: async () => keys.publicJwk,
    });

    app.get('/api/mediator/members', {
      config: { access: ADMIN },
      schema: { summary: 'Members this node exchanges data with', tags: ['mediator'], response: { 200: Type.Array(MemberOut), ...Problems } },
      handler: async () => listMembers(db),
    });

    app.post('/api/mediator/members', {
      config: { access: ADMIN },
      schema: {
        summary: "Register a member (or replace its address and key): its code, base URL and public key",
        tags: ['mediator'],
        body: Type.Object({ code: MemberCode, name: Type.String({ minLength: 2, maxLength: 200 }), baseUrl: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 500 }), publicJwk: Jwk, agency: Type.Optional(AgencyCode) }, { additionalProperties: false }),
        response: { 201: MemberOut, ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        if (request.body.agency && !(await findAgencyByCode(db, request.body.agency))) throw Problem.invalidField('/body/agency', `there is no agency ${request.body.agency} on this node`);
        await db.transaction().execute(async (trx) => {
          await saveMember(trx, request.body);
          await recordAudit(trx, { actor: actorOf(principal), action: 'mediator.register-member', subjectType: 'mediator-member', subjectId: request.body.code, requestId: request.id, details: { baseUrl: request.body.baseUrl, kid: request.body.publicJwk.kid ?? null } });
        });
        return reply.code(201).send(request.body);
      },
    });

    app.get('/api/mediator/services', {
      config: { access: ADMIN },
      schema: { summary: 'Services this node serves to other members', tags: ['mediator'], response: { 200: Type.Array(ServiceOut), ...Problems } },
      handler: async () => listServices(db),
    });

    app.post('/api/mediator/services', {
      config: { access: ADMIN },
      schema: {
        summary: 'Offer a registry read to other members, limited to the fields named',
        tags: ['mediator'],
        body: Type.Object({ code: ServiceCode, fields: Type.Array(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), { minItems: 1, maxItems: 100, uniqueItems: true }), purpose: Type.Optional(Purpose) }, { additionalProperties: false }),
        response: { 201: ServiceOut, ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registryCode = request.body.code.replace(/\/read$/, '');
        const registry = await findRegistry(db, registryCode);
        if (!registry) throw Problem.invalidField('/body/code', `there is no registry ${registryCode} on this node`);
        const service = { code: request.body.code, registry: registryCode, fields: request.body.fields, purpose: request.body.purpose ?? null };
        await db.transaction().execute(async (trx) => {
          await saveService(trx, service);
          await recordAudit(trx, { actor: actorOf(principal), action: 'mediator.offer-service', subjectType: 'mediator-service', subjectId: service.code, requestId: request.id, details: { fields: service.fields, purpose: service.purpose } });
        });
        return reply.code(201).send(service);
      },
    });

    app.get('/api/mediator/rights', {
      config: { access: ADMIN },
      schema: { summary: 'Which member may call which service', tags: ['mediator'], response: { 200: Type.Array(RightBody), ...Problems } },
      handler: async () => listRights(db),
    });

    app.post('/api/mediator/rights', {
      config: { access: ADMIN },
      schema: { summary: 'Grant a member the right to call a service', tags: ['mediator'], body: RightBody, response: { 200: RightBody, 201: RightBody, ...Problems } },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const granted = await db.transaction().execute(async (trx) => {
          const { rows: known } = await sql`SELECT (SELECT count(*) FROM mediator_members WHERE code = ${request.body.client})::int AS m, (SELECT count(*) FROM mediator_services WHERE code = ${request.body.service})::int AS s`.execute(trx);
          const counts = known[0] as { m: number; s: number };
          if (!counts.m) throw Problem.invalidField('/body/client', 'no member has this code');
          if (!counts.s) throw Problem.invalidField('/body/service', 'this node offers no such service');
          const isNew = await grantRight(trx, request.body);
          if (isNew) await recordAudit(trx, { actor: actorOf(principal), action: 'mediator.grant-right', subjectType: 'mediator-right', subjectId: `${request.body.client} ${request.body.service}`, requestId: request.id });
          return isNew;
        });
        return reply.code(granted ? 201 : 200).send(request.body);
      },
    });

    app.post('/api/mediator/rights/revoke', {
      config: { access: ADMIN },
      schema: { summary: "Withdraw a member's right to call a service", tags: ['mediator'], body: RightBody, response: { 200: RightBody, ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        await db.transaction().execute(async (trx) => {
          if (!(await revokeRight(trx, request.body))) throw Problem.notFound('This member has no such right.');
          await recordAudit(trx, { actor: actorOf(principal), action: 'mediator.revoke-right', subjectType: 'mediator-right', subjectId: `${request.body.client} ${request.body.service}`, requestId: request.id });
        });
        return request.body;
      },
    });

    app.get('/api/mediator/log', {
      config: { access: ADMIN },
      schema: {
        summary: 'The message log: every exchange in and out, accepted or refused, hash-linked',
        tags: ['mediator'],
        querystring: Type.Object({ messageId: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Array(LogOut), ...Problems },
      },
      handler: async (request) => readLog(db, { messageId: request.query.messageId }),
    });

    app.get('/api/mediator/log/verify', {
      config: { access: ADMIN },
      schema: { summary: "Recompute the message log's hash chain", tags: ['mediator'], response: { 200: Type.Object({ entries: Type.Integer(), valid: Type.Boolean(), brokenAt: Type.Union([Type.Integer(), Type.Null()]) }), ...Problems } },
      handler: async () => verifyLog(db),
    });
  };
}
