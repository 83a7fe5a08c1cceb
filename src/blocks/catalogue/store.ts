import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { DigitisationStatus, LocalizedText, ServiceRecord } from './service-record.ts';

export interface StoredService extends Omit<ServiceRecord, 'agencyCode'> {
  id: string;
  agencyId: string;
  updatedAt: Date;
}

const COLUMNS = sql`id, code, agency_id AS "agencyId", titles, descriptions, legal_basis AS "legalBasis", eligibility,
  documents, fee_summary AS "feeSummary", time_limit_days AS "timeLimitDays", channels, life_events AS "lifeEvents",
  status, definition_id AS "definitionId", updated_at AS "updatedAt"`;

function searchText(record: ServiceRecord): string {
  const texts = [record.titles, record.descriptions, record.eligibility, record.documents].flatMap((t: LocalizedText) => Object.values(t));
  return [record.code.replace(/-/g, ' '), ...texts].join(' ');
}

/**
 * Insert or update a service by code. Returns whether its digitisation status changed (a new
 * service counts as a change), which is recorded for the status-over-time figures.
 */
export async function upsertService(executor: Executor, record: ServiceRecord, agencyId: string): Promise<{ id: string; created: boolean; statusChanged: boolean }> {
  const previous = await sql<{ id: string; status: DigitisationStatus }>`SELECT id, status FROM catalogue_services WHERE code = ${record.code} FOR UPDATE`.execute(executor);
  const before = previous.rows[0];
  const id = before?.id ?? randomUUID();
  const json = (t: LocalizedText) => JSON.stringify(t);
  await sql`
    INSERT INTO catalogue_services (id, code, agency_id, titles, descriptions, legal_basis, eligibility, documents, fee_summary,
                                    time_limit_days, channels, life_events, status, definition_id, search)
    VALUES (${id}, ${record.code}, ${agencyId}, ${json(record.titles)}::jsonb, ${json(record.descriptions)}::jsonb,
            ${json(record.legalBasis)}::jsonb, ${json(record.eligibility)}::jsonb, ${json(record.documents)}::jsonb,
            ${json(record.feeSummary)}::jsonb, ${record.timeLimitDays}, ${record.channels}::text[], ${record.lifeEvents}::text[],
            ${record.status}, ${record.definitionId}, to_tsvector('simple', ${searchText(record)}))
    ON CONFLICT (code) DO UPDATE SET
      agency_id = EXCLUDED.agency_id, titles = EXCLUDED.titles, descriptions = EXCLUDED.descriptions,
      legal_basis = EXCLUDED.legal_basis, eligibility = EXCLUDED.eligibility, documents = EXCLUDED.documents,
      fee_summary = EXCLUDED.fee_summary, time_limit_days = EXCLUDED.time_limit_days, channels = EXCLUDED.channels,
      life_events = EXCLUDED.life_events, status = EXCLUDED.status, definition_id = EXCLUDED.definition_id,
      search = EXCLUDED.search, updated_at = now()`.execute(executor);
  const statusChanged = before?.status !== record.status;
  if (statusChanged) {
    const since = record.statusSince ? new Date(`${record.statusSince}T00:00:00Z`) : new Date();
    // The history must read in the order things happened, or a month's status would not be the service's.
    const last = await sql<{ at: Date }>`SELECT max(changed_at) AS at FROM catalogue_status_changes WHERE service_id = ${id}`.execute(executor);
    const lastAt = last.rows[0]?.at;
    if (lastAt && since <= lastAt) throw new StatusOutOfOrder(lastAt);
    await sql`INSERT INTO catalogue_status_changes (service_id, agency_id, status, changed_at) VALUES (${id}, ${agencyId}, ${record.status}, ${since})`.execute(executor);
  }
  return { id, created: !before, statusChanged };
}

/** A status dated before the one already recorded for the service. */
export class StatusOutOfOrder extends Error {
  constructor(readonly lastChange: Date) {
    super(`must be after ${lastChange.toISOString().slice(0, 10)}, when the service's status was last recorded`);
  }
}

