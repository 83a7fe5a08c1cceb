import type { Tx } from '../../../platform/db/database.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { isLocale, DEFAULT_LOCALE } from '../../../platform/i18n/index.ts';
import type { AuditActor } from '../../audit/index.ts';
import { findUserById } from '../../identity/index.ts';
import { loadCase } from '../../workflow/index.ts';
import type { BookingDefinition, ServiceDefinition } from '../definition/schema.ts';
import type { RegistrationDeps } from './context.ts';
import { answersAsText } from './form-engine.ts';
import { fillTemplate, pickText } from './notify-people.ts';
import type { ApplicationRow } from './store.ts';

const DAY_MS = 86_400_000;
const DEFAULT_NOTICE_DAYS = 1;
const DEFAULT_WITHIN_DAYS = 30;
// Another request may take a slot between the search and the booking: try a few before giving up.
const SLOTS_TRIED = 5;

/**
 * Book the visit a state calls for, in the transaction of the move: the first free slot of a
 * resource of the owning agency, with the applicant as its attendee so that they see it, may move
 * it and are reminded of it. Keyed by the case's visit of the state, so a retry books nothing more.
 */
export async function bookAppointment(deps: RegistrationDeps, trx: Tx, definition: ServiceDefinition, application: ApplicationRow, booking: BookingDefinition, actor: AuditActor, requestId: string | null): Promise<void> {
  const caseRow = (await loadCase(trx, application.id))!;
  const applicant = await findUserById(trx, application.created_by);
  const locale = isLocale(application.locale) ? application.locale : DEFAULT_LOCALE;
  const from = new Date(Date.now() + (booking.noticeDays ?? DEFAULT_NOTICE_DAYS) * DAY_MS);
  const withinDays = booking.withinDays ?? DEFAULT_WITHIN_DAYS;
  const slots = await deps.scheduler.freeSlots({ agencyId: application.agency_id, kind: booking.kind, from, to: new Date(from.getTime() + withinDays * DAY_MS), durationMinutes: booking.durationMinutes });
  const title = fillTemplate(pickText(booking.title, locale), { ...answersAsText(definition, application.data, locale), trackingNumber: application.tracking_number });
  for (const slot of slots.slice(0, SLOTS_TRIED)) {
    try {
      await deps.scheduler.book(
        {
          agencyId: application.agency_id,
          kind: booking.kind,
          start: slot.start,
          durationMinutes: booking.durationMinutes,
          subject: { type: 'application', id: application.id },
          attendees: [{ userId: application.created_by, name: applicant?.display_name ?? null, email: applicant?.email ?? null, phone: applicant?.phone ?? null, locale }],
          title,
          idempotencyKey: `application:${application.id}:visit:${caseRow.visit}`,
          actor,
          requestId,
        },
        trx,
      );
      return;
    } catch (err) {
      if (!(err instanceof Problem) || err.status !== 409) throw err;
    }
  }
  throw Problem.conflict(`No ${booking.kind} of the agency is free for ${booking.durationMinutes} minutes in the ${withinDays} days searched, so the case cannot move on yet. Add working hours or resources in the scheduler, then try again.`);
}

/** A case closed without a grant needs no more visits: its appointments still to come are cancelled. */
export async function cancelAppointments(deps: RegistrationDeps, trx: Tx, application: ApplicationRow, reason: string, actor: AuditActor): Promise<void> {
  const now = Date.now();
  for (const booking of await deps.scheduler.bookingsFor({ type: 'application', id: application.id })) {
    if (booking.status === 'booked' && booking.start.getTime() > now) await deps.scheduler.cancel(booking.id, actor, reason, trx);
  }
}
