import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../platform/db/database.ts';
import { sha256 } from '../../platform/crypto/password.ts';
import type { Principal } from '../../platform/http/access.ts';
import { CITIZEN_ROLE } from './roles.ts';
import { resumeSession, sessionCookieName, type SessionSettings } from './sessions.ts';
import { findUserById, identityDb, loadReach, type GrantReach } from './store.ts';

const API_TOKEN = /^dft_([0-9a-f-]{36})_([A-Za-z0-9_-]{20,100})$/;

function reachMap(reach: GrantReach[]): Principal['reach'] {
  const map: Principal['reach'] = new Map();
  for (const { role, agency_id } of reach) {
    const current = map.get(role);
    if (agency_id === null) map.set(role, 'all');
    else if (current !== 'all') map.set(role, (current ?? new Set()).add(agency_id));
  }
  return map;
}

/** Who is calling: an API client by bearer token, else a signed-in user by session cookie. */
export async function authenticate(executor: Executor, request: FastifyRequest, settings: SessionSettings): Promise<Principal | null> {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authenticateClient(executor, authorization.slice(7).trim());
  const token = request.cookies[sessionCookieName(settings)];
  if (!token || token.length > 100) return null;
  const session = await resumeSession(executor, token, settings);
  if (!session) return null;
  return principalForUser(executor, session.userId, session.idHash);
}

export async function principalForUser(executor: Executor, userId: string, sessionId: string | null): Promise<Principal | null> {
  const user = await findUserById(executor, userId);
  if (!user || user.disabled_at) return null;
  const { grants, reach } = await loadReach(executor, { userId });
  const map = reachMap(reach);
  if (user.party_id) map.set(CITIZEN_ROLE, 'all');
  return {
    kind: 'user',
    id: user.id,
    displayName: user.display_name,
    partyId: user.party_id,
    locale: user.locale,
    roles: grants.map((g) => ({ role: g.role, agencyId: g.agency_id })),
    reach: map,
    sessionId,
  };
}

async function authenticateClient(executor: Executor, token: string): Promise<Principal | null> {
  const match = API_TOKEN.exec(token);
  if (!match) return null;
  const [, clientId, secret] = match;
  const client = await identityDb(executor)
    .selectFrom('identity_api_clients')
    .select(['id', 'name', 'secret_hash', 'revoked_at', 'last_used_at'])
    .where('id', '=', clientId!)
    .executeTakeFirst();
  if (!client || client.revoked_at || client.secret_hash !== sha256(secret!)) return null;
  if (!client.last_used_at || Date.now() - client.last_used_at.getTime() > 3_600_000) {
    await identityDb(executor).updateTable('identity_api_clients').set({ last_used_at: new Date() }).where('id', '=', client.id).execute();
  }
  const { grants, reach } = await loadReach(executor, { clientId: client.id });
  return {
    kind: 'api-client',
    id: client.id,
    displayName: client.name,
    partyId: null,
    locale: null,
    roles: grants.map((g) => ({ role: g.role, agencyId: g.agency_id })),
    reach: reachMap(reach),
    sessionId: null,
  };
}
