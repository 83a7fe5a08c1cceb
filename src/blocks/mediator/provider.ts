import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { keepRawBody, rawBodyOf } from '../../platform/http/signed-calls.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { checkConsent } from '../consent/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { findRegistry, readRecord } from '../registries/index.ts';
import { FRESHNESS_SECONDS, HEADERS, REQUEST_CTY, RESPONSE_CTY, requestPayload, responsePayload, sha256, verifiedBy } from './signing.ts';
import { appendLog, findMember, findService, hasRight, markSeen, type LogEntry, type Member, type Service } from './store.ts';

export const PROVIDER_PATH = '/api/mediator/v1/:registry/:operation';

const ReadBody = Type.Object(
  {
    /** The person the caller acts about (national id): required by a service that needs consent, and the only person whose record it can read. */
    person: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    id: Type.Optional(Type.String({ maxLength: 64 })),
    match: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]), { maxProperties: 10 })),
  },
  { additionalProperties: false },
);

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}

type RefusalCode = 'missingHeaders' | 'wrongService' | 'unknownMember' | 'badSignature' | 'stale' | 'noRight' | 'replay' | 'noPerson' | 'noConsent';

/** Refuse, and say why in the log first: a refusal nobody can see afterwards is no control. */
async function refuse(db: Db, entry: LogEntry, status: number, code: RefusalCode, reason: string): Promise<never> {
  await appendLog(db, { ...entry, status, reason });
  // The code names the text in src/locales/mediator, so the caller's pages can say it in their language.
  throw new Problem(status, reason, { title: status === 409 ? 'Message already received' : undefined, extensions: { code: `mediator.refused.${code}` } });
}

/**
 * A service with a purpose serves a personal registry only about the person the caller names,
 * and only with that person's consent to an agreement for the purpose, given to the agency the
 * member stands for. Returns what narrows the read to that person; nothing for other services.
 */
async function consentedPerson(db: Db, entry: LogEntry, service: Service, member: Member, body: { person?: string; id?: string }): Promise<Record<string, string> | null> {
  if (!service.purpose) return null;
  const registry = await findRegistry(db, service.registry);
  const personField = registry?.definition.personal ? registry.definition.personField : null;
  if (!personField) return null;
  const { person } = body;
  if (!person || body.id !== undefined) return refuse(db, entry, 400, 'noPerson', `${service.code} serves personal data with consent: name the person (national id) in "person", and find the record by "match", not "id".`);
  const agency = member.agency ? await findAgencyByCode(db, member.agency) : undefined;
  const answer = agency ? await checkConsent(db, { personNationalId: person, purpose: service.purpose, registry: service.registry, fields: [...new Set([...service.fields, personField])], recipientAgencyId: agency.id }) : null;
  if (!answer?.allowed) return refuse(db, entry, 403, 'noConsent', `The person has not consented to ${member.name} reading ${service.code} for ${service.purpose}${answer ? ` (${answer.reason})` : ''}.`);
  return { [personField]: person };
}

