import { sql, type Generated, type Selectable } from 'kysely';
import { tablesOf, type Executor } from '../../platform/db/database.ts';

export interface AgencyTable {
  id: string;
  code: string;
  parent_id: string | null;
  kind: 'government' | 'ministry' | 'department' | 'agency' | 'office';
  names: Record<string, string>;
  created_at: Generated<Date>;
}

export interface PartyTable {
  id: string;
  kind: 'person' | 'organisation';
  name: string;
  national_id: string | null;
  registration_number: string | null;
  created_at: Generated<Date>;
}

export interface UserTable {
  id: string;
  username: string;
  email: string | null;
  /** A mobile number in E.164, for text messages. */
  phone: Generated<string | null>;
  display_name: string;
  party_id: string | null;
  password_hash: string | null;
  locale: string | null;
  disabled_at: Date | null;
  password_changed_at: Date | null;
  created_at: Generated<Date>;
}

export interface RoleGrantTable {
  id: string;
  user_id: string | null;
  client_id: string | null;
  role: string;
  agency_id: string | null;
  granted_by: string | null;
  created_at: Generated<Date>;
}

export interface MandateTable {
  id: string;
  grantor_party_id: string;
  agent_party_id: string;
  scope: string;
  valid_from: Generated<Date>;
  valid_until: Date | null;
  revoked_at: Date | null;
  recorded_by: string | null;
  created_at: Generated<Date>;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

export interface IdentityTables {
  identity_agencies: AgencyTable;
  identity_parties: PartyTable;
  identity_users: UserTable;
  identity_role_grants: RoleGrantTable;
  identity_mandates: MandateTable;
  identity_sessions: SessionTable;
  identity_external_ids: { issuer: string; subject: string; user_id: string; created_at: Generated<Date> };
  identity_password_resets: { token_hash: string; user_id: string; expires_at: Date; used_at: Date | null; created_at: Generated<Date> };
  identity_api_clients: {
    id: string;
    name: string;
    agency_id: string | null;
    secret_hash: string;
    created_by: string | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
    created_at: Generated<Date>;
  };
  identity_throttle: { key: string; window_start: Date; failures: number };
  identity_oidc_flows: { state_hash: string; code_verifier: string; nonce: string; return_to: string; expires_at: Date };
}

export type Agency = Selectable<AgencyTable>;
export type User = Selectable<UserTable>;
export type Party = Selectable<PartyTable>;
export type Mandate = Selectable<MandateTable>;

export const identityDb = (executor: Executor) => tablesOf<IdentityTables>(executor);

export async function findUserByLogin(executor: Executor, login: string): Promise<User | undefined> {
  const normalised = login.trim().toLowerCase();
  return identityDb(executor)
    .selectFrom('identity_users')
    .selectAll()
    .where((eb) => eb.or([eb(sql`lower(username)`, '=', normalised), eb(sql`lower(email)`, '=', normalised)]))
    .executeTakeFirst();
}

export async function findUserById(executor: Executor, id: string): Promise<User | undefined> {
  return identityDb(executor).selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The account an e-mail address or mobile number belongs to, so a message sent there shows in that
 * person's outbox. A phone number may be shared (a family's one phone): then it is nobody's alone.
 */
export async function findUserByContact(executor: Executor, channel: 'email' | 'sms', address: string): Promise<Pick<User, 'id'> | undefined> {
  const users = identityDb(executor).selectFrom('identity_users').select('id');
  if (channel === 'email') return users.where(sql`lower(email)`, '=', address.trim().toLowerCase()).executeTakeFirst();
  const holders = await users.where('phone', '=', address).limit(2).execute();
  return holders.length === 1 ? holders[0] : undefined;
}

export async function findAgencyByCode(executor: Executor, code: string): Promise<Agency | undefined> {
  return identityDb(executor).selectFrom('identity_agencies').selectAll().where('code', '=', code).executeTakeFirst();
}

export interface GrantReach {
  role: string;
  agency_id: string | null;
}

/** Every (role, agency) a user or API client reaches: each grant expanded down the agency tree. */
export async function loadReach(executor: Executor, holder: { userId?: string; clientId?: string }): Promise<{ grants: GrantReach[]; reach: GrantReach[] }> {
  const column = holder.userId ? sql`user_id` : sql`client_id`;
  const id = holder.userId ?? holder.clientId;
  const result = await sql<GrantReach & { direct: boolean }>`
    WITH RECURSIVE grants AS (
      SELECT role, agency_id FROM identity_role_grants WHERE ${column} = ${id}
    ), tree AS (
      SELECT g.role, a.id AS agency_id FROM grants g JOIN identity_agencies a ON a.id = g.agency_id
      UNION
      SELECT t.role, child.id FROM tree t JOIN identity_agencies child ON child.parent_id = t.agency_id
    )
    SELECT role, agency_id, true AS direct FROM grants
    UNION ALL
    SELECT role, agency_id, false AS direct FROM tree`.execute(executor);
  return {
    grants: result.rows.filter((r) => r.direct).map(({ role, agency_id }) => ({ role, agency_id })),
    reach: result.rows.filter((r) => !r.direct || r.agency_id === null).map(({ role, agency_id }) => ({ role, agency_id })),
  };
}

/**
 * Accounts holding `role` for `agencyId`: granted in that agency, in an agency above it, or
 * platform-wide. Used to tell the people who will work a case.
 */
export async function holdersOfRole(executor: Executor, role: string, agencyId: string): Promise<Pick<User, 'id' | 'email' | 'phone' | 'display_name' | 'locale'>[]> {
  const result = await sql<Pick<User, 'id' | 'email' | 'phone' | 'display_name' | 'locale'>>`
    WITH RECURSIVE chain AS (
      SELECT id, parent_id FROM identity_agencies WHERE id = ${agencyId}
      UNION
      SELECT a.id, a.parent_id FROM identity_agencies a JOIN chain c ON a.id = c.parent_id
    )
    SELECT DISTINCT u.id, u.email, u.phone, u.display_name, u.locale
    FROM identity_role_grants g JOIN identity_users u ON u.id = g.user_id
    WHERE g.role = ${role} AND (g.agency_id IS NULL OR g.agency_id IN (SELECT id FROM chain)) AND u.disabled_at IS NULL`.execute(executor);
  return result.rows;
}

/**
 * The account of the person with this national ID, for a counter agent who has checked their ID
 * card. Two accounts on one person would make the choice a guess, so then there is no answer.
 */
export async function findPersonByNationalId(executor: Executor, nationalId: string): Promise<Pick<User, 'id' | 'party_id' | 'phone' | 'locale' | 'display_name'> | undefined> {
  const result = await sql<Pick<User, 'id' | 'party_id' | 'phone' | 'locale' | 'display_name'>>`
    SELECT u.id, u.party_id, u.phone, u.locale, u.display_name FROM identity_users u JOIN identity_parties p ON p.id = u.party_id
    WHERE p.kind = 'person' AND p.national_id = ${nationalId.trim()} AND u.disabled_at IS NULL LIMIT 2`.execute(executor);
  return result.rows.length === 1 ? result.rows[0] : undefined;
}

export async function findPartyById(executor: Executor, id: string): Promise<Party | undefined> {
  const result = await sql<Party>`SELECT * FROM identity_parties WHERE id = ${id}`.execute(executor);
  return result.rows[0];
}
