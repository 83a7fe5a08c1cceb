/**
 * Who may call each scheduler route. The calendar is the Ministry of Trade's (a counter room
 * for licence interviews); the booking is Amina's, so she may see, move and cancel it; Zara and
 * the officer of Fire and Civil Protection are told it does not exist.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { addResource, setHoliday, setWorkingHours } from './index.ts';

const AGENCY = 'commerce';
const SIGNED_IN = 'signed-in';
const STAFF = 'roles: officer, agency-head, admin';
const FROM = '2027-02-01T00:00:00Z';
const TO = '2027-04-30T00:00:00Z';
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, opensMinute: 7 * 60, closesMinute: 14 * 60 }));
const acting = { actor: SYSTEM_ACTOR, requestId: 'test' };
let serial = 0;

const calendars = new WeakMap<RegistrationFixtures, Promise<{ agencyId: string; roomId: string }>>();

/** The Ministry's counter room, open every day, set up once per app. */
function tradeCalendar(f: RegistrationFixtures): Promise<{ agencyId: string; roomId: string }> {
  if (!calendars.has(f)) {
    calendars.set(f, (async () => {
      const agencyId = (await findAgencyByCode(f.app.database.db, AGENCY))!.id;
      const room = await addResource(f.app.database.db, { agencyId, kind: 'room', code: 'counter-room', name: 'Counter room 1' }, acting);
      await setWorkingHours(f.app.database.db, { agencyId, timezone: 'Africa/Djibouti', ranges: EVERY_DAY }, acting);
      return { agencyId, roomId: room.id };
    })());
  }
  return calendars.get(f)!;
}

async function nextFreeStart(f: RegistrationFixtures): Promise<Date> {
  const { agencyId } = await tradeCalendar(f);
  const [slot] = await f.app.scheduler.freeSlots({ agencyId, kind: 'room', from: new Date(FROM), to: new Date(TO), durationMinutes: 30 });
  return slot!.start;
}

