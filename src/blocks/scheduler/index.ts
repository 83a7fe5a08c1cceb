import type { Executor } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import type { AuditActor } from '../audit/index.ts';
import type { Messenger } from '../messaging/index.ts';
import { bookSlot, cancelBooking, rescheduleBooking, type BookingRequest, type SchedulerDeps } from './bookings.ts';
import { freeSlots, type Slot } from './free-slots.ts';
import { reminderSender, REMIND_TASK } from './reminders.ts';
import { schedulerApi } from './routes.ts';
import { schedulerPages } from '../../web/pages/scheduler-pages.tsx';
import { bookingsOfSubject, calendarOf, findBooking, findResource, type Booking, type ResourceKind, type Subject } from './store.ts';

export { schedulerMigrations } from './migrations/index.ts';
export { addResource, setWorkingHours, setHoliday, removeHoliday } from './admin.ts';
export { BOOKED_EVENT, RESCHEDULED_EVENT, CANCELLED_EVENT, DEFAULT_MAX_RESCHEDULES, isSlotTaken, type BookingRequest, type SchedulerDeps } from './bookings.ts';
export { REMIND_TASK } from './reminders.ts';
export { icsOf } from './icalendar.ts';
export { seedDemoScheduler, DEMO_INSPECTORS } from './demo.ts';
export { findResourceByCode, resourcesOf, RESOURCE_KINDS, type Attendee, type Booking, type Holiday, type Resource, type ResourceKind, type Subject, type WorkingRange } from './store.ts';
export type { Slot } from './free-slots.ts';

export interface Scheduler {
  freeSlots(q: { agencyId: string; kind: ResourceKind; from: Date; to: Date; durationMinutes: number; resourceId?: string }): Promise<Slot[]>;
  /** Book in a new transaction, or in the caller's when `executor` is a transaction (then savepoints guard a lost race). */
  book(req: BookingRequest, executor?: Executor): Promise<Booking>;
  reschedule(bookingId: string, newStart: Date, actor: AuditActor, opts?: { maxReschedules?: number; requestId?: string | null }, executor?: Executor): Promise<Booking>;
  cancel(bookingId: string, actor: AuditActor, reason: string, executor?: Executor): Promise<Booking>;
  bookingsFor(subject: Subject): Promise<Booking[]>;
  find(bookingId: string): Promise<Booking | null>;
  /** Free times a booking could move to: its own resource, for as long as it lasts. */
  slotsToMoveTo(booking: Booking, range: { from: Date; to: Date }): Promise<Slot[]>;
  /** The agency's time zone, to show a booking's time as the agency's people read it; null when it takes no bookings. */
  timezoneOf(agencyId: string): Promise<string | null>;
}

/** Registers the reminder job, so build it once per job queue, before anything is booked. */
export function createScheduler(deps: SchedulerDeps & { messenger: Messenger }): Scheduler {
  deps.jobs.register(REMIND_TASK, reminderSender(deps.db, deps.messenger));
  return {
    freeSlots: (q) => freeSlots(deps.db, q),
    book: (req, executor) => bookSlot(deps, executor ?? deps.db, req),
    reschedule: (id, newStart, actor, opts, executor) => rescheduleBooking(deps, executor ?? deps.db, id, newStart, actor, opts),
    cancel: (id, actor, reason, executor) => cancelBooking(deps, executor ?? deps.db, id, actor, reason),
    bookingsFor: (subject) => bookingsOfSubject(deps.db, subject),
    find: (id) => findBooking(deps.db, id),
    slotsToMoveTo: async (booking, range) => {
      const resource = (await findResource(deps.db, booking.resourceId))!;
      const durationMinutes = Math.round((booking.end.getTime() - booking.start.getTime()) / 60_000);
      return freeSlots(deps.db, { agencyId: booking.agencyId, kind: resource.kind, resourceId: resource.id, durationMinutes, ...range });
    },
    timezoneOf: async (agencyId) => (await calendarOf(deps.db, agencyId))?.timezone ?? null,
  };
}

export function schedulerRoutes(deps: SchedulerDeps & { scheduler: Scheduler; baseUrl: string; oidcLabel: string | null }) {
  return async (app: App) => {
    await app.register(schedulerApi(deps));
    await app.register(schedulerPages(deps));
  };
}
