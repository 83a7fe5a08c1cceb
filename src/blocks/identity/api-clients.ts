import { randomUUID } from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.ts';
import { randomToken, sha256 } from '../../platform/crypto/password.ts';
import { agenciesReached, hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { grantRoleIn, type ActingAs } from './accounts.ts';
import { findAgencyByCode, identityDb } from './store.ts';

export interface NewApiClient {
  name: string;
  agencyCode: string | null;
  roles: string[];
}

/** Returns the token once; only its hash is stored. */
export async function createApiClient(db: Db, input: NewApiClient, acting: ActingAs): Promise<{ id: string; token: string }> {
  return db.transaction().execute(async (trx) => {
    const agency = input.agencyCode ? await findAgencyByCode(trx, input.agencyCode) : null;
    if (input.agencyCode && !agency) throw Problem.invalidField('/body/agency', `no agency has code "${input.agencyCode}"`);
    const id = randomUUID();
    const secret = randomToken();
    await identityDb(trx)
      .insertInto('identity_api_clients')
      .values({ id, name: input.name, agency_id: agency?.id ?? null, secret_hash: sha256(secret), created_by: acting.principal?.kind === 'user' ? acting.principal.id : null, revoked_at: null, last_used_at: null })
      .execute();
    await recordAudit(trx, { actor: acting.principal ? actorOf(acting.principal) : { type: 'system', id: null, name: 'system' }, agencyId: agency?.id ?? null, action: 'identity.create-api-client', subjectType: 'api-client', subjectId: id, requestId: acting.requestId, details: { name: input.name } });
    for (const role of input.roles) await grantRoleIn(trx, { clientId: id }, role, input.agencyCode, acting);
    return { id, token: `dft_${id}_${secret}` };
  });
}

export async function revokeApiClient(db: Db, id: string, acting: ActingAs & { principal: Principal }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const client = await identityDb(trx).selectFrom('identity_api_clients').select(['id', 'agency_id', 'revoked_at']).where('id', '=', id).executeTakeFirst();
    if (!client) throw Problem.notFound('No API client has this id.');
    if (!hasRole(acting.principal, 'admin', null) && !(client.agency_id && hasRole(acting.principal, 'agency-head', client.agency_id))) {
      throw Problem.forbidden('This API client belongs to an agency you do not administer.');
    }
    if (client.revoked_at) return;
    await identityDb(trx).updateTable('identity_api_clients').set({ revoked_at: new Date() }).where('id', '=', id).execute();
    await recordAudit(trx, { actor: actorOf(acting.principal), agencyId: client.agency_id, action: 'identity.revoke-api-client', subjectType: 'api-client', subjectId: id, requestId: acting.requestId });
  });
}

export async function listApiClients(executor: Executor, principal: Principal) {
  const reach = agenciesReached(principal, ['admin', 'agency-head']);
  const rows = await identityDb(executor)
    .selectFrom('identity_api_clients as c')
    .leftJoin('identity_agencies as a', 'a.id', 'c.agency_id')
    .select(['c.id', 'c.name', 'c.agency_id', 'a.code as agency', 'c.created_at', 'c.last_used_at', 'c.revoked_at'])
    .orderBy('c.created_at', 'desc')
    .execute();
  return rows.filter((r) => reach === 'all' || (r.agency_id !== null && reach.has(r.agency_id))).map(({ agency_id: _a, ...rest }) => rest);
}
