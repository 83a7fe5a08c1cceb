/**
 * Roles a grant may name. A grant ties a role to an agency (and so to every agency below it) or,
 * with no agency, to the whole platform. Blocks add their own roles with `defineRole`.
 */
const roles = new Map<string, string>([
  ['admin', 'Platform administrator: agencies, accounts, roles, API clients, the job queue'],
  ['agency-head', 'Head of an agency: sees its cases, staff, audit log and performance'],
  ['officer', 'Works cases for an agency'],
  ['auditor', 'Reads the audit log of an agency'],
  ['metrics-reader', 'Scrapes /metrics (monitoring systems)'],
]);

/** Not granted: every account that is a person or organisation holds it implicitly. */
export const CITIZEN_ROLE = 'citizen';

export function defineRole(name: string, description: string): void {
  if (!/^[a-z][a-z0-9-]{1,39}$/.test(name)) throw new Error(`Role name "${name}" must be lower-case letters, digits and dashes`);
  roles.set(name, description);
}

export function isGrantableRole(name: string): boolean {
  return roles.has(name);
}

export function grantableRoles(): { name: string; description: string }[] {
  return [...roles].map(([name, description]) => ({ name, description }));
}
