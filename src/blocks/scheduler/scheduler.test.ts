/**
 * The Building Permits Department's inspectors (the demo data): Sunday to Thursday, 07:00 to
 * 14:00 in Djibouti (UTC+3), a 30-minute buffer after each visit, Djibouti's public holidays.
 * Bookings are checked by the real PostgreSQL, reminders go through the messaging block to a
 * real SMTP inbox and the SMS gateway simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { startSmtpInbox, type SmtpInbox } from '../../../test/support/smtp-inbox.ts';
import { startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { DEMO_INSPECTORS, findResourceByCode, REMIND_TASK, type Booking, type BookingRequest } from './index.ts';

const SUNDAY = '2027-01-03';
const ISRA_MIRAJ = '2027-01-05';
const FRIDAY = '2027-01-08';
/** A Djibouti wall-clock time as an instant. */
const djibouti = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+03:00`);
const dayRange = (day: string) => ({ from: djibouti(day, '00:00'), to: djibouti(day, '23:59') });

let app: TestApp;
let inbox: SmtpInbox;
let sms: Simulator;
let agencyId: string;
let ahmed: string;
let fatouma: string;
let serial = 0;

before(async () => {
  inbox = await startSmtpInbox();
  sms = await startSmsGatewaySimulator({ secret: 'scheduler-test-secret' });
  app = await startTestApp({ env: { SMTP_URL: inbox.url, SMS_GATEWAY_URL: sms.url, SMS_GATEWAY_SECRET: 'scheduler-test-secret' } });
  agencyId = (await findAgencyByCode(app.database.db, 'urban-permits'))!.id;
  ahmed = (await findResourceByCode(app.database.db, agencyId, DEMO_INSPECTORS[0].code))!.id;
  fatouma = (await findResourceByCode(app.database.db, agencyId, DEMO_INSPECTORS[1].code))!.id;
});
after(async () => {
  await app.stop();
  await inbox.close();
  await sms.close();
});

/** A booking request for a new permit application, one hour with an inspector. */
function visit(start: Date, extra: Partial<BookingRequest> = {}): BookingRequest {
  const n = ++serial;
  return { agencyId, kind: 'inspector', start, durationMinutes: 60, subject: { type: 'application', id: `permit-${n}` }, attendees: [], title: `Site inspection, plot ${n}`, actor: SYSTEM_ACTOR, ...extra };
}

/** Clear the inspectors' calendars for a day, so each test starts from free time. */
async function freeDay(day: string): Promise<void> {
  const { from, to } = dayRange(day);
  await sql`UPDATE scheduler_bookings SET status = 'cancelled' WHERE starts_at BETWEEN ${from} AND ${to}`.execute(app.database.db);
}

async function smsTo(phone: string): Promise<ReceivedSms[]> {
  const all = (await (await fetch(`${sms.url}/messages.json`)).json()) as ReceivedSms[];
  return all.filter((m) => m.to === phone);
}

/** Let the reminder jobs of a booking fall due now, as if the day before had come, and run the queue. */
async function dayBefore(booking: Booking): Promise<void> {
  await sql`UPDATE platform_jobs SET run_at = now() WHERE task = ${REMIND_TASK} AND payload->>'bookingId' = ${booking.id}`.execute(app.database.db);
  await app.jobs.drain();
}

async function problemOf(promise: Promise<unknown>): Promise<{ status: number; detail: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { status: number; detail: string };
  }
  assert.fail('expected a problem');
}

describe('free slots', () => {
  it('are within the working hours in Djibouti time, for each inspector', async () => {
    await freeDay(SUNDAY);
    const slots = await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange(SUNDAY), durationMinutes: 60 });
    assert.equal(slots[0]!.start.toISOString(), '2027-01-03T04:00:00.000Z', 'the first starts at 07:00 in Djibouti');
    assert.equal(slots.at(-1)!.end.toISOString(), '2027-01-03T11:00:00.000Z', 'the last ends at 14:00 in Djibouti');
    assert.equal(slots.length, 13, 'every half hour from 07:00 to 13:00');
    assert.ok(slots.every((s) => s.resourceIds.includes(ahmed) && s.resourceIds.includes(fatouma)));
  });

  it('are none on a Friday (the weekend) nor on a public holiday', async () => {
    assert.deepEqual(await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange(FRIDAY), durationMinutes: 60 }), []);
    assert.deepEqual(await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange(ISRA_MIRAJ), durationMinutes: 60 }), []);
  });

  it("leave out an inspector's booked time and the buffer after it", async () => {
    await freeDay(SUNDAY);
    await app.scheduler.book(visit(djibouti(SUNDAY, '08:00'), { resourceId: ahmed }));
    const slots = await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange(SUNDAY), durationMinutes: 60 });
    const local = (at: Date) => new Date(at.getTime() + 3 * 3_600_000).toISOString().slice(11, 16);
    const ahmedFree = slots.filter((s) => s.resourceIds.includes(ahmed)).map((s) => local(s.start));
    // 08:00–09:00 is booked and held until 09:30; before it, a visit plus its own buffer would not fit by 08:00.
    assert.deepEqual(ahmedFree, ['09:30', '10:00', '10:30', '11:00', '11:30', '12:00', '12:30', '13:00']);
    assert.ok(slots.every((s) => s.resourceIds.includes(fatouma)), 'the other inspector is free all day');
  });

  it('are refused for a range longer than a quarter', async () => {
    const problem = await problemOf(app.scheduler.freeSlots({ agencyId, kind: 'inspector', from: djibouti(SUNDAY, '00:00'), to: djibouti('2027-06-01', '00:00'), durationMinutes: 60 }));
    assert.equal(problem.status, 400);
  });
});

describe('booking', () => {
  it('picks a free inspector when none is named, and refuses a third at the same time', async () => {
    await freeDay(SUNDAY);
    const start = djibouti(SUNDAY, '10:00');
    const first = await app.scheduler.book(visit(start));
    const second = await app.scheduler.book(visit(start));
    assert.notEqual(first.resourceId, second.resourceId);
    const problem = await problemOf(app.scheduler.book(visit(start)));
    assert.equal(problem.status, 409);
  });

  it('outside the working hours or on a holiday is refused', async () => {
    assert.equal((await problemOf(app.scheduler.book(visit(djibouti(SUNDAY, '13:30'))))).status, 409, 'would end after 14:00');
    assert.equal((await problemOf(app.scheduler.book(visit(djibouti(ISRA_MIRAJ, '09:00'))))).status, 409);
  });

  it('of one inspector at one time by five concurrent requests: exactly one wins, the database refuses the others', async () => {
    await freeDay(SUNDAY);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => app.scheduler.book(visit(djibouti(SUNDAY, '12:00'), { resourceId: fatouma }))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results.filter((r) => r.status === 'rejected')) assert.equal((r.reason as { status: number }).status, 409);
    const { from, to } = dayRange(SUNDAY);
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM scheduler_bookings WHERE resource_id = ${fatouma} AND status = 'booked' AND starts_at BETWEEN ${from} AND ${to}`.execute(app.database.db);
    assert.equal(rows.rows[0]!.n, 1);
  });

  it('the database itself refuses an overlapping booking written past the use case', async () => {
    await freeDay(SUNDAY);
    const booked = await app.scheduler.book(visit(djibouti(SUNDAY, '07:00'), { resourceId: fatouma }));
    await assert.rejects(
      sql`INSERT INTO scheduler_bookings (id, agency_id, resource_id, subject_type, subject_id, title, starts_at, ends_at, held, created_by)
          VALUES (gen_random_uuid(), ${agencyId}, ${fatouma}, 'application', 'x', 'x', ${booked.end}, ${new Date(booked.end.getTime() + 3_600_000)}, tstzrange(${booked.start}, ${booked.end}), '{}')`.execute(app.database.db),
      /scheduler_bookings_no_overlap/,
    );
  });

  it('retried with the same idempotency key returns the first booking', async () => {
    await freeDay(SUNDAY);
    const request = visit(djibouti(SUNDAY, '09:00'), { idempotencyKey: `retry-${serial}` });
    const first = await app.scheduler.book(request);
    const again = await app.scheduler.book(request);
    assert.equal(again.id, first.id);
    assert.equal((await app.scheduler.bookingsFor(request.subject)).length, 1);
  });

  it('retried while the first request is still running returns that one booking too', async () => {
    await freeDay(SUNDAY);
    const request = visit(djibouti(SUNDAY, '13:00'), { idempotencyKey: `parallel-retry-${serial}` });
    const [a, b] = await Promise.all([app.scheduler.book(request), app.scheduler.book(request)]);
    assert.equal(a.id, b.id);
    assert.equal((await app.scheduler.bookingsFor(request.subject)).length, 1);
  });

  it('inside a caller\'s transaction that loses the race leaves that transaction usable', async () => {
    await freeDay(SUNDAY);
    await app.scheduler.book(visit(djibouti(SUNDAY, '11:00'), { resourceId: ahmed }));
    await app.database.db.transaction().execute(async (trx) => {
      assert.equal((await problemOf(app.scheduler.book(visit(djibouti(SUNDAY, '11:00'), { resourceId: ahmed }), trx))).status, 409);
      const rows = await sql<{ one: number }>`SELECT 1 AS one`.execute(trx);
      assert.equal(rows.rows[0]!.one, 1);
    });
  });

  it('writes its audit entry and queues its reminder with the booking', async () => {
    await freeDay(SUNDAY);
    const booking = await app.scheduler.book(visit(djibouti(SUNDAY, '13:00')));
    const audit = await sql<{ action: string }>`SELECT action FROM audit_entries WHERE subject_type = 'booking' AND subject_id = ${booking.id}`.execute(app.database.db);
    assert.deepEqual(audit.rows.map((r) => r.action), ['scheduler.book']);
    const reminders = await sql<{ n: number }>`SELECT count(*)::int AS n FROM platform_jobs WHERE task = ${REMIND_TASK} AND payload->>'bookingId' = ${booking.id}`.execute(app.database.db);
    assert.equal(reminders.rows[0]!.n, 1);
  });
});

