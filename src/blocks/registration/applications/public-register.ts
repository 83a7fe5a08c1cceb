import { sql } from 'kysely';
import type { Executor } from '../../../platform/db/database.ts';
import { grantedCases } from '../../workflow/index.ts';
import { currentDefinition } from '../definitions.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import type { FormValue } from './form-engine.ts';

/** One granted application as anyone may read it: no applicant, only the answers the definition makes public. */
export interface RegisterEntry {
  trackingNumber: string;
  grantedAt: Date;
  values: Record<string, FormValue | null>;
  /** Where the next page starts, as `before`. */
  position: string;
}

export const REGISTER_POSITION = '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)\\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$';

/**
 * The public register of a service, the latest grant first: null when the service keeps none.
 * The columns are the current definition's `register.fields`, read from each granted application.
 */
export async function publicRegister(executor: Executor, serviceId: string, page: { before?: string; limit: number }): Promise<{ definition: ServiceDefinition; entries: RegisterEntry[] } | null> {
  const current = await currentDefinition(executor, serviceId);
  const fields = current?.document.register?.fields;
  if (!current || !fields) return null;
  const cursor = page.before ? new RegExp(REGISTER_POSITION).exec(page.before) : null;
  const cases = await grantedCases(executor, { serviceId, subjectType: 'application', limit: page.limit, ...(cursor ? { before: { grantedAt: new Date(cursor[1]!), id: cursor[2]! } } : {}) });
  if (cases.length === 0) return { definition: current.document, entries: [] };
  const rows = await sql<{ id: string; tracking_number: string; data: Record<string, FormValue> }>`
    SELECT id, tracking_number, data FROM registration_applications WHERE id = ANY(${cases.map((c) => c.subjectId)}::uuid[])`.execute(executor);
  const byId = new Map(rows.rows.map((r) => [r.id, r]));
  const entries = cases.flatMap((c) => {
    const row = byId.get(c.subjectId);
    if (!row) return [];
    return [{ trackingNumber: row.tracking_number, grantedAt: c.grantedAt, values: Object.fromEntries(fields.map((f) => [f, row.data[f] ?? null])), position: `${c.grantedAt.toISOString()}|${c.caseId}` }];
  });
  return { definition: current.document, entries };
}
