import { Type, type Static } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { IdParams, Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { createAgency, createUser, listAgencies, listStaff, revokeRole, grantRoleIn } from './accounts.ts';
import { createApiClient, listApiClients, revokeApiClient } from './api-clients.ts';
import { mandatesOf, recordMandate, revokeMandate } from './mandates.ts';
import { changePassword, PASSWORD_MAX, requestPasswordReset, resetPassword } from './passwords.ts';
import { grantableRoles } from './roles.ts';
import { endAllSessions, endCurrentSession, type SessionSettings } from './sessions.ts';
import { signInWithPassword } from './sign-in.ts';
import { registerCitizen } from './register-citizen.ts';
import { SHIPPED_LOCALES } from '../../platform/i18n/index.ts';

const Username = Type.String({ minLength: 3, maxLength: 60, pattern: '^[A-Za-z0-9._@-]+$' });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX });
const Email = Type.String({ format: 'email', maxLength: 200 });
const AgencyCode = Type.String({ pattern: '^[a-z0-9-]{2,40}$' });
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' });
const Names = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 200 }), { minProperties: 1 });
const Locale = Type.Union(SHIPPED_LOCALES.map((l) => Type.Literal(l)));

const Me = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  displayName: Type.String(),
  partyId: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.Object({ role: Type.String(), agencyId: Type.Union([Type.String(), Type.Null()]) })),
});

const RoleBody = Type.Object({ role: RoleName, agency: Type.Union([AgencyCode, Type.Null()]) }, { additionalProperties: false });

export const NewUserBody = Type.Object(
  {
    username: Username,
    displayName: Type.String({ minLength: 1, maxLength: 120 }),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    locale: Type.Optional(Locale),
    party: Type.Optional(
      Type.Object(
        {
          kind: Type.Union([Type.Literal('person'), Type.Literal('organisation')]),
          nationalId: Type.Optional(Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9-]+$' })),
          registrationNumber: Type.Optional(Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9/-]+$' })),
        },
        { additionalProperties: false },
      ),
    ),
    roles: Type.Optional(Type.Array(RoleBody, { maxItems: 20 })),
  },
  { additionalProperties: false },
);

export const RegistrationBody = Type.Object(
  {
    username: Username,
    displayName: Type.String({ minLength: 1, maxLength: 120 }),
    email: Email,
    phone: Type.Optional(Type.String({ maxLength: 30, description: 'A mobile number in international form, e.g. +253 77 12 34 56' })),
    password: Password,
    locale: Type.Optional(Locale),
  },
  { additionalProperties: false },
);
export type Registration = Static<typeof RegistrationBody>;

function acting(request: { principal: import('../../platform/http/access.ts').Principal | null; id: string }) {
  return { principal: request.principal, requestId: request.id };
}