describe('rescheduling and cancelling', () => {
  it('moves a booking up to the limit, then refuses with a clear reason', async () => {
    await freeDay('2027-01-10');
    const booking = await app.scheduler.book(visit(djibouti('2027-01-10', '07:00')));
    const once = await app.scheduler.reschedule(booking.id, djibouti('2027-01-10', '09:00'), SYSTEM_ACTOR);
    assert.equal(once.start.toISOString(), djibouti('2027-01-10', '09:00').toISOString());
    await app.scheduler.reschedule(booking.id, djibouti('2027-01-10', '11:00'), SYSTEM_ACTOR);
    const refused = await problemOf(app.scheduler.reschedule(booking.id, djibouti('2027-01-10', '12:00'), SYSTEM_ACTOR));
    assert.equal(refused.status, 409);
    assert.match(refused.detail, /moved 2 times, the most allowed \(2\)/);
    assert.equal((await problemOf(app.scheduler.reschedule((await app.scheduler.book(visit(djibouti('2027-01-10', '12:00')))).id, djibouti('2027-01-10', '13:00'), SYSTEM_ACTOR, { maxReschedules: 0 }))).status, 409);
  });

  it('may move a booking to a time overlapping its own old time', async () => {
    await freeDay('2027-01-10');
    const booking = await app.scheduler.book(visit(djibouti('2027-01-10', '08:00'), { resourceId: ahmed }));
    const moved = await app.scheduler.reschedule(booking.id, djibouti('2027-01-10', '08:30'), SYSTEM_ACTOR);
    assert.equal(moved.resourceId, ahmed);
    assert.equal(moved.reschedules, 1);
  });

  it('cannot move a booking onto another booking of its inspector', async () => {
    await freeDay('2027-01-10');
    const a = await app.scheduler.book(visit(djibouti('2027-01-10', '08:00'), { resourceId: ahmed }));
    await app.scheduler.book(visit(djibouti('2027-01-10', '10:00'), { resourceId: ahmed }));
    assert.equal((await problemOf(app.scheduler.reschedule(a.id, djibouti('2027-01-10', '10:30'), SYSTEM_ACTOR))).status, 409);
    assert.equal((await app.scheduler.find(a.id))!.start.toISOString(), a.start.toISOString(), 'the booking stays where it was');
  });

  it('cancelling frees the time and keeps the reason', async () => {
    await freeDay('2027-01-10');
    const booking = await app.scheduler.book(visit(djibouti('2027-01-10', '13:00'), { resourceId: fatouma }));
    const cancelled = await app.scheduler.cancel(booking.id, SYSTEM_ACTOR, 'The applicant withdrew the application');
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.cancelReason, 'The applicant withdrew the application');
    await app.scheduler.book(visit(djibouti('2027-01-10', '13:00'), { resourceId: fatouma }));
  });
});

