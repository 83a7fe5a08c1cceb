import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { hashPassword } from '../../platform/crypto/password.ts';
import { agenciesReached, hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit, SYSTEM_ACTOR, type AuditActor } from '../audit/index.ts';
import { passwordProblem } from './passwords.ts';
import { normaliseMobile } from './phone.ts';
import { isGrantableRole } from './roles.ts';
import { findAgencyByCode, findUserById, identityDb, type Agency, type User } from './store.ts';

export interface ActingAs {
  principal: Principal | null;
  requestId: string | null;
}

const SYSTEM: ActingAs = { principal: null, requestId: null };

function actor(acting: ActingAs): AuditActor {
  return acting.principal ? actorOf(acting.principal) : SYSTEM_ACTOR;
}

export interface NewAgency {
  code: string;
  kind: Agency['kind'];
  names: Record<string, string>;
  parentCode?: string | null;
}

export async function createAgency(db: Db, input: NewAgency, acting: ActingAs = SYSTEM): Promise<Agency> {
  return db.transaction().execute(async (trx) => {
    if (await findAgencyByCode(trx, input.code)) throw Problem.conflict(`An agency with code "${input.code}" already exists.`);
    let parentId: string | null = null;
    if (input.parentCode) {
      const parent = await findAgencyByCode(trx, input.parentCode);
      if (!parent) throw Problem.invalidField('/body/parentCode', `no agency has code "${input.parentCode}"`);
      parentId = parent.id;
    }
    const agency = await identityDb(trx)
      .insertInto('identity_agencies')
      .values({ id: randomUUID(), code: input.code, kind: input.kind, names: JSON.stringify(input.names) as never, parent_id: parentId })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, { actor: actor(acting), agencyId: agency.id, action: 'identity.create-agency', subjectType: 'agency', subjectId: agency.id, requestId: acting.requestId, details: { code: agency.code } });
    return agency;
  });
}

export async function listAgencies(executor: Executor): Promise<Agency[]> {
  return identityDb(executor).selectFrom('identity_agencies').selectAll().orderBy('code').execute();
}

export interface NewUser {
  username: string;
  displayName: string;
  email?: string | null;
  /** A mobile number as typed; it is kept in E.164 and refused when it is not an international number. */
  phone?: string | null;
  password?: string | null;
  locale?: string | null;
  /** Creates a person (or links an organisation) so the account can apply for services. */
  party?: { kind: 'person' | 'organisation'; nationalId?: string | null; registrationNumber?: string | null } | null;
  roles?: { role: string; agencyCode: string | null }[];
}

export async function createUser(db: Db, input: NewUser, acting: ActingAs = SYSTEM): Promise<User> {
  if (input.password) {
    const weak = passwordProblem(input.password, input.username, '/body/password');
    if (weak) throw weak;
  }
  const phone = input.phone ? mobileOrProblem(input.phone) : null;
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return db.transaction().execute(async (trx) => {
    const ids = identityDb(trx);
    // Two sign-ups for one name at the same moment: the second waits here and then sees the first.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`account:${input.username.toLowerCase()}`}))`.execute(trx);
    const clash = await ids
      .selectFrom('identity_users')
      .select('id')
      .where((eb) => eb.or([eb(eb.fn('lower', ['username']), '=', input.username.toLowerCase()), ...(input.email ? [eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase())] : [])]))
      .executeTakeFirst();
    if (clash) throw Problem.conflict('An account with this username or e-mail already exists.');
    let partyId: string | null = null;
    if (input.party) {
      const { nationalId, registrationNumber } = input.party;
      if (nationalId || registrationNumber) {
        const known = await ids
          .selectFrom('identity_parties')
          .select('id')
          .where((eb) => eb.or([...(nationalId ? [eb('national_id', '=', nationalId)] : []), ...(registrationNumber ? [eb('registration_number', '=', registrationNumber)] : [])]))
          .executeTakeFirst();
        if (known) throw Problem.conflict('A person or organisation with this national id or registration number already exists.');
      }
      partyId = randomUUID();
      await ids
        .insertInto('identity_parties')
        .values({ id: partyId, kind: input.party.kind, name: input.displayName, national_id: input.party.nationalId ?? null, registration_number: input.party.registrationNumber ?? null })
        .execute();
    }
    const user = await ids
      .insertInto('identity_users')
      .values({
        id: randomUUID(),
        username: input.username,
        email: input.email ?? null,
        phone,
        display_name: input.displayName,
        party_id: partyId,
        password_hash: passwordHash,
        locale: input.locale ?? null,
        disabled_at: null,
        password_changed_at: passwordHash ? new Date() : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, { actor: actor(acting), action: 'identity.create-user', subjectType: 'user', subjectId: user.id, requestId: acting.requestId, details: { username: user.username } });
    for (const grant of input.roles ?? []) await grantRoleIn(trx, { userId: user.id }, grant.role, grant.agencyCode, acting);
    return user;
  });
}

