import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { freeSlots } from './free-slots.ts';
import { scheduleReminder } from './reminders.ts';
import { calendarOf, findBooking, findBookingByKey, findResource, insertBooking, markCancelled, moveBooking, type Attendee, type Booking, type ResourceKind, type Subject } from './store.ts';

export interface SchedulerDeps {
  db: Db;
  jobs: JobQueue;
  /** How long before the start attendees are reminded; 24 hours by default. */
  reminderLeadMinutes?: number;
}

export interface BookingRequest {
  agencyId: string;
  kind: ResourceKind;
  /** A particular resource; by default the first free one of the kind. */
  resourceId?: string;
  start: Date;
  durationMinutes: number;
  subject: Subject;
  attendees: Attendee[];
  title: string;
  /** A retried request with the same key returns the first booking instead of making another. */
  idempotencyKey?: string;
  actor: AuditActor;
  requestId?: string | null;
}

export const BOOKED_EVENT = 'scheduler.booked';
export const RESCHEDULED_EVENT = 'scheduler.rescheduled';
export const CANCELLED_EVENT = 'scheduler.cancelled';
export const DEFAULT_MAX_RESCHEDULES = 2;
const NO_OVERLAP = 'scheduler_bookings_no_overlap';
const SAME_KEY = 'scheduler_bookings_idempotency_key_key';

/** The one conflict a caller can mend by choosing another time; its code tells it from the others (cancelled, moved too often). */
const SLOT_TAKEN = 'slotTaken';
const slotTaken = () => new Problem(409, 'This time is no longer free: choose another slot.', { extensions: { code: SLOT_TAKEN } });
export const isSlotTaken = (err: unknown): boolean => err instanceof Problem && err.extensions.code === SLOT_TAKEN;

function isOverlap(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23P01' && e.constraint === NO_OVERLAP;
}

function isSameKey(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === SAME_KEY;
}

/** Run in the caller's transaction, or in a new one. */
function inTransaction<T>(executor: Executor, work: (trx: Tx) => Promise<T>): Promise<T> {
  return executor.isTransaction ? work(executor as Tx) : (executor as Db).transaction().execute(work);
}

/** The resources that could take this booking: free now, by the hours, holidays and bookings. */
async function candidates(executor: Executor, req: { agencyId: string; kind: ResourceKind; resourceId?: string; start: Date; durationMinutes: number }): Promise<string[]> {
  const end = new Date(req.start.getTime() + req.durationMinutes * 60_000);
  const slots = await freeSlots(executor, { agencyId: req.agencyId, kind: req.kind, from: req.start, to: end, durationMinutes: req.durationMinutes, resourceId: req.resourceId, stepMinutes: 1 });
  return slots.find((s) => s.start.getTime() === req.start.getTime())?.resourceIds ?? [];
}

/**
 * Insert under a savepoint, so that losing a race to another booking (the exclusion constraint)
 * leaves the caller's transaction usable for the next resource or for its own error handling.
 */
async function tryInsert(trx: Tx, values: Parameters<typeof insertBooking>[1]): Promise<{ booking: Booking; earlier: boolean } | null> {
  await sql`SAVEPOINT scheduler_book`.execute(trx);
  try {
    const booking = await insertBooking(trx, values);
    await sql`RELEASE SAVEPOINT scheduler_book`.execute(trx);
    return { booking, earlier: false };
  } catch (err) {
    await sql`ROLLBACK TO SAVEPOINT scheduler_book`.execute(trx);
    if (!isOverlap(err) && !isSameKey(err)) throw err;
    // A retry that ran alongside the first request: either constraint waited for that one to commit.
    const earlier = values.idempotencyKey ? await findBookingByKey(trx, values.idempotencyKey) : null;
    if (earlier) return { booking: earlier, earlier: true };
    if (isOverlap(err)) return null;
    throw err;
  }
}

function checkAttendees(attendees: Attendee[]): void {
  if (attendees.length > 20) throw Problem.invalidField('/attendees', 'at most 20 attendees');
}