describe('reminders', () => {
  const attendee = (n: number) => ({ email: `applicant${n}@example.org`, phone: `+2537710${String(n).padStart(4, '1')}`, locale: 'fr' });

  it('are due 24 hours before and sent once, by e-mail and SMS, in the attendee\'s language', async () => {
    await freeDay('2027-01-11');
    const person = attendee(1);
    const booking = await app.scheduler.book(visit(djibouti('2027-01-11', '09:00'), { attendees: [person] }));
    const jobs = await sql<{ run_at: Date }>`SELECT run_at FROM platform_jobs WHERE task = ${REMIND_TASK} AND payload->>'bookingId' = ${booking.id}`.execute(app.database.db);
    assert.deepEqual(jobs.rows.map((j) => j.run_at.toISOString()), ['2027-01-10T06:00:00.000Z']);
    await dayBefore(booking);
    await dayBefore(booking);
    const mail = inbox.to(person.email);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.subject, /^Rappel : Site inspection/);
    assert.match(mail[0]!.text, /09:00/);
    assert.equal((await smsTo(person.phone)).length, 1);
  });

  it('are not sent for a cancelled booking', async () => {
    await freeDay('2027-01-11');
    const person = attendee(2);
    const booking = await app.scheduler.book(visit(djibouti('2027-01-11', '11:00'), { attendees: [person] }));
    await app.scheduler.cancel(booking.id, SYSTEM_ACTOR, 'Plot not ready');
    await dayBefore(booking);
    assert.equal(inbox.to(person.email).length, 0);
    assert.equal((await smsTo(person.phone)).length, 0);
  });

  it('move with the booking: one reminder, for the new time', async () => {
    await freeDay('2027-01-11');
    const person = attendee(3);
    const booking = await app.scheduler.book(visit(djibouti('2027-01-11', '07:00'), { attendees: [person] }));
    await app.scheduler.reschedule(booking.id, djibouti('2027-01-12', '12:00'), SYSTEM_ACTOR);
    const jobs = await sql<{ run_at: Date }>`SELECT run_at FROM platform_jobs WHERE task = ${REMIND_TASK} AND payload->>'bookingId' = ${booking.id} ORDER BY id`.execute(app.database.db);
    assert.equal(jobs.rows.at(-1)!.run_at.toISOString(), '2027-01-11T09:00:00.000Z');
    await dayBefore(booking);
    const mail = inbox.to(person.email);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.text, /12:00/);
  });
});

