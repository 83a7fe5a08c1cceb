import type { Executor } from '../../platform/db/database.ts';
import { agenciesReached, hasAnyRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { listAgencies, type Agency } from '../identity/index.ts';

/** The agencies, by id, as identity lists them: few enough to read whole. */
export async function agencyIndex(executor: Executor): Promise<Map<string, Agency>> {
  return new Map((await listAgencies(executor)).map((a) => [a.id, a]));
}

export function agencyName(agency: Agency | undefined, locale: string): string {
  return agency ? (agency.names[locale] ?? agency.names.en ?? agency.code) : '';
}

/** The agency and every agency below it: what a statement of the agency may pay for. */
export function subtree(agencies: Map<string, Agency>, rootId: string): Set<string> {
  const out = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const agency of agencies.values()) {
      if (agency.parent_id && out.has(agency.parent_id) && !out.has(agency.id)) {
        out.add(agency.id);
        grew = true;
      }
    }
  }
  return out;
}

/** The agencies in which the principal holds one of `roles`, in the order identity lists them. */
export async function agenciesActedFor(executor: Executor, principal: Principal, roles: readonly string[]): Promise<Agency[]> {
  const reached = agenciesReached(principal, roles);
  const all = await listAgencies(executor);
  return reached === 'all' ? all : all.filter((a) => reached.has(a.id));
}

/** Throws 403 unless the principal holds one of `roles` for the agency. */
export function requireAgencyRole(principal: Principal, roles: readonly string[], agencyId: string, what: string): void {
  if (!hasAnyRole(principal, roles, agencyId)) throw Problem.forbidden(`${what} needs the role ${roles.join(' or ')} in the agency concerned.`);
}

/**
 * The agency a staff member means: the one named by its code (which they must act for), else the
 * only agency they hold one of `roles` in by a grant of their own. A grant reaches the agencies
 * below too, but those are chosen by name.
 */
export async function chosenAgency(executor: Executor, principal: Principal, roles: readonly string[], code: string | undefined, pointer: string): Promise<Agency> {
  const agencies = await listAgencies(executor);
  if (code) {
    const agency = agencies.find((a) => a.code === code);
    if (!agency) throw Problem.invalidField(pointer, 'is not the code of an agency', 'unknownAgency');
    requireAgencyRole(principal, roles, agency.id, 'This');
    return agency;
  }
  const own = new Set(principal.roles.filter((g) => roles.includes(g.role) && g.agencyId !== null).map((g) => g.agencyId));
  const only = own.size === 1 ? agencies.find((a) => own.has(a.id)) : undefined;
  if (!only) throw Problem.invalidField(pointer, 'choose the agency (by its code)', 'chooseAgency');
  return only;
}
