import type { FastifyRequest } from 'fastify';
import { Problem } from './problem.ts';

/**
 * Who is calling. Identity builds it from a session cookie or an API client's bearer token; the
 * platform only reads it. A role grant applies to its agency and every agency below it; a grant
 * with no agency is platform-wide.
 */
export interface RoleGrant {
  role: string;
  agencyId: string | null;
}

export interface Principal {
  kind: 'user' | 'api-client';
  id: string;
  displayName: string;
  /** The person or organisation this account is, when it is a citizen or business account. */
  partyId: string | null;
  locale: string | null;
  roles: RoleGrant[];
  /** Agencies each role reaches, grants expanded down the agency hierarchy. */
  reach: Map<string, Set<string> | 'all'>;
  sessionId: string | null;
}

/**
 * Every route declares one of these in `config.access`; a hook refuses the request before the
 * handler runs. Checks that depend on the record (whose application, which agency's case) are
 * made by the use case with `requireRole` / `canActFor`, after loading the record.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'roles'; roles: readonly string[] };

export const access = {
  /** Anyone, signed in or not. */
  public: { kind: 'public' } as AccessRule,
  /** Any signed-in person or API client. */
  signedIn: { kind: 'signed-in' } as AccessRule,
  /** A principal holding at least one of these roles in some agency (or platform-wide). */
  roles: (...roles: string[]): AccessRule => ({ kind: 'roles', roles }),
};

export function hasRole(principal: Principal | null, role: string, agencyId?: string | null): boolean {
  if (!principal) return false;
  const reach = principal.reach.get(role);
  if (!reach) return false;
  if (agencyId === undefined) return true;
  return reach === 'all' || (agencyId !== null && reach.has(agencyId));
}

export function hasAnyRole(principal: Principal | null, roles: readonly string[], agencyId?: string | null): boolean {
  return roles.some((role) => hasRole(principal, role, agencyId));
}

/** Agencies in which the principal holds any of `roles`; 'all' for platform-wide grants. */
export function agenciesReached(principal: Principal | null, roles: readonly string[]): Set<string> | 'all' {
  const out = new Set<string>();
  for (const role of roles) {
    const reach = principal?.reach.get(role);
    if (reach === 'all') return 'all';
    reach?.forEach((id) => out.add(id));
  }
  return out;
}

export function checkAccess(rule: AccessRule, principal: Principal | null): void {
  if (rule.kind === 'public') return;
  if (!principal) throw Problem.unauthorized();
  if (rule.kind === 'roles' && !hasAnyRole(principal, rule.roles)) {
    throw Problem.forbidden(`This needs one of these roles: ${rule.roles.join(', ')}.`);
  }
}

/** Throws 403 unless the principal holds `role` for `agencyId`. */
export function requireRole(request: FastifyRequest, roles: readonly string[], agencyId: string | null): Principal {
  const principal = request.principal;
  if (!principal) throw Problem.unauthorized();
  if (!hasAnyRole(principal, roles, agencyId)) throw Problem.forbidden('This record belongs to an agency you do not act for.');
  return principal;
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw Problem.unauthorized();
  return request.principal;
}