describe('over HTTP, for the officer of the Building Permits Department', () => {
  it('a booking of a taken time is refused with problem+json 409; the booking downloads as an .ics file', async () => {
    await freeDay('2027-01-13');
    const [officer] = await signInDemo(app, 'officer.permits');
    const json = { kind: 'inspector', resourceId: ahmed, start: djibouti('2027-01-13', '10:00').toISOString(), durationMinutes: 60, subject: { type: 'application', id: 'permit-http' }, attendees: [], title: 'Site inspection, Héron' };
    const first = await app.app.inject({ method: 'POST', url: '/api/scheduler/agencies/urban-permits/bookings', headers: asSession(officer), payload: json });
    assert.equal(first.statusCode, 201, first.body);
    const second = await app.app.inject({ method: 'POST', url: '/api/scheduler/agencies/urban-permits/bookings', headers: asSession(officer), payload: json });
    assert.match(assertProblem(second, 409).detail, /no longer free/);
    const ics = await app.app.inject({ method: 'GET', url: `/api/scheduler/bookings/${first.json<{ id: string }>().id}.ics`, headers: asSession(officer) });
    assert.equal(ics.statusCode, 200);
    assert.match(ics.headers['content-type'] as string, /^text\/calendar/);
    assert.match(ics.body, /\r\nDTSTART:20270113T070000Z\r\n/);
    assert.match(ics.body, /\r\nSUMMARY:Site inspection\\, Héron\r\n/);
  });

  it("the inspector's week shows the booking in Djibouti time, in Arabic right to left", async () => {
    await freeDay('2027-01-13');
    await app.scheduler.book(visit(djibouti('2027-01-13', '08:30'), { resourceId: ahmed, title: 'Site inspection, Balbala' }));
    const [officer] = await signInDemo(app, 'officer.permits');
    const page = await app.app.inject({ method: 'GET', url: `/agency/scheduler/resources/${ahmed}/agenda?week=2027-01-10&lang=ar`, headers: asSession(officer) });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html[^>]*lang="ar"[^>]*dir="rtl"|<html[^>]*dir="rtl"[^>]*lang="ar"/);
    assert.match(page.body, /Site inspection, Balbala/);
    assert.match(page.body, /datetime="2027-01-13T05:30:00.000Z"/);
  });

  it('the holidays page lists Djibouti\'s holidays and takes a new one from its form', async () => {
    const [officer] = await signInDemo(app, 'officer.permits');
    const page = await app.app.inject({ method: 'GET', url: '/agency/scheduler/urban-permits?year=2027&lang=fr', headers: asSession(officer) });
    assert.match(page.body, /Fête de l’indépendance/);
    assert.match(page.body, /Aïd el-Fitr/);
    const saved = await app.app.inject({ method: 'POST', url: '/agency/scheduler/urban-permits/holidays', headers: { ...asSession(officer), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: officer.csrf, day: '2027-01-14', name: 'Journée de deuil' }).toString() });
    assert.equal(saved.statusCode, 303);
    assert.deepEqual(await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange('2027-01-14'), durationMinutes: 60 }), []);
  });

  it('the hours form sets the week: a day left empty is closed', async () => {
    const [officer] = await signInDemo(app, 'officer.permits');
    const week = Object.fromEntries([0, 1, 2, 3, 4].flatMap((d) => [[`opens${d}`, '07:00'], [`closes${d}`, d === 0 ? '12:00' : '14:00']]));
    const saved = await app.app.inject({ method: 'POST', url: '/agency/scheduler/urban-permits/hours', headers: { ...asSession(officer), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: officer.csrf, timezone: 'Africa/Djibouti', bufferMinutes: '30', ...week, opens5: '', closes5: '' }).toString() });
    assert.equal(saved.statusCode, 303, saved.body);
    await freeDay('2027-01-17');
    const sunday = await app.scheduler.freeSlots({ agencyId, kind: 'inspector', ...dayRange('2027-01-17'), durationMinutes: 60 });
    assert.equal(sunday.at(-1)!.end.toISOString(), djibouti('2027-01-17', '12:00').toISOString(), 'Sunday now closes at noon');
    const page = await app.app.inject({ method: 'GET', url: '/agency/scheduler/urban-permits?done=hours&lang=fr', headers: asSession(officer) });
    assert.match(page.body, /Les heures d’ouverture ont été enregistrées/);
    assert.match(page.body, /name="closes0" aria-label="[^"]+" value="12:00"/);
  });
});
