import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { hasRole, type Principal } from '../../platform/http/access.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { findAgencyByCode, grantableRoles, listAgencies } from '../identity/index.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ServiceDefinition } from './definition/schema.ts';
import { validateDefinition, validateDefinitionSource, type DefinitionProblem, type MeaningContext } from './definition/validate-definition.ts';

export const DEFINITION_PUBLISHED = 'registration.definition-published';
export const DEFINITION_RETIRED = 'registration.definition-retired';

export interface StoredDefinition {
  serviceId: string;
  version: number;
  agencyId: string;
  status: 'published' | 'retired';
  document: ServiceDefinition;
  publishedAt: Date;
  retiredAt: Date | null;
}

const COLUMNS = sql`service_id AS "serviceId", version, agency_id AS "agencyId", status, document, published_at AS "publishedAt", retired_at AS "retiredAt"`;

/** Roles and agencies as they are now, for checking what a definition refers to. */
export async function meaningContext(db: Executor): Promise<MeaningContext> {
  return { roles: new Set(grantableRoles().map((r) => r.name)), agencies: new Set((await listAgencies(db)).map((a) => a.code)) };
}

export class DefinitionInvalid extends Problem {
  constructor(readonly problems: DefinitionProblem[]) {
    super(400, `The service definition has ${problems.length} problem(s): ${problems.slice(0, 5).map((p) => `${p.pointer || '(document)'}${p.line ? ` (line ${p.line}, column ${p.column})` : ''}: ${p.message}`).join('; ')}${problems.length > 5 ? '; …' : ''}`, {
      title: 'Invalid service definition',
      errors: problems.map((p) => ({ pointer: p.pointer, reason: p.line ? `${p.message} (line ${p.line}, column ${p.column})` : p.message })),
      extensions: { problems },
    });
  }
}

export function digestOf(definition: ServiceDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/**
 * Publish a version. It takes effect at once in every app process (each reads the current
 * version from the database); applications already started keep their own version. Publishing
 * the same version with the same content again changes nothing.
 */
export async function publishDefinition(db: Db, jobs: JobQueue, input: { source?: string; data?: unknown }, principal: Principal | null, requestId: string | null): Promise<{ definition: StoredDefinition; created: boolean }> {
  const context = await meaningContext(db);
  const result = input.source !== undefined ? validateDefinitionSource(input.source, context) : validateDefinition(input.data, context);
  if (!result.valid) throw new DefinitionInvalid(result.problems);
  const definition = result.definition;
  const agency = (await findAgencyByCode(db, definition.agency))!;
  if (principal && !hasRole(principal, 'admin', null) && !hasRole(principal, 'agency-head', agency.id)) {
    throw Problem.forbidden('Only an administrator or the head of the owning agency may publish this service.');
  }
  const digest = digestOf(definition);
  return db.transaction().execute(async (trx) => {
    // Serialise publishers of the same service so version checks cannot race.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`definition:${definition.id}`}))`.execute(trx);
    const existing = await sql<{ version: number; digest: string; agency_id: string }>`
      SELECT version, digest, agency_id FROM registration_definitions WHERE service_id = ${definition.id} ORDER BY version DESC`.execute(trx);
    const same = existing.rows.find((r) => r.version === definition.version);
    if (same) {
      if (same.digest !== digest) throw Problem.conflict(`Version ${definition.version} of "${definition.id}" is already published with different content. Raise the version number.`);
      return { definition: (await findDefinition(trx, definition.id, definition.version))!, created: false };
    }
    const latest = existing.rows[0];
    if (latest && definition.version < latest.version) throw Problem.conflict(`Version ${latest.version} of "${definition.id}" exists; a new version must be higher.`);
    if (latest && latest.agency_id !== agency.id && principal && !hasRole(principal, 'admin', null)) {
      throw Problem.forbidden('This service belongs to another agency.');
    }
    await sql`
      INSERT INTO registration_definitions (service_id, version, agency_id, status, document, digest, published_by)
      VALUES (${definition.id}, ${definition.version}, ${agency.id}, 'published', ${JSON.stringify(definition)}::jsonb, ${digest}, ${principal?.id ?? null})`.execute(trx);
    await recordAudit(trx, { actor: actorOf(principal), agencyId: agency.id, action: 'registration.publish-definition', subjectType: 'service-definition', subjectId: `${definition.id}@${definition.version}`, requestId, change: definition });
    await jobs.emit(trx, DEFINITION_PUBLISHED, { serviceId: definition.id, version: definition.version }, { dedupeKey: `${definition.id}@${definition.version}` });
    return { definition: (await findDefinition(trx, definition.id, definition.version))!, created: true };
  });
}

/** Retire a version: new applications use the previous published version, if any (a roll-back). */
export async function retireDefinition(db: Db, jobs: JobQueue, serviceId: string, version: number, principal: Principal, requestId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const stored = await findDefinition(trx, serviceId, version);
    if (!stored) throw Problem.notFound('No such version of this service.');
    if (!hasRole(principal, 'admin', null) && !hasRole(principal, 'agency-head', stored.agencyId)) throw Problem.forbidden('Only an administrator or the head of the owning agency may retire this service.');
    if (stored.status === 'retired') return;
    await sql`UPDATE registration_definitions SET status = 'retired', retired_at = now() WHERE service_id = ${serviceId} AND version = ${version}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(principal), agencyId: stored.agencyId, action: 'registration.retire-definition', subjectType: 'service-definition', subjectId: `${serviceId}@${version}`, requestId });
    await jobs.emit(trx, DEFINITION_RETIRED, { serviceId, version }, { dedupeKey: `retire:${serviceId}@${version}` });
  });
}

export async function findDefinition(executor: Executor, serviceId: string, version: number): Promise<StoredDefinition | undefined> {
  const result = await sql<StoredDefinition>`SELECT ${COLUMNS} FROM registration_definitions WHERE service_id = ${serviceId} AND version = ${version}`.execute(executor);
  return result.rows[0];
}

/** The version new applications start on: the highest published one. */
export async function currentDefinition(executor: Executor, serviceId: string): Promise<StoredDefinition | undefined> {
  const result = await sql<StoredDefinition>`
    SELECT ${COLUMNS} FROM registration_definitions WHERE service_id = ${serviceId} AND status = 'published' ORDER BY version DESC LIMIT 1`.execute(executor);
  return result.rows[0];
}

export async function currentDefinitions(executor: Executor): Promise<StoredDefinition[]> {
  const result = await sql<StoredDefinition>`
    SELECT DISTINCT ON (service_id) ${COLUMNS} FROM registration_definitions WHERE status = 'published' ORDER BY service_id, version DESC`.execute(executor);
  return result.rows;
}

export async function definitionVersions(executor: Executor, serviceId: string): Promise<Omit<StoredDefinition, 'document'>[]> {
  const result = await sql<Omit<StoredDefinition, 'document'>>`
    SELECT service_id AS "serviceId", version, agency_id AS "agencyId", status, published_at AS "publishedAt", retired_at AS "retiredAt"
    FROM registration_definitions WHERE service_id = ${serviceId} ORDER BY version DESC`.execute(executor);
  return result.rows;
}