/** A fresh booking of Amina's, for her licence application. */
async function aminasBooking(f: RegistrationFixtures): Promise<string> {
  const { agencyId } = await tradeCalendar(f);
  const { userId } = await f.idsOf('amina');
  const booking = await f.app.scheduler.book({ agencyId, kind: 'room', start: await nextFreeStart(f), durationMinutes: 30, subject: { type: 'application', id: `licence-${++serial}` }, attendees: [{ userId, locale: 'fr' }], title: 'Licence interview', actor: SYSTEM_ACTOR });
  return booking.id;
}

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                       anon owner other officer agency head admin client
  { route: 'GET /api/scheduler/agencies/:agency/slots', access: SIGNED_IN,              expect: [401, 200, 200, 200, 200, 200, 200, 200], call: async (f) => (await tradeCalendar(f), { method: 'GET', url: `/api/scheduler/agencies/${AGENCY}/slots?kind=room&durationMinutes=30&from=${FROM}&to=2027-02-03T00:00:00Z` }) },
  { route: 'POST /api/scheduler/agencies/:agency/bookings', access: STAFF,              expect: [401, 403, 403, 201, 403, 201, 201, 201],
    call: async (f) => ({ method: 'POST', url: `/api/scheduler/agencies/${AGENCY}/bookings`, json: { kind: 'room', start: (await nextFreeStart(f)).toISOString(), durationMinutes: 30, subject: { type: 'application', id: `licence-${++serial}` }, attendees: [], title: 'Licence interview' } }) },
  { route: 'GET /api/scheduler/bookings/:id', access: SIGNED_IN,                        expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/scheduler/bookings/${await aminasBooking(f)}` }) },
  { route: 'GET /api/scheduler/bookings/:id.ics', access: SIGNED_IN,                    expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/scheduler/bookings/${await aminasBooking(f)}.ics` }) },
  { route: 'POST /api/scheduler/bookings/:id/reschedule', access: SIGNED_IN,            expect: [401, 200, 404, 200, 404, 200, 200, 200],
    call: async (f) => {
      const id = await aminasBooking(f);
      return { method: 'POST', url: `/api/scheduler/bookings/${id}/reschedule`, json: { start: (await nextFreeStart(f)).toISOString() } };
    },
  },
  { route: 'POST /api/scheduler/bookings/:id/cancel', access: SIGNED_IN,                expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'POST', url: `/api/scheduler/bookings/${await aminasBooking(f)}/cancel`, json: { reason: 'Cannot come' } }) },
  { route: 'GET /api/scheduler/resources/:id/calendar.ics', access: STAFF,              expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/scheduler/resources/${(await tradeCalendar(f)).roomId}/calendar.ics` }) },
  { route: 'POST /api/scheduler/agencies/:agency/resources', access: STAFF,             expect: [401, 403, 403, 201, 403, 201, 201, 201], call: () => ({ method: 'POST', url: `/api/scheduler/agencies/${AGENCY}/resources`, json: { kind: 'vehicle', code: `van-${++serial}`, name: 'Inspection van' } }) },
  { route: 'PUT /api/scheduler/agencies/:agency/hours', access: STAFF,                  expect: [401, 403, 403, 204, 403, 204, 204, 204], call: async (f) => (await tradeCalendar(f), { method: 'PUT', url: `/api/scheduler/agencies/${AGENCY}/hours`, json: { timezone: 'Africa/Djibouti', ranges: EVERY_DAY } }) },
  { route: 'GET /api/scheduler/agencies/:agency/holidays', access: SIGNED_IN,           expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `/api/scheduler/agencies/${AGENCY}/holidays?year=2027` }) },
  { route: 'PUT /api/scheduler/agencies/:agency/holidays/:day', access: STAFF,          expect: [401, 403, 403, 204, 403, 204, 204, 204], call: () => ({ method: 'PUT', url: `/api/scheduler/agencies/${AGENCY}/holidays/2027-06-27`, json: { names: { en: 'Independence Day', fr: 'Fête de l’indépendance' } } }) },
  { route: 'DELETE /api/scheduler/agencies/:agency/holidays/:day', access: STAFF,       expect: [401, 403, 403, 204, 403, 204, 204, 204],
    call: async (f) => {
      const { agencyId } = await tradeCalendar(f);
      await setHoliday(f.app.database.db, agencyId, { day: '2027-12-31', names: { en: 'Bridge day' } }, acting);
      return { method: 'DELETE', url: `/api/scheduler/agencies/${AGENCY}/holidays/2027-12-31` };
    },
  },

  { route: 'GET /agency/scheduler/:agency', access: STAFF,                              expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => (await tradeCalendar(f), { method: 'GET', url: `/agency/scheduler/${AGENCY}?year=2027` }) },
  { route: 'POST /agency/scheduler/:agency/holidays', access: STAFF,                    expect: [401, 403, 403, 303, 403, 303, 303, 303], call: () => ({ method: 'POST', url: `/agency/scheduler/${AGENCY}/holidays`, json: { day: '2027-05-01', name: 'Labour Day' } }) },
  { route: 'POST /agency/scheduler/:agency/hours', access: STAFF,                       expect: [401, 403, 403, 303, 403, 303, 303, 303], call: async (f) => (await tradeCalendar(f), { method: 'POST', url: `/agency/scheduler/${AGENCY}/hours`, json: { timezone: 'Africa/Djibouti', ...Object.fromEntries(EVERY_DAY.flatMap((d) => [[`opens${d.weekday}`, '07:00'], [`closes${d.weekday}`, '14:00']])) } }) },
  { route: 'POST /agency/scheduler/:agency/holidays/:day/remove', access: STAFF,        expect: [401, 403, 403, 303, 403, 303, 303, 303],
    call: async (f) => {
      const { agencyId } = await tradeCalendar(f);
      await setHoliday(f.app.database.db, agencyId, { day: '2027-12-30', names: { en: 'Bridge day' } }, acting);
      return { method: 'POST', url: `/agency/scheduler/${AGENCY}/holidays/2027-12-30/remove`, json: {} };
    },
  },
  { route: 'POST /scheduler/bookings/:id/reschedule', access: SIGNED_IN,                expect: [401, 303, 404, 303, 404, 303, 303, 303],
    call: async (f) => {
      const id = await aminasBooking(f);
      return { method: 'POST', url: `/scheduler/bookings/${id}/reschedule`, json: { start: (await nextFreeStart(f)).toISOString(), back: '/applications' } };
    },
  },
  { route: 'GET /agency/scheduler/resources/:id/agenda', access: STAFF,                 expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/agency/scheduler/resources/${(await tradeCalendar(f)).roomId}/agenda?week=2027-02-01` }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/scheduler/routes.scopes.test.ts'], rows: ROWS });