export function mobileOrProblem(input: string): string {
  const phone = normaliseMobile(input);
  if (!phone) throw Problem.invalidField('/body/phone', 'must be a mobile number in international form, like +253 77 12 34 56', 'phone');
  return phone;
}

/** Set or (with an empty value) remove the mobile number text messages go to. */
export async function changePhone(db: Db, userId: string, input: string, acting: ActingAs): Promise<string | null> {
  const phone = input.trim() === '' ? null : mobileOrProblem(input);
  return db.transaction().execute(async (trx) => {
    const updated = await identityDb(trx).updateTable('identity_users').set({ phone }).where('id', '=', userId).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw Problem.notFound('No account has this id.');
    // The number itself is personal data: the log says that it changed, not what it is.
    await recordAudit(trx, { actor: actor(acting), action: 'identity.change-phone', subjectType: 'user', subjectId: userId, requestId: acting.requestId, details: { phone: phone ? 'set' : 'removed' }, change: { phone } });
    return phone;
  });
}

/** May `principal` grant `role` in `agencyId`? Admins anywhere; agency heads inside their agency, but never admin. */
export function canGrant(principal: Principal | null, role: string, agencyId: string | null): boolean {
  if (hasRole(principal, 'admin', null)) return true;
  if (role === 'admin' || agencyId === null) return false;
  return hasRole(principal, 'agency-head', agencyId);
}

export async function grantRoleIn(executor: Executor, holder: { userId?: string; clientId?: string }, role: string, agencyCode: string | null, acting: ActingAs): Promise<void> {
  if (!isGrantableRole(role)) throw Problem.invalidField('/body/role', `"${role}" is not a role`);
  const agency = agencyCode ? await findAgencyByCode(executor, agencyCode) : null;
  if (agencyCode && !agency) throw Problem.invalidField('/body/agency', `no agency has code "${agencyCode}"`);
  if (acting.principal && !canGrant(acting.principal, role, agency?.id ?? null)) throw Problem.forbidden('You may not grant this role in this agency.');
  if (holder.userId && !(await findUserById(executor, holder.userId))) throw Problem.notFound('No account has this id.');
  await identityDb(executor)
    .insertInto('identity_role_grants')
    .values({ id: randomUUID(), user_id: holder.userId ?? null, client_id: holder.clientId ?? null, role, agency_id: agency?.id ?? null, granted_by: acting.principal?.kind === 'user' ? acting.principal.id : null })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await recordAudit(executor, { actor: actor(acting), agencyId: agency?.id ?? null, action: 'identity.grant-role', subjectType: holder.userId ? 'user' : 'api-client', subjectId: holder.userId ?? holder.clientId, requestId: acting.requestId, details: { role, agency: agencyCode } });
}

export async function revokeRole(db: Db, userId: string, role: string, agencyCode: string | null, acting: ActingAs): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const agency = agencyCode ? await findAgencyByCode(trx, agencyCode) : null;
    if (agencyCode && !agency) throw Problem.invalidField('/body/agency', `no agency has code "${agencyCode}"`);
    if (acting.principal && !canGrant(acting.principal, role, agency?.id ?? null)) throw Problem.forbidden('You may not revoke this role in this agency.');
    let query = identityDb(trx).deleteFrom('identity_role_grants').where('user_id', '=', userId).where('role', '=', role);
    query = agency ? query.where('agency_id', '=', agency.id) : query.where('agency_id', 'is', null);
    const result = await query.executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw Problem.notFound('This account does not hold that role there.');
    await recordAudit(trx, { actor: actor(acting), agencyId: agency?.id ?? null, action: 'identity.revoke-role', subjectType: 'user', subjectId: userId, requestId: acting.requestId, details: { role, agency: agencyCode } });
  });
}

export interface StaffListing {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  disabled: boolean;
  roles: { role: string; agency: string | null }[];
}

/** Accounts holding roles in the agencies the caller administers (all of them for an admin). */
export async function listStaff(executor: Executor, principal: Principal): Promise<StaffListing[]> {
  const reach = agenciesReached(principal, ['admin', 'agency-head']);
  const rows = await identityDb(executor)
    .selectFrom('identity_users as u')
    .innerJoin('identity_role_grants as g', 'g.user_id', 'u.id')
    .leftJoin('identity_agencies as a', 'a.id', 'g.agency_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.email', 'u.disabled_at', 'g.role', 'g.agency_id', 'a.code'])
    .orderBy('u.username')
    .execute();
  const byUser = new Map<string, StaffListing>();
  for (const row of rows) {
    if (reach !== 'all' && (!row.agency_id || !reach.has(row.agency_id))) continue;
    const entry = byUser.get(row.id) ?? { id: row.id, username: row.username, displayName: row.display_name, email: row.email, disabled: row.disabled_at !== null, roles: [] };
    entry.roles.push({ role: row.role, agency: row.code });
    byUser.set(row.id, entry);
  }
  return [...byUser.values()];
}
