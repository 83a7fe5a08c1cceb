import { Type, type Static } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { IdParams, Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { actorOf } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { publishedKeys, type AgencyKeys } from './agency-keys.ts';
import { documentIdOf, documentStatus, revokeDocument, type DocumentStatus } from './documents.ts';

const AgencyCode = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,39}$' });
/** As printed or scanned; anything that is no document id is a document not found, like an unknown one. */
export const DocumentIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const Fact = Type.Object({ label: Type.String(), value: Type.String() });

const StatusOut = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('current'), Type.Literal('expired'), Type.Literal('revoked')]),
  genuine: Type.Boolean({ description: "The agency's signature over the register's record of the document verifies" }),
  kind: Type.String(),
  title: Type.String(),
  holderName: Type.Union([Type.String(), Type.Null()]),
  locale: Type.String({ description: 'The language of the title and facts' }),
  issuer: Type.Object({ code: Type.String(), names: Type.Record(Type.String(), Type.String()) }),
  issuedAt: Type.String({ format: 'date-time' }),
  validUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revocationReason: Type.Union([Type.String(), Type.Null()]),
  facts: Type.Array(Fact),
  sha256: Type.String({ description: 'SHA-256 of the PDF file as issued' }),
  verifyUrl: Type.String(),
});
type StatusOut = Static<typeof StatusOut>;

const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
      daftari_agency: Type.String({ description: 'The code of the agency this key signs for' }),
      daftari_status: Type.Union([Type.Literal('current'), Type.Literal('retired')]),
    }),
  ),
});

/** What anyone may learn of a document: what is printed on it, where it stands, and who issued it. */
function presentStatus(status: DocumentStatus, baseUrl: string): StatusOut {
  return {
    id: status.id,
    status: status.state,
    genuine: status.genuine,
    kind: status.kind,
    title: status.title,
    holderName: status.holderName,
    locale: status.locale,
    issuer: { code: status.agency.code, names: status.agency.names },
    issuedAt: status.issuedAt.toISOString(),
    validUntil: status.validUntil?.toISOString() ?? null,
    revokedAt: status.revokedAt?.toISOString() ?? null,
    revocationReason: status.revocationReason,
    facts: status.facts,
    sha256: status.sha256,
    verifyUrl: `${baseUrl}/verify/${status.id}`,
  };
}

/** Platform administrators anywhere; an agency's head for its own documents and keys (and those of the agencies under it). */
function mayManage(principal: Principal, agencyId: string): boolean {
  return hasRole(principal, 'admin', null) || hasRole(principal, 'agency-head', agencyId);
}

export function esignatureApiRoutes(deps: { db: Db; baseUrl: string }, keys: AgencyKeys) {
  const { db, baseUrl } = deps;
  return async (app: App) => {
    app.get('/.well-known/jwks.json', {
      config: { access: access.public },
      schema: {
        summary: "Every agency's document-signing public keys, current and retired (retired keys still verify the documents they signed)",
        tags: ['esignature'],
        response: { 200: Jwks },
      },
      handler: async (_request, reply) => {
        // Short-lived: a rotated key must reach checkers soon.
        reply.header('cache-control', 'public, max-age=60');
        return { keys: await publishedKeys(db) };
      },
    });

    app.post('/api/esignature/agencies/:code/keys/rotate', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: "Give an agency a new signing key; documents signed with the old one stay valid (an administrator, or the agency's head)",
        tags: ['esignature'],
        params: Type.Object({ code: AgencyCode }, { additionalProperties: false }),
        response: { 201: Type.Object({ agency: Type.String(), kid: Type.String(), retired: Type.Array(Type.String()), createdAt: Type.String({ format: 'date-time' }) }), ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const agency = await findAgencyByCode(db, request.params.code);
        if (!agency) throw Problem.notFound(`There is no agency ${request.params.code}.`);
        if (!mayManage(principal, agency.id)) throw Problem.forbidden("Only an administrator or the agency's head may rotate its signing key.");
        const rotated = await db.transaction().execute((trx) => keys.rotate(trx, agency, actorOf(principal), request.id));
        return reply.code(201).send({ agency: agency.code, kid: rotated.kid, retired: rotated.retired, createdAt: rotated.createdAt.toISOString() });
      },
    });

    app.post('/api/documents/:id/revoke', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: "Revoke an issued document, with a reason anyone checking it will see; revoking again changes nothing (an administrator, or the issuing agency's head)",
        tags: ['esignature'],
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: StatusOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const reason = request.body.reason.trim();
        if (reason === '') throw Problem.invalidField('/body/reason', 'give the reason the document is revoked');
        const current = await documentStatus(db, request.params.id);
        if (!current) throw Problem.notFound('No document with this id was issued here.');
        if (!mayManage(principal, current.agency.id)) throw Problem.forbidden('Only an administrator or the head of the issuing agency may revoke this document.');
        const revoked = await db.transaction().execute((trx) => revokeDocument(trx, { id: current.id, reason, actor: actorOf(principal), requestId: request.id }));
        return presentStatus(revoked!, baseUrl);
      },
    });

    app.get('/api/documents/:id/status', {
      config: { access: access.public },
      schema: {
        summary: 'Whether an issued document is genuine, current, expired or revoked, who issued it, and the key facts printed on it',
        tags: ['esignature'],
        params: DocumentIdParams,
        response: { 200: StatusOut, ...Problems },
      },
      handler: async (request, reply) => {
        const id = documentIdOf(request.params.id);
        const status = id ? await documentStatus(db, id) : null;
        if (!status) throw Problem.notFound('No document with this id was issued here.');
        reply.header('cache-control', 'no-cache');
        return presentStatus(status, baseUrl);
      },
    });
  };
}
