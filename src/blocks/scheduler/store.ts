import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';

export type ResourceKind = 'inspector' | 'room' | 'vehicle';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['inspector', 'room', 'vehicle'];

export interface Resource {
  id: string;
  agencyId: string;
  kind: ResourceKind;
  code: string;
  name: string;
  /** The officer account an inspector is, so their own agenda shows their bookings. */
  officerUserId: string | null;
  active: boolean;
}

export interface WorkingRange {
  weekday: number;
  opensMinute: number;
  closesMinute: number;
}

export interface Holiday {
  day: string;
  names: Record<string, string>;
}

export interface Attendee {
  /** The account of the person, who may then see and reschedule the booking. */
  userId?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  locale: string;
}

export interface Subject {
  type: string;
  id: string;
}

export interface Booking {
  id: string;
  agencyId: string;
  resourceId: string;
  subject: Subject;
  title: string;
  start: Date;
  end: Date;
  status: 'booked' | 'cancelled';
  attendees: Attendee[];
  reschedules: number;
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgencyCalendar {
  timezone: string;
  bufferMinutes: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const resourceOf = (r: any): Resource => ({ id: r.id, agencyId: r.agency_id, kind: r.kind, code: r.code, name: r.name, officerUserId: r.officer_user_id, active: r.active });
const bookingOf = (r: any): Booking => ({
  id: r.id,
  agencyId: r.agency_id,
  resourceId: r.resource_id,
  subject: { type: r.subject_type, id: r.subject_id },
  title: r.title,
  start: r.starts_at,
  end: r.ends_at,
  status: r.status,
  attendees: r.attendees,
  reschedules: r.reschedules,
  cancelReason: r.cancel_reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
/* eslint-enable @typescript-eslint/no-explicit-any */

export async function calendarOf(executor: Executor, agencyId: string): Promise<AgencyCalendar | null> {
  const row = (await sql<{ timezone: string; buffer_minutes: number }>`SELECT timezone, buffer_minutes FROM scheduler_agencies WHERE agency_id = ${agencyId}`.execute(executor)).rows[0];
  return row ? { timezone: row.timezone, bufferMinutes: row.buffer_minutes } : null;
}

export async function saveCalendar(executor: Executor, agencyId: string, calendar: AgencyCalendar): Promise<void> {
  await sql`INSERT INTO scheduler_agencies (agency_id, timezone, buffer_minutes) VALUES (${agencyId}, ${calendar.timezone}, ${calendar.bufferMinutes})
            ON CONFLICT (agency_id) DO UPDATE SET timezone = EXCLUDED.timezone, buffer_minutes = EXCLUDED.buffer_minutes`.execute(executor);
}

/** Replace the weekly hours of an agency (resourceId null) or of one resource. */
export async function replaceHours(executor: Executor, agencyId: string, resourceId: string | null, ranges: WorkingRange[]): Promise<void> {
  await sql`DELETE FROM scheduler_hours WHERE agency_id = ${agencyId} AND resource_id IS NOT DISTINCT FROM ${resourceId}`.execute(executor);
  for (const r of ranges) {
    await sql`INSERT INTO scheduler_hours (agency_id, resource_id, weekday, opens_minute, closes_minute) VALUES (${agencyId}, ${resourceId}, ${r.weekday}, ${r.opensMinute}, ${r.closesMinute})`.execute(executor);
  }
}

/** The agency's hours and every resource's own, keyed by resource id ('' for the agency's). */
export async function hoursOf(executor: Executor, agencyId: string): Promise<Map<string, WorkingRange[]>> {
  const rows = (await sql<{ resource_id: string | null; weekday: number; opens_minute: number; closes_minute: number }>`
    SELECT resource_id, weekday, opens_minute, closes_minute FROM scheduler_hours WHERE agency_id = ${agencyId} ORDER BY weekday, opens_minute`.execute(executor)).rows;
  const out = new Map<string, WorkingRange[]>();
  for (const r of rows) {
    const key = r.resource_id ?? '';
    out.set(key, [...(out.get(key) ?? []), { weekday: r.weekday, opensMinute: r.opens_minute, closesMinute: r.closes_minute }]);
  }
  return out;
}

export async function saveHoliday(executor: Executor, agencyId: string, holiday: Holiday): Promise<void> {
  await sql`INSERT INTO scheduler_holidays (agency_id, day, names) VALUES (${agencyId}, ${holiday.day}::date, ${JSON.stringify(holiday.names)}::jsonb)
            ON CONFLICT (agency_id, day) DO UPDATE SET names = EXCLUDED.names`.execute(executor);
}

export async function deleteHoliday(executor: Executor, agencyId: string, day: string): Promise<boolean> {
  const result = await sql`DELETE FROM scheduler_holidays WHERE agency_id = ${agencyId} AND day = ${day}::date`.execute(executor);
  return Number(result.numAffectedRows ?? 0) > 0;
}

export async function holidaysOf(executor: Executor, agencyId: string, from: string, to: string): Promise<Holiday[]> {
  const rows = (await sql<{ day: string; names: Record<string, string> }>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, names FROM scheduler_holidays
    WHERE agency_id = ${agencyId} AND day BETWEEN ${from}::date AND ${to}::date ORDER BY day`.execute(executor)).rows;
  return rows;
}

export async function insertResource(executor: Executor, r: Omit<Resource, 'active'>): Promise<Resource> {
  const row = (await sql`INSERT INTO scheduler_resources (id, agency_id, kind, code, name, officer_user_id) VALUES (${r.id}, ${r.agencyId}, ${r.kind}, ${r.code}, ${r.name}, ${r.officerUserId})
                         ON CONFLICT (agency_id, code) DO NOTHING RETURNING *`.execute(executor)).rows[0];
  return row ? resourceOf(row) : (await findResourceByCode(executor, r.agencyId, r.code))!;
}

export async function findResource(executor: Executor, id: string): Promise<Resource | null> {
  const row = (await sql`SELECT * FROM scheduler_resources WHERE id = ${id}`.execute(executor)).rows[0];
  return row ? resourceOf(row) : null;
}

export async function findResourceByCode(executor: Executor, agencyId: string, code: string): Promise<Resource | null> {
  const row = (await sql`SELECT * FROM scheduler_resources WHERE agency_id = ${agencyId} AND code = ${code}`.execute(executor)).rows[0];
  return row ? resourceOf(row) : null;
}

export async function resourcesOf(executor: Executor, agencyId: string, kind?: ResourceKind): Promise<Resource[]> {
  const rows = (await sql`SELECT * FROM scheduler_resources WHERE agency_id = ${agencyId} AND active ${kind ? sql`AND kind = ${kind}` : sql``} ORDER BY code`.execute(executor)).rows;
  return rows.map(resourceOf);
}

/** Live bookings of these resources that touch [from, to), buffer included. */
export async function heldRanges(executor: Executor, resourceIds: string[], from: Date, to: Date): Promise<{ resourceId: string; from: Date; to: Date }[]> {
  if (resourceIds.length === 0) return [];
  const rows = (await sql<{ resource_id: string; lo: Date; hi: Date }>`
    SELECT resource_id, lower(held) AS lo, upper(held) AS hi FROM scheduler_bookings
    WHERE status = 'booked' AND resource_id = ANY(${resourceIds}::uuid[]) AND held && tstzrange(${from}, ${to})`.execute(executor)).rows;
  return rows.map((r) => ({ resourceId: r.resource_id, from: r.lo, to: r.hi }));
}

export async function insertBooking(executor: Executor, b: Omit<Booking, 'status' | 'reschedules' | 'cancelReason' | 'createdAt' | 'updatedAt'> & { bufferMinutes: number; idempotencyKey: string | null; createdBy: AuditActor }): Promise<Booking> {
  const row = (await sql`
    INSERT INTO scheduler_bookings (id, agency_id, resource_id, subject_type, subject_id, title, starts_at, ends_at, held, attendees, idempotency_key, created_by)
    VALUES (${b.id}, ${b.agencyId}, ${b.resourceId}, ${b.subject.type}, ${b.subject.id}, ${b.title}, ${b.start}, ${b.end},
            tstzrange(${b.start}, ${b.end}::timestamptz + make_interval(mins => ${b.bufferMinutes})), ${JSON.stringify(b.attendees)}::jsonb, ${b.idempotencyKey}, ${JSON.stringify(b.createdBy)}::jsonb)
    RETURNING *`.execute(executor)).rows[0];
  return bookingOf(row);
}

export async function moveBooking(executor: Executor, id: string, start: Date, end: Date, bufferMinutes: number): Promise<Booking> {
  const row = (await sql`
    UPDATE scheduler_bookings SET starts_at = ${start}, ends_at = ${end}, held = tstzrange(${start}, ${end}::timestamptz + make_interval(mins => ${bufferMinutes})),
           reschedules = reschedules + 1, updated_at = now()
    WHERE id = ${id} RETURNING *`.execute(executor)).rows[0];
  return bookingOf(row);
}

export async function markCancelled(executor: Executor, id: string, reason: string): Promise<Booking> {
  const row = (await sql`UPDATE scheduler_bookings SET status = 'cancelled', cancel_reason = ${reason}, updated_at = now() WHERE id = ${id} RETURNING *`.execute(executor)).rows[0];
  return bookingOf(row);
}

export async function findBooking(executor: Executor, id: string, opts: { forUpdate?: boolean } = {}): Promise<Booking | null> {
  const row = (await sql`SELECT * FROM scheduler_bookings WHERE id = ${id} ${opts.forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor)).rows[0];
  return row ? bookingOf(row) : null;
}

export async function findBookingByKey(executor: Executor, key: string): Promise<Booking | null> {
  const row = (await sql`SELECT * FROM scheduler_bookings WHERE idempotency_key = ${key}`.execute(executor)).rows[0];
  return row ? bookingOf(row) : null;
}

export async function bookingsOfSubject(executor: Executor, subject: Subject): Promise<Booking[]> {
  const rows = (await sql`SELECT * FROM scheduler_bookings WHERE subject_type = ${subject.type} AND subject_id = ${subject.id} ORDER BY starts_at`.execute(executor)).rows;
  return rows.map(bookingOf);
}

export async function bookingsOfResource(executor: Executor, resourceId: string, from: Date, to: Date): Promise<Booking[]> {
  const rows = (await sql`SELECT * FROM scheduler_bookings WHERE resource_id = ${resourceId} AND starts_at < ${to} AND ends_at > ${from} ORDER BY starts_at`.execute(executor)).rows;
  return rows.map(bookingOf);
}