export function providerRoutes(db: Db, keys: NodeKeys) {
  return async (app: App) => {
    app.post(PROVIDER_PATH, {
      // Signed by the client node's key, not signed in: the checks below are the authorization.
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 16 * 1024,
      schema: {
        summary: "Serve a registry read to another agency's node (X-Road style: signed headers, access rights, message log)",
        tags: ['mediator'],
        params: Type.Object({ registry: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }), operation: Type.Literal('read') }),
        body: ReadBody,
        response: { 200: Type.Object({ record: Type.Union([Type.Object({ id: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }), Type.Null()]) }), ...Problems },
      },
      preParsing: keepRawBody,
      // Before validation: a caller who cannot sign learns nothing about the body we expect.
      preValidation: async (request: FastifyRequest) => {
        const raw = rawBodyOf(request);
        const facts = {
          method: request.method,
          path: request.url.split('?')[0]!,
          bodySha256: sha256(raw),
          client: header(request, HEADERS.client),
          service: header(request, HEADERS.service),
          id: header(request, HEADERS.id),
          userId: header(request, HEADERS.userId),
          issue: header(request, HEADERS.issue),
          requestTime: header(request, HEADERS.requestTime),
        };
        const signature = header(request, HEADERS.signature);
        const entry: LogEntry = {
          direction: 'in', messageId: facts.id.slice(0, 200) || '(none)', client: facts.client.slice(0, 200) || '(none)', provider: null, service: facts.service.slice(0, 200) || '(none)',
          userId: facts.userId.slice(0, 200) || null, issue: facts.issue.slice(0, 500) || null, requestDigest: facts.bodySha256, status: 0, reason: null, signatures: signature ? { request: signature.slice(0, 4000) } : {},
        };
        const routeService = `${(request.params as { registry: string }).registry}/read`;
        if (!facts.client || !facts.id || !facts.issue || !signature || !facts.requestTime) return refuse(db, entry, 400, 'missingHeaders', 'X-Road-Client, X-Road-Id, X-Road-Issue, X-Road-Request-Time and X-Road-Signature are all required.');
        if (facts.service !== routeService) return refuse(db, entry, 400, 'wrongService', `X-Road-Service must name the service of this address (${routeService}).`);
        const member = await findMember(db, facts.client);
        if (!member) return refuse(db, entry, 401, 'unknownMember', `${facts.client} is not a member known to this node.`);
        if (!(await verifiedBy(member.publicJwk, signature, requestPayload(facts), REQUEST_CTY))) return refuse(db, entry, 401, 'badSignature', `The signature does not match the request or is not by ${facts.client}'s registered key.`);
        const sent = Date.parse(facts.requestTime);
        if (Number.isNaN(sent) || Math.abs(Date.now() - sent) > FRESHNESS_SECONDS * 1000) return refuse(db, entry, 400, 'stale', `X-Road-Request-Time is more than ${FRESHNESS_SECONDS} seconds from this node's clock.`);
        const service = await findService(db, facts.service);
        if (!service || !(await hasRight(db, facts.client, facts.service))) return refuse(db, entry, 403, 'noRight', `${facts.client} has no access right to ${facts.service} here.`);
        if (!(await markSeen(db, facts.client, facts.id))) return refuse(db, entry, 409, 'replay', `Message ${facts.id} was received before; send a new X-Road-Id.`);
        request.mediator = { entry, service, member };
      },
      handler: async (request, reply: FastifyReply) => {
        const { entry, service, member } = request.mediator!;
        const personMatch = await consentedPerson(db, entry, service, member, request.body);
        let record;
        try {
          record = await readRecord(db, {
            registry: service.registry,
            ...(request.body.id !== undefined ? { id: request.body.id } : { match: { ...request.body.match, ...personMatch } }),
            matchPointer: '/body/match',
            fields: service.fields,
            reader: { actor: { type: 'system', id: null, name: `mediator: ${member.code}` }, agencyId: null, organisation: { id: member.code, name: member.name }, via: `x-road:${entry.messageId}` },
            purpose: { service: service.code, caseId: entry.issue, reason: `Requested by ${member.name} (${member.code})${entry.userId ? ` for user ${entry.userId}` : ''}` },
          });
        } catch (err) {
          const status = err instanceof Problem ? err.status : 500;
          await appendLog(db, { ...entry, status, reason: err instanceof Error ? err.message.slice(0, 500) : 'failed' });
          throw err;
        }
        const body = JSON.stringify({ record: record ? { id: record.id, data: record.data } : null });
        const responseSignature = await keys.sign(responsePayload({ id: entry.messageId, status: 200, bodySha256: sha256(body) }), RESPONSE_CTY);
        await appendLog(db, { ...entry, status: 200, reason: record ? null : 'no such record', signatures: { ...entry.signatures, response: responseSignature } });
        // Sent as the signed bytes: re-serialising could change them.
        return reply.header(HEADERS.signature, responseSignature).header(HEADERS.id, entry.messageId).type('application/json').send(body);
      },
    });
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    mediator?: { entry: LogEntry; service: import('./store.ts').Service; member: import('./store.ts').Member };
  }
}