export function identityRoutes(db: Db, jobs: JobQueue, sessions: SessionSettings) {
  return async (app: App) => {
    app.post('/api/identity/sessions', {
      config: { access: access.public },
      schema: {
        summary: 'Sign in with a username (or e-mail) and password; sets the session cookie',
        tags: ['identity'],
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), displayName: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const user = await signInWithPassword(db, request, reply, sessions, request.body.username, request.body.password);
        return reply.code(201).send({ id: user.id, displayName: user.display_name });
      },
    });

    app.delete('/api/identity/sessions/current', {
      config: { access: access.signedIn },
      schema: { summary: 'Sign out of this session', tags: ['identity'], response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await endCurrentSession(db, request, reply, sessions);
        return reply.code(204).send(null);
      },
    });

    app.delete('/api/identity/sessions', {
      config: { access: access.signedIn },
      schema: { summary: 'Sign out everywhere: end every session of this account', tags: ['identity'], response: { 200: Type.Object({ ended: Type.Integer() }), ...Problems } },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        if (principal.kind !== 'user') throw Problem.forbidden('API clients have no sessions.');
        const ended = await endAllSessions(db, principal.id);
        await endCurrentSession(db, request, reply, sessions);
        return { ended };
      },
    });

    app.get('/api/identity/me', {
      config: { access: access.signedIn },
      schema: { summary: 'Who am I: account, person and roles', tags: ['identity'], response: { 200: Me, ...Problems } },
      handler: async (request) => {
        const p = requirePrincipal(request);
        return { id: p.id, kind: p.kind, displayName: p.displayName, partyId: p.partyId, roles: p.roles };
      },
    });

    app.post('/api/identity/password', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Change my password; ends my other sessions',
        tags: ['identity'],
        body: Type.Object({ current: Password, password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        const p = requirePrincipal(request);
        if (p.kind !== 'user') throw Problem.forbidden('API clients have no password.');
        await changePassword(db, { userId: p.id, sessionIdHash: p.sessionId, requestId: request.id }, request.body.current, request.body.password);
        return reply.code(204).send(null);
      },
    });

    app.post('/api/identity/password-resets', {
      config: { access: access.public },
      schema: {
        summary: 'Ask for a password reset link by e-mail (the answer never says whether the account exists)',
        tags: ['identity'],
        body: Type.Object({ login: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ message: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        await requestPasswordReset(db, jobs, request.body.login, request.ip, request.id);
        return reply.code(202).send({ message: 'If an account with an e-mail address matches, a reset link is on its way.' });
      },
    });

    app.post('/api/identity/password-resets/complete', {
      config: { access: access.public },
      schema: {
        summary: 'Set a new password with the token from a reset link; ends every session',
        tags: ['identity'],
        body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }), password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        await resetPassword(db, request.body.token, request.body.password, request.id);
        return reply.code(204).send(null);
      },
    });

    app.post('/api/identity/registrations', {
      config: { access: access.public },
      schema: { summary: 'Create a citizen account', tags: ['identity'], body: RegistrationBody, response: { 201: Type.Object({ id: Type.String() }), ...Problems } },
      handler: async (request, reply) => {
        const user = await registerCitizen(db, request.body, request.ip, request.id);
        return reply.code(201).send({ id: user.id });
      },
    });

    app.get('/api/identity/agencies', {
      config: { access: access.public },
      schema: {
        summary: 'Agencies (ministries, departments, offices) and their hierarchy',
        tags: ['identity'],
        response: { 200: Type.Array(Type.Object({ id: Type.String(), code: Type.String(), kind: Type.String(), parentId: Type.Union([Type.String(), Type.Null()]), names: Type.Record(Type.String(), Type.String()) })), ...Problems },
      },
      handler: async () => (await listAgencies(db)).map((a) => ({ id: a.id, code: a.code, kind: a.kind, parentId: a.parent_id, names: a.names })),
    });

    app.post('/api/identity/agencies', {
      config: { access: access.roles('admin') },
      schema: {
        summary: 'Create an agency',
        tags: ['identity'],
        body: Type.Object({ code: AgencyCode, kind: Type.Union(['government', 'ministry', 'department', 'agency', 'office'].map((k) => Type.Literal(k))), names: Names, parentCode: Type.Optional(AgencyCode) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), code: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const body = request.body;
        const agency = await createAgency(db, { code: body.code, kind: body.kind as never, names: body.names, parentCode: body.parentCode ?? null }, acting(request));
        return reply.code(201).send({ id: agency.id, code: agency.code });
      },
    });

    app.get('/api/identity/roles', {
      config: { access: access.signedIn },
      schema: { summary: 'Roles that can be granted', tags: ['identity'], response: { 200: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })), ...Problems } },
      handler: async () => grantableRoles(),
    });

    app.get('/api/identity/users', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'Staff accounts in the agencies you administer',
        tags: ['identity'],
        response: { 200: Type.Array(Type.Object({ id: Type.String(), username: Type.String(), displayName: Type.String(), email: Type.Union([Type.String(), Type.Null()]), disabled: Type.Boolean(), roles: Type.Array(Type.Object({ role: Type.String(), agency: Type.Union([Type.String(), Type.Null()]) })) })), ...Problems },
      },
      handler: async (request) => listStaff(db, requirePrincipal(request)),
    });

    app.post('/api/identity/users', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Create an account, optionally with roles you may grant', tags: ['identity'], body: NewUserBody, response: { 201: Type.Object({ id: Type.String() }), ...Problems } },
      handler: async (request, reply) => {
        const body = request.body;
        const roles = (body.roles ?? []).map((r) => ({ role: r.role, agencyCode: r.agency }));
        if (roles.length === 0 && !body.party) throw Problem.invalidField('/body/roles', 'a staff account needs at least one role (or give party for a citizen account)');
        const user = await createUser(db, { ...body, roles }, acting(request));
        return reply.code(201).send({ id: user.id });
      },
    });

    app.post('/api/identity/users/:id/roles', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Grant a role in an agency', tags: ['identity'], params: IdParams, body: RoleBody, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await db.transaction().execute((trx) => grantRoleIn(trx, { userId: request.params.id }, request.body.role, request.body.agency, acting(request)));
        return reply.code(204).send(null);
      },
    });

    app.delete('/api/identity/users/:id/roles', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Revoke a role', tags: ['identity'], params: IdParams, body: RoleBody, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await revokeRole(db, request.params.id, request.body.role, request.body.agency, acting(request));
        return reply.code(204).send(null);
      },
    });

    app.get('/api/identity/api-clients', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'API clients of the agencies you administer',
        tags: ['identity'],
        response: { 200: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), agency: Type.Union([Type.String(), Type.Null()]), created_at: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), last_used_at: Type.Union([Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), Type.Null()]), revoked_at: Type.Union([Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), Type.Null()]) })), ...Problems },
      },
      handler: async (request) => listApiClients(db, requirePrincipal(request)),
    });

    app.post('/api/identity/api-clients', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'Create an API client; the token is shown once',
        tags: ['identity'],
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), agency: Type.Union([AgencyCode, Type.Null()]), roles: Type.Array(RoleName, { minItems: 1, maxItems: 10 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const created = await createApiClient(db, { name: request.body.name, agencyCode: request.body.agency, roles: request.body.roles }, acting(request));
        return reply.code(201).send(created);
      },
    });

    app.delete('/api/identity/api-clients/:id', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Revoke an API client', tags: ['identity'], params: IdParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await revokeApiClient(db, request.params.id, { principal: requirePrincipal(request), requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.get('/api/identity/mandates', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Mandates where I am the grantor or the agent',
        tags: ['identity'],
        response: { 200: Type.Array(Type.Object({ id: Type.String(), scope: Type.String(), grantor: Type.String(), grantor_party_id: Type.String(), agent: Type.String(), agent_party_id: Type.String(), valid_from: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), valid_until: Type.Union([Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), Type.Null()]), revoked_at: Type.Union([Type.Unsafe<Date>({ type: 'string', format: 'date-time' }), Type.Null()]) })), ...Problems },
      },
      handler: async (request) => mandatesOf(db, requirePrincipal(request).partyId!),
    });

    app.post('/api/identity/mandates', {
      config: { access: access.roles('citizen', 'officer', 'admin') },
      schema: {
        summary: 'Record a mandate: the agent may act for the grantor within the scope',
        tags: ['identity'],
        body: Type.Object({ grantorPartyId: Uuid, agentPartyId: Uuid, scope: Type.String({ pattern: '^(\\*|[a-z0-9.-]{2,80})$', default: '*' }), validUntil: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const b = request.body;
        const validUntil = b.validUntil ? new Date(b.validUntil) : null;
        if (validUntil && validUntil.getTime() <= Date.now()) throw Problem.invalidField('/body/validUntil', 'must be in the future');
        const mandate = await recordMandate(db, { grantorPartyId: b.grantorPartyId, agentPartyId: b.agentPartyId, scope: b.scope, validUntil }, requirePrincipal(request), request.id);
        return reply.code(201).send({ id: mandate.id });
      },
    });

    app.delete('/api/identity/mandates/:id', {
      config: { access: access.roles('citizen', 'officer', 'admin') },
      schema: { summary: 'Revoke a mandate', tags: ['identity'], params: IdParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await revokeMandate(db, request.params.id, requirePrincipal(request), request.id);
        return reply.code(204).send(null);
      },
    });
  };
}