export async function bookSlot(deps: SchedulerDeps, executor: Executor, req: BookingRequest): Promise<Booking> {
  checkAttendees(req.attendees);
  if (!req.title.trim() || req.title.length > 200) throw Problem.invalidField('/title', 'must be 1 to 200 characters');
  return inTransaction(executor, async (trx) => {
    if (req.idempotencyKey) {
      const earlier = await findBookingByKey(trx, req.idempotencyKey);
      if (earlier) return earlier;
    }
    const calendar = await calendarOf(trx, req.agencyId);
    if (!calendar) throw Problem.conflict('This agency takes no bookings: it has no working hours.');
    const free = await candidates(trx, req);
    if (free.length === 0) throw slotTaken();
    const end = new Date(req.start.getTime() + req.durationMinutes * 60_000);
    for (const resourceId of free) {
      const inserted = await tryInsert(trx, { id: randomUUID(), agencyId: req.agencyId, resourceId, subject: req.subject, title: req.title.trim(), start: req.start, end, attendees: req.attendees, bufferMinutes: calendar.bufferMinutes, idempotencyKey: req.idempotencyKey ?? null, createdBy: req.actor });
      if (!inserted) continue;
      const { booking } = inserted;
      if (inserted.earlier) return booking;
      await recordAudit(trx, { actor: req.actor, agencyId: req.agencyId, action: 'scheduler.book', subjectType: 'booking', subjectId: booking.id, requestId: req.requestId ?? null, details: { resourceId, start: booking.start.toISOString(), end: booking.end.toISOString(), about: req.subject }, change: { title: booking.title, attendees: booking.attendees.length } });
      await deps.jobs.emit(trx, BOOKED_EVENT, eventOf(booking), { dedupeKey: `${booking.id}:0` });
      await scheduleReminder(deps, trx, booking);
      return booking;
    }
    throw slotTaken();
  });
}

function eventOf(booking: Booking): Record<string, unknown> {
  return { bookingId: booking.id, agencyId: booking.agencyId, resourceId: booking.resourceId, subject: booking.subject, start: booking.start.toISOString(), end: booking.end.toISOString() };
}

export async function rescheduleBooking(deps: SchedulerDeps, executor: Executor, id: string, newStart: Date, actor: AuditActor, opts: { maxReschedules?: number; requestId?: string | null } = {}): Promise<Booking> {
  const max = opts.maxReschedules ?? DEFAULT_MAX_RESCHEDULES;
  return inTransaction(executor, async (trx) => {
    const booking = await findBooking(trx, id, { forUpdate: true });
    if (!booking) throw Problem.notFound('No booking has this id.');
    if (booking.status !== 'booked') throw Problem.conflict('A cancelled booking cannot be moved.');
    if (booking.reschedules >= max) throw Problem.conflict(`This booking has already been moved ${booking.reschedules} times, the most allowed (${max}). Cancel it and book again, or ask the agency.`);
    const resource = (await findResource(trx, booking.resourceId))!;
    const durationMinutes = Math.round((booking.end.getTime() - booking.start.getTime()) / 60_000);
    const calendar = (await calendarOf(trx, booking.agencyId))!;
    // The booking's own time does not block its new time: free it under the savepoint first.
    await sql`SAVEPOINT scheduler_move`.execute(trx);
    await sql`UPDATE scheduler_bookings SET held = 'empty' WHERE id = ${id}`.execute(trx);
    const free = await candidates(trx, { agencyId: booking.agencyId, kind: resource.kind, resourceId: resource.id, start: newStart, durationMinutes });
    let moved: Booking | null = null;
    if (free.length > 0) {
      try {
        moved = await moveBooking(trx, id, newStart, new Date(newStart.getTime() + durationMinutes * 60_000), calendar.bufferMinutes);
      } catch (err) {
        if (!isOverlap(err)) throw err;
      }
    }
    if (!moved) {
      await sql`ROLLBACK TO SAVEPOINT scheduler_move`.execute(trx);
      throw slotTaken();
    }
    await sql`RELEASE SAVEPOINT scheduler_move`.execute(trx);
    await recordAudit(trx, { actor, agencyId: booking.agencyId, action: 'scheduler.reschedule', subjectType: 'booking', subjectId: id, requestId: opts.requestId ?? null, details: { from: booking.start.toISOString(), to: moved.start.toISOString(), reschedules: moved.reschedules } });
    await deps.jobs.emit(trx, RESCHEDULED_EVENT, { ...eventOf(moved), previousStart: booking.start.toISOString() }, { dedupeKey: `${id}:${moved.reschedules}` });
    await scheduleReminder(deps, trx, moved);
    return moved;
  });
}

export async function cancelBooking(deps: SchedulerDeps, executor: Executor, id: string, actor: AuditActor, reason: string, opts: { requestId?: string | null } = {}): Promise<Booking> {
  if (!reason.trim() || reason.length > 500) throw Problem.invalidField('/reason', 'say why, in at most 500 characters');
  return inTransaction(executor, async (trx) => {
    const booking = await findBooking(trx, id, { forUpdate: true });
    if (!booking) throw Problem.notFound('No booking has this id.');
    if (booking.status === 'cancelled') return booking;
    const cancelled = await markCancelled(trx, id, reason.trim());
    await recordAudit(trx, { actor, agencyId: booking.agencyId, action: 'scheduler.cancel', subjectType: 'booking', subjectId: id, requestId: opts.requestId ?? null, details: { start: booking.start.toISOString(), reason: reason.trim() } });
    await deps.jobs.emit(trx, CANCELLED_EVENT, { ...eventOf(cancelled), reason: reason.trim() }, { dedupeKey: id });
    return cancelled;
  });
}