export interface ServiceQuery {
  /** Words in any language; each must match the start of a word in the service's texts. */
  text?: string;
  agencyIds?: string[];
  lifeEvent?: string;
  status?: DigitisationStatus;
  /** Keyset pagination over codes. */
  afterCode?: string;
  limit: number;
}

/** Words to a prefix query: letters and digits of any script only, so the input cannot inject tsquery syntax. */
export function toPrefixQuery(text: string): string | null {
  const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.length === 0 ? null : words.slice(0, 10).map((w) => `${w}:*`).join(' & ');
}

function whereClause(query: Omit<ServiceQuery, 'limit'>) {
  const conditions = [sql`true`];
  const tsquery = query.text ? toPrefixQuery(query.text) : null;
  if (tsquery) conditions.push(sql`search @@ to_tsquery('simple', ${tsquery})`);
  if (query.agencyIds) conditions.push(sql`agency_id = ANY(${query.agencyIds}::uuid[])`);
  if (query.lifeEvent) conditions.push(sql`life_events @> ARRAY[${query.lifeEvent}]::text[]`);
  if (query.status) conditions.push(sql`status = ${query.status}`);
  if (query.afterCode) conditions.push(sql`code > ${query.afterCode}`);
  return sql.join(conditions, sql` AND `);
}

export async function findServices(executor: Executor, query: ServiceQuery): Promise<StoredService[]> {
  const result = await sql<StoredService>`
    SELECT ${COLUMNS} FROM catalogue_services WHERE ${whereClause(query)} ORDER BY code LIMIT ${query.limit}`.execute(executor);
  return result.rows;
}

export async function countServices(executor: Executor, query: Omit<ServiceQuery, 'afterCode' | 'limit'>): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM catalogue_services WHERE ${whereClause(query)}`.execute(executor);
  return result.rows[0]?.n ?? 0;
}

export async function findServiceByCode(executor: Executor, code: string): Promise<StoredService | undefined> {
  const result = await sql<StoredService>`SELECT ${COLUMNS} FROM catalogue_services WHERE code = ${code}`.execute(executor);
  return result.rows[0];
}

export interface DigitisationCount {
  agencyId: string;
  status: DigitisationStatus;
  count: number;
}

export async function digitisationCounts(executor: Executor): Promise<DigitisationCount[]> {
  const result = await sql<DigitisationCount>`
    SELECT agency_id AS "agencyId", status, count(*)::int AS count FROM catalogue_services GROUP BY agency_id, status`.execute(executor);
  return result.rows;
}

export interface DigitisationMonth {
  /** First day of the month, `YYYY-MM-01`; the counts are as at the month's end (or now, for this month). */
  month: string;
  agencyId: string;
  status: DigitisationStatus;
  count: number;
}

/**
 * How many services of the register were in each status at the end of each month from `from` to
 * `to` (both `YYYY-MM-DD`), per agency: each service counts in the status of its last change
 * before the month ended, so a service counts from the month it was first recorded.
 */
export async function digitisationHistory(executor: Executor, period: { from: string; to: string; agencyIds?: readonly string[] }): Promise<DigitisationMonth[]> {
  const result = await sql<DigitisationMonth>`
    SELECT to_char(m.month, 'YYYY-MM-DD') AS month, c.agency_id AS "agencyId", c.status, count(*)::int AS count
    FROM generate_series(date_trunc('month', ${period.from}::date), date_trunc('month', ${period.to}::date), interval '1 month') AS m(month)
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (service_id) agency_id, status FROM catalogue_status_changes
      WHERE changed_at < m.month + interval '1 month'
      ORDER BY service_id, changed_at DESC, id DESC
    ) c
    ${period.agencyIds ? sql`WHERE c.agency_id = ANY(${period.agencyIds}::uuid[])` : sql``}
    GROUP BY m.month, c.agency_id, c.status
    ORDER BY m.month, c.agency_id, c.status`.execute(executor);
  return result.rows;
}
