import type { Db } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { CITIZEN_ROLE, grantableRoles, listAgencies } from '../identity/index.ts';
import { checkDefinition, factsOf, type FieldRule, type RegistryDefinition } from './definition.ts';
import { findRegistry, saveDefinition, syncIndexes, type Registry } from './store.ts';

/** A definition as text with its keys sorted (jsonb keeps its own key order), without its version. */
function canonical(definition: RegistryDefinition): string {
  const { version: _version, ...rest } = definition;
  return JSON.stringify(rest, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value,
  );
}

/**
 * Create a registry, or give it a new version, from its definition document: no code, no
 * restart. Records keep the version they were written under; new writes are checked against the
 * new one. Saving the same document again changes nothing.
 */
export async function defineRegistry(db: Db, input: unknown, acting: { actor: AuditActor; requestId: string | null }, pointer = '/body'): Promise<{ registry: Registry; created: boolean; changed: boolean }> {
  const agencies = await listAgencies(db);
  const agencyIds = new Map(agencies.map((a) => [a.code, a.id]));
  const roles = new Set([...grantableRoles().map((r) => r.name), CITIZEN_ROLE]);
  const code = typeof input === 'object' && input !== null && typeof (input as { code?: unknown }).code === 'string' ? (input as { code: string }).code : null;
  const before = code ? await findRegistry(db, code) : undefined;
  const checked = checkDefinition(input, { agencies: new Set(agencyIds.keys()), roles, currentVersion: before?.version ?? null }, pointer);
  if (!checked.definition) {
    throw Problem.badRequest(`The registry definition is invalid: ${checked.problems.map((p) => `${p.pointer} ${p.reason}`).join('; ')}.`, checked.problems);
  }
  const definition = checked.definition;
  return db.transaction().execute(async (trx) => {
    const existing = await findRegistry(trx, definition.code, { forUpdate: true });
    if (existing && canonical(existing.definition) === canonical(definition) && definition.version === undefined) return { registry: existing, created: false, changed: false };
    if (existing && definition.version !== undefined && definition.version <= existing.version) {
      throw Problem.invalidField(`${pointer}/version`, `must be above the current version, ${existing.version}`);
    }
    const version = definition.version ?? (existing ? existing.version + 1 : 1);
    const rules: FieldRule[] = definition.access.map((rule) => ({ role: rule.role, agencyId: agencyIds.get(rule.agency)!, read: rule.read ?? [], write: rule.write ?? [] }));
    const stored = { ...definition, version };
    const registry = await saveDefinition(trx, { existing, agencyId: agencyIds.get(definition.agency)!, version, definition: stored, rules, actor: acting.actor });
    try {
      await syncIndexes(trx, registry.id, existing ? factsOf(existing.definition) : null, factsOf(stored));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw Problem.invalidField(`${pointer}/key`, `existing records share values of "${definition.key}", so it cannot be the key`);
      throw err;
    }
    await recordAudit(trx, {
      actor: acting.actor,
      agencyId: registry.agencyId,
      action: existing ? 'registries.change-definition' : 'registries.create-registry',
      subjectType: 'registry',
      subjectId: registry.code,
      requestId: acting.requestId,
      details: { version },
      change: stored,
    });
    return { registry, created: !existing, changed: true };
  });
}
