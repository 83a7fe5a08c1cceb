import { hasRole, type Principal } from '../../platform/http/access.ts';
import { factsOf } from './definition.ts';
import type { RecordData, Registry } from './store.ts';

/**
 * Who may read and write which fields of a registry. A rule names a role in an agency (and so in
 * every agency below it, as grants reach); a principal gets the union of the rules they match.
 * Writing a field implies reading it. The platform administrator may read and write everything
 * (and, like everyone, every read of personal data is logged).
 */
export interface FieldRights {
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
  /** The agency in whose name the principal works on this registry (null for the platform administrator). */
  agencyId: string | null;
}

export function fieldRights(principal: Principal | null, registry: Registry): FieldRights {
  const all = factsOf(registry.definition).fields;
  if (hasRole(principal, 'admin', null)) return { read: new Set(all), write: new Set(all), agencyId: null };
  const read = new Set<string>();
  const write = new Set<string>();
  let agencyId: string | null = null;
  for (const rule of registry.rules) {
    if (!hasRole(principal, rule.role, rule.agencyId)) continue;
    agencyId ??= rule.agencyId;
    for (const field of rule.read === '*' ? all : rule.read) read.add(field);
    for (const field of rule.write === '*' ? all : rule.write) {
      write.add(field);
      read.add(field);
    }
  }
  return { read, write, agencyId };
}

export function canSeeRegistry(principal: Principal | null, registry: Registry): boolean {
  return fieldRights(principal, registry).read.size > 0;
}

/** The record with only the fields the reader may see. */
export function visibleData(data: RecordData, readable: ReadonlySet<string>): RecordData {
  return Object.fromEntries(Object.entries(data).filter(([field]) => readable.has(field)));
}
