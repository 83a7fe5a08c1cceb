import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { identityDb, type Mandate } from './store.ts';

/**
 * A mandate lets one party (the agent: an architect, a relative, an employee) act for another (the
 * grantor: a person or a company) within a scope: '*' for everything, or a service id.
 */
export interface NewMandate {
  grantorPartyId: string;
  agentPartyId: string;
  scope: string;
  validUntil: Date | null;
}

/**
 * The grantor records a mandate for themselves; an officer records one on paper evidence (a
 * power of attorney, a company resolution) for anyone.
 */
export async function recordMandate(db: Db, input: NewMandate, principal: Principal, requestId: string): Promise<Mandate> {
  const self = principal.partyId !== null && principal.partyId === input.grantorPartyId;
  if (!self && !hasRole(principal, 'officer') && !hasRole(principal, 'admin', null)) {
    throw Problem.forbidden('Only the grantor or an officer may record a mandate.');
  }
  if (input.grantorPartyId === input.agentPartyId) throw Problem.invalidField('/body/agentPartyId', 'must differ from the grantor');
  return db.transaction().execute(async (trx) => {
    const parties = await identityDb(trx).selectFrom('identity_parties').select('id').where('id', 'in', [input.grantorPartyId, input.agentPartyId]).execute();
    if (!parties.some((p) => p.id === input.grantorPartyId)) throw Problem.invalidField('/body/grantorPartyId', 'no such person or organisation');
    if (!parties.some((p) => p.id === input.agentPartyId)) throw Problem.invalidField('/body/agentPartyId', 'no such person or organisation');
    const mandate = await identityDb(trx)
      .insertInto('identity_mandates')
      .values({ id: randomUUID(), grantor_party_id: input.grantorPartyId, agent_party_id: input.agentPartyId, scope: input.scope, valid_until: input.validUntil, revoked_at: null, recorded_by: principal.kind === 'user' ? principal.id : null })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, { actor: actorOf(principal), action: 'identity.record-mandate', subjectType: 'mandate', subjectId: mandate.id, requestId, details: { scope: input.scope } });
    return mandate;
  });
}

export async function revokeMandate(db: Db, id: string, principal: Principal, requestId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const mandate = await identityDb(trx).selectFrom('identity_mandates').selectAll().where('id', '=', id).executeTakeFirst();
    const involved = mandate && principal.partyId !== null && [mandate.grantor_party_id, mandate.agent_party_id].includes(principal.partyId);
    if (!mandate || (!involved && !hasRole(principal, 'officer') && !hasRole(principal, 'admin', null))) throw Problem.notFound('No mandate of yours has this id.');
    if (mandate.revoked_at) return;
    await identityDb(trx).updateTable('identity_mandates').set({ revoked_at: new Date() }).where('id', '=', id).execute();
    await recordAudit(trx, { actor: actorOf(principal), action: 'identity.revoke-mandate', subjectType: 'mandate', subjectId: id, requestId });
  });
}

/** Mandates where the party is grantor or agent. */
export async function mandatesOf(executor: Executor, partyId: string) {
  return identityDb(executor)
    .selectFrom('identity_mandates as m')
    .innerJoin('identity_parties as g', 'g.id', 'm.grantor_party_id')
    .innerJoin('identity_parties as a', 'a.id', 'm.agent_party_id')
    .select(['m.id', 'm.scope', 'm.valid_from', 'm.valid_until', 'm.revoked_at', 'm.grantor_party_id', 'g.name as grantor', 'm.agent_party_id', 'a.name as agent'])
    .where((eb) => eb.or([eb('m.grantor_party_id', '=', partyId), eb('m.agent_party_id', '=', partyId)]))
    .orderBy('m.created_at', 'desc')
    .execute();
}

/** May this principal act for `partyId` in `scope` (a service id)? Themselves always; others under a live mandate. */
export async function canActFor(executor: Executor, principal: Principal | null, partyId: string, scope: string): Promise<boolean> {
  if (!principal?.partyId) return false;
  if (principal.partyId === partyId) return true;
  const result = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM identity_mandates
    WHERE grantor_party_id = ${partyId} AND agent_party_id = ${principal.partyId}
      AND revoked_at IS NULL AND valid_from <= now() AND (valid_until IS NULL OR valid_until > now())
      AND (scope = '*' OR scope = ${scope})
    LIMIT 1`.execute(executor);
  return result.rows.length > 0;
}
