import { parse } from 'csv-parse/sync';
import type { Db } from '../../platform/db/database.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { listAgencies } from '../identity/index.ts';
import { checkServiceRecord, type Channel, type DigitisationStatus, type LocalizedText, type ServiceRecord } from './service-record.ts';
import { StatusOutOfOrder, upsertService } from './store.ts';

/**
 * CSV columns. Texts come per language: `title_en`, `title_fr`, `description_ar`, …; lists
 * (channels, life events) are separated by semicolons.
 */
const PLAIN_COLUMNS = ['code', 'agency', 'status', 'status_since', 'channels', 'life_events', 'time_limit_days', 'definition_id'] as const;
const TEXT_COLUMNS = { title: 'titles', description: 'descriptions', legal_basis: 'legalBasis', eligibility: 'eligibility', documents: 'documents', fee_summary: 'feeSummary' } as const;
type TextField = (typeof TEXT_COLUMNS)[keyof typeof TEXT_COLUMNS];
const REQUIRED_COLUMNS = ['code', 'agency', 'status'];
export const MAX_IMPORT_ROWS = 5000;

export interface RowError {
  /** Line in the file, counting the header as line 1. */
  line: number;
  column: string;
  reason: string;
}

export interface ValidatedImport {
  records: ServiceRecord[];
  errors: RowError[];
}

function textColumn(name: string): { field: TextField; locale: string } | null {
  const match = /^([a-z_]+)_([a-z]{2})$/.exec(name);
  if (!match) return null;
  const field = TEXT_COLUMNS[match[1] as keyof typeof TEXT_COLUMNS];
  return field ? { field, locale: match[2]! } : null;
}

function columnFor(pointer: string): string {
  const [, head = '', sub] = pointer.split('/');
  const text = Object.entries(TEXT_COLUMNS).find(([, field]) => field === head)?.[0];
  if (text) return sub ? `${text}_${sub}` : `${text}_*`;
  return { agency: 'agency', timeLimitDays: 'time_limit_days', lifeEvents: 'life_events', statusSince: 'status_since' }[head] ?? head;
}

const list = (value: string) => value.split(';').map((v) => v.trim()).filter(Boolean);

/**
 * Check every row of a register export and report every problem at once (line and column), so
 * whoever prepared the file can fix it in one pass. Nothing is written here.
 */
export function validateImport(content: string, agencyCodes: ReadonlySet<string>, onProgress?: (done: number, total: number) => void): ValidatedImport {
  const errors: RowError[] = [];
  let rows: string[][];
  try {
    rows = parse(content.replace(/^\uFEFF/, ''), { relax_column_count: false, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 1;
    return { records: [], errors: [{ line, column: '', reason: `the file is not valid CSV: ${(err as Error).message}` }] };
  }
  const [header = [], ...body] = rows;
  const columns = header.map((h) => h.toLowerCase());
  columns.forEach((name) => {
    if (!(PLAIN_COLUMNS as readonly string[]).includes(name) && !textColumn(name)) errors.push({ line: 1, column: name, reason: 'is not a known column' });
  });
  for (const required of REQUIRED_COLUMNS) if (!columns.includes(required)) errors.push({ line: 1, column: required, reason: 'this column is required' });
  if (!columns.some((c) => textColumn(c)?.field === 'titles')) errors.push({ line: 1, column: 'title_*', reason: 'at least one title column (title_en, title_fr, …) is required' });
  if (body.length === 0) errors.push({ line: 2, column: '', reason: 'the file has no services' });
  if (body.length > MAX_IMPORT_ROWS) errors.push({ line: MAX_IMPORT_ROWS + 2, column: '', reason: `at most ${MAX_IMPORT_ROWS} services per file` });
  if (errors.length > 0) return { records: [], errors };

  const records: ServiceRecord[] = [];
  const seen = new Map<string, number>();
  body.forEach((cells, index) => {
    const line = index + 2;
    const value = (name: string) => cells[columns.indexOf(name)] ?? '';
    const texts: Record<TextField, LocalizedText> = { titles: {}, descriptions: {}, legalBasis: {}, eligibility: {}, documents: {}, feeSummary: {} };
    columns.forEach((name, i) => {
      const text = textColumn(name);
      if (text && cells[i]) texts[text.field][text.locale] = cells[i]!;
    });
    const limit = value('time_limit_days');
    if (limit !== '' && !/^\d+$/.test(limit)) errors.push({ line, column: 'time_limit_days', reason: 'must be a whole number of days' });
    const record: ServiceRecord = {
      code: value('code'),
      agencyCode: value('agency'),
      ...texts,
      timeLimitDays: limit === '' || !/^\d+$/.test(limit) ? null : Number(limit),
      channels: list(value('channels')) as Channel[],
      lifeEvents: list(value('life_events')),
      status: value('status') as DigitisationStatus,
      statusSince: value('status_since') || null,
      definitionId: value('definition_id') || null,
    };
    for (const problem of checkServiceRecord(record, agencyCodes)) errors.push({ line, column: columnFor(problem.pointer), reason: problem.reason });
    const earlier = seen.get(record.code);
    if (earlier) errors.push({ line, column: 'code', reason: `the same code is on line ${earlier}` });
    seen.set(record.code, line);
    records.push(record);
    if (onProgress && (index % 50 === 49 || index === body.length - 1)) onProgress(index + 1, body.length);
  });
  return { records: errors.length === 0 ? records : [], errors };
}

/** Problems only writing could find (the file is checked without the database): nothing is written. */
export class ImportRefused extends Error {
  constructor(readonly errors: RowError[]) {
    super('The import was refused.');
  }
}

export async function agencyCodes(db: Db): Promise<Map<string, string>> {
  return new Map((await listAgencies(db)).map((a) => [a.code, a.id]));
}

/**
 * Write a validated import in one transaction: every service or none. Progress is reported
 * outside the transaction (the callback uses its own connection), so a watcher sees it move.
 */
export async function applyImport(db: Db, records: ServiceRecord[], actor: AuditActor, requestId: string | null, onProgress?: (done: number, total: number) => Promise<void> | void): Promise<{ created: number; updated: number }> {
  const agencies = await agencyCodes(db);
  return db.transaction().execute(async (trx) => {
    let created = 0;
    for (const [index, record] of records.entries()) {
      const result = await upsertService(trx, record, agencies.get(record.agencyCode)!).catch((err: unknown) => {
        throw err instanceof StatusOutOfOrder ? new ImportRefused([{ line: index + 2, column: 'status_since', reason: err.message }]) : err;
      });
      if (result.created) created += 1;
      if (onProgress && (index % 50 === 49 || index === records.length - 1)) await onProgress(index + 1, records.length);
    }
    await recordAudit(trx, {
      actor,
      action: 'catalogue.import-services',
      subjectType: 'catalogue',
      requestId,
      details: { services: records.length, created, updated: records.length - created },
      change: records,
    });
    return { created, updated: records.length - created };
  });
}
