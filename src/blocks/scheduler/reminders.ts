import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { Messenger } from '../messaging/index.ts';
import { calendarOf, findBooking, type Booking } from './store.ts';

export const REMIND_TASK = 'scheduler.send-reminder';
const DEFAULT_LEAD_MINUTES = 24 * 60;

interface ReminderTexts {
  subject: string;
  body: string;
  sms: string;
}

const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales/scheduler');
const texts = new Map<string, ReminderTexts>();

/** The reminder wording in a locale (English when the locale has no file). */
export function reminderTexts(locale: string): ReminderTexts {
  const lang = fs.existsSync(path.join(localesDir, `${locale}.json`)) ? locale : 'en';
  if (!texts.has(lang)) {
    const messages = JSON.parse(fs.readFileSync(path.join(localesDir, `${lang}.json`), 'utf8')) as { scheduler: { reminder: ReminderTexts } };
    texts.set(lang, messages.scheduler.reminder);
  }
  return texts.get(lang)!;
}

const fill = (template: string, vars: Record<string, string>) => template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);

/**
 * One reminder job per version of the booking (its reschedule count): moving a booking queues a
 * new job for the new time, and the job of an older version, or of a cancelled booking, finds it
 * no longer current and sends nothing.
 */
export async function scheduleReminder(deps: { jobs: JobQueue; reminderLeadMinutes?: number }, executor: Executor, booking: Booking): Promise<void> {
  const runAt = new Date(Math.max(Date.now(), booking.start.getTime() - (deps.reminderLeadMinutes ?? DEFAULT_LEAD_MINUTES) * 60_000));
  await deps.jobs.enqueue(executor, REMIND_TASK, { bookingId: booking.id, version: booking.reschedules }, { runAt, dedupeKey: `scheduler-remind:${booking.id}:${booking.reschedules}`, maxAttempts: 8 });
}

/** The job: each attendee by e-mail and SMS, with message keys of the booking version, so a retry queues nothing twice. */
export function reminderSender(db: Db, messenger: Messenger) {
  return async ({ bookingId, version }: { bookingId: string; version: number }) => {
    const booking = await findBooking(db, bookingId);
    if (!booking || booking.status !== 'booked' || booking.reschedules !== version || booking.start.getTime() <= Date.now()) return;
    const timezone = (await calendarOf(db, booking.agencyId))?.timezone ?? 'UTC';
    for (const [i, attendee] of booking.attendees.entries()) {
      const t = reminderTexts(attendee.locale);
      const when = new Intl.DateTimeFormat(attendee.locale, { dateStyle: 'full', timeStyle: 'short', timeZone: timezone }).format(booking.start);
      const vars = { title: booking.title, when };
      const common = { locale: attendee.locale, about: booking.subject, agencyId: booking.agencyId, template: 'scheduler.reminder', userId: attendee.userId ?? undefined };
      const key = `scheduler-remind:${booking.id}:${version}:${i}`;
      if (attendee.email) await messenger.queue(db, { ...common, channel: 'email', to: attendee.email, subject: fill(t.subject, vars), body: fill(t.body, vars), dedupeKey: `${key}:email` });
      if (attendee.phone) await messenger.queue(db, { ...common, channel: 'sms', to: attendee.phone, body: fill(t.sms, vars), dedupeKey: `${key}:sms` });
    }
  };
}
