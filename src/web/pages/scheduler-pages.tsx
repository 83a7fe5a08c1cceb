import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal, requireRole } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import { prefersHtml, type App } from '../../platform/http/server.ts';
import { pick } from '../../blocks/catalogue/index.ts';
import { actorOf } from '../../blocks/audit/index.ts';
import type { Agency } from '../../blocks/identity/index.ts';
import { removeHoliday, setHoliday, setWorkingHours } from '../../blocks/scheduler/admin.ts';
import { bookingFor, SCHEDULER_STAFF, staffAgency } from '../../blocks/scheduler/routes.ts';
import { isSlotTaken, type Scheduler } from '../../blocks/scheduler/index.ts';
import { bookingsOfResource, calendarOf, findResource, holidaysOf, hoursOf, resourcesOf, type AgencyCalendar, type Booking, type Holiday, type Resource, type WorkingRange } from '../../blocks/scheduler/store.ts';
import { nextDay, zonedDay, zonedInstant } from '../../blocks/scheduler/zoned-time.ts';
import { CsrfField, FormText } from '../components/forms.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

const Lang = { lang: Type.Optional(Type.String({ maxLength: 5 })) };
const AgencyParams = Type.Object({ agency: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }) });
const DAY = '^\\d{4}-\\d{2}-\\d{2}$';
const WEEK = [0, 1, 2, 3, 4, 5, 6];
const Clock = Type.Optional(Type.String({ pattern: '^(\\d{2}:\\d{2})?$' }));
const HoursForm = Type.Object({ _csrf: FormText(200), timezone: Type.String({ minLength: 1, maxLength: 64 }), bufferMinutes: Type.Optional(Type.String({ pattern: '^\\d{0,3}$' })), ...Object.fromEntries(WEEK.flatMap((d) => [[`opens${d}`, Clock], [`closes${d}`, Clock]])) }, { additionalProperties: false });

const minuteOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** One range per weekday from the form; a day with neither time is closed. */
function rangesOf(form: Record<string, string | undefined>): WorkingRange[] {
  return WEEK.flatMap((weekday) => {
    const opens = form[`opens${weekday}`];
    const closes = form[`closes${weekday}`];
    if (!opens && !closes) return [];
    if (!opens || !closes) throw Problem.invalidField(`/body/${opens ? 'closes' : 'opens'}${weekday}`, 'give both the opening and the closing time, or neither');
    return [{ weekday, opensMinute: minuteOf(opens), closesMinute: minuteOf(closes) === 0 ? 1440 : minuteOf(closes) }];
  });
}

const minutesText = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const weekdayName = (locale: string, weekday: number) => new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2027, 0, 3 + weekday)));
const timeIn = (locale: string, timezone: string, at: Date) => new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: timezone }).format(at);
const dayIn = (locale: string, day: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));

function AdminPage({ ctx, agency, calendar, hours, holidays, resources, year, notice }: { ctx: PageContext; agency: Agency; calendar: AgencyCalendar | null; hours: WorkingRange[]; holidays: Holiday[]; resources: Resource[]; year: number; notice: string | null }) {
  const { t } = ctx;
  const base = `/agency/scheduler/${agency.code}`;
  return (
    <>
      <h1>{t('scheduler.pages.adminTitle', { agency: pick(agency.names, ctx.locale) || agency.code })}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <h2>{t('scheduler.pages.hours')}</h2>
      {calendar && <p>{t('scheduler.pages.timezone', { timezone: calendar.timezone })}</p>}
      {hours.length === 0 && <p>{t('scheduler.pages.noHours')}</p>}
      <form method="post" action={`${base}/hours`}>
        <CsrfField ctx={ctx} />
        <p><label for="hours-timezone">{t('scheduler.pages.timezoneLabel')}</label> <input id="hours-timezone" name="timezone" required maxLength={64} value={calendar?.timezone ?? 'Africa/Djibouti'} /></p>
        <p><label for="hours-buffer">{t('scheduler.pages.buffer')}</label> <input id="hours-buffer" name="bufferMinutes" type="number" min={0} max={240} value={String(calendar?.bufferMinutes ?? 0)} /></p>
        <table>
          <caption>{t('scheduler.pages.hoursHint')}</caption>
          <thead><tr><th scope="col">{t('scheduler.pages.day')}</th><th scope="col">{t('scheduler.pages.opens')}</th><th scope="col">{t('scheduler.pages.closes')}</th></tr></thead>
          <tbody>
            {WEEK.map((weekday) => {
              const range = hours.find((h) => h.weekday === weekday);
              const day = weekdayName(ctx.locale, weekday);
              return (
                <tr>
                  <th scope="row">{day}</th>
                  <td><input type="time" name={`opens${weekday}`} aria-label={`${day}: ${t('scheduler.pages.opens')}`} value={range ? minutesText(range.opensMinute) : ''} /></td>
                  <td><input type="time" name={`closes${weekday}`} aria-label={`${day}: ${t('scheduler.pages.closes')}`} value={range ? minutesText(range.closesMinute) : ''} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <p><button type="submit">{t('scheduler.pages.saveHours')}</button></p>
      </form>
      <h2>{t('scheduler.pages.resources')}</h2>
      <ul>
        {resources.map((r) => (
          <li>{r.name} ({t(`scheduler.pages.${r.kind}`)}) · <a href={`/agency/scheduler/resources/${r.id}/agenda`}>{t('scheduler.pages.agenda')}</a></li>
        ))}
      </ul>
      <h2>{t('scheduler.pages.holidays', { year: String(year) })}</h2>
      {holidays.length === 0 ? (
        <p>{t('scheduler.pages.noHolidays')}</p>
      ) : (
        <table>
          <thead><tr><th scope="col">{t('scheduler.pages.date')}</th><th scope="col">{t('scheduler.pages.name')}</th><th scope="col"><span class="visually-hidden">{t('scheduler.pages.remove')}</span></th></tr></thead>
          <tbody>
            {holidays.map((h) => (
              <tr>
                <th scope="row"><time dateTime={h.day}>{dayIn(ctx.locale, h.day)}</time></th>
                <td>{pick(h.names, ctx.locale)}</td>
                <td>
                  <form method="post" action={`${base}/holidays/${h.day}/remove`}>
                    <CsrfField ctx={ctx} />
                    <button type="submit" aria-label={`${t('scheduler.pages.remove')}: ${h.day}`}>{t('scheduler.pages.remove')}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="pager"><a href={`${base}?year=${year - 1}`}>{year - 1}</a> · <a href={`${base}?year=${year + 1}`}>{year + 1}</a></p>
      <h2>{t('scheduler.pages.add')}</h2>
      <form method="post" action={`${base}/holidays`}>
        <CsrfField ctx={ctx} />
        <p><label for="holiday-day">{t('scheduler.pages.date')}</label> <input id="holiday-day" name="day" type="date" required /></p>
        <p><label for="holiday-name">{t('scheduler.pages.name')}</label> <input id="holiday-name" name="name" required maxLength={200} /></p>
        <p><button type="submit">{t('scheduler.pages.save')}</button></p>
      </form>
    </>
  );
}

function AgendaPage({ ctx, resource, timezone, days, bookings }: { ctx: PageContext; resource: Resource; timezone: string; days: string[]; bookings: Booking[] }) {
  const { t } = ctx;
  const base = `/agency/scheduler/resources/${resource.id}/agenda`;
  const before = new Date(new Date(`${days[0]}T00:00:00Z`).getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
  return (
    <>
      <h1>{t('scheduler.pages.agendaTitle', { name: resource.name })}</h1>
      <p>{t('scheduler.pages.week', { day: dayIn(ctx.locale, days[0]!) })} · {t('scheduler.pages.timezone', { timezone })}</p>
      <p class="pager"><a href={`${base}?week=${before}`}>{t('scheduler.pages.previous')}</a> · <a href={`${base}?week=${nextDay(days[6]!)}`}>{t('scheduler.pages.next')}</a></p>
      {bookings.length === 0 && <p>{t('scheduler.pages.none')}</p>}
      {days.map((day) => {
        const ofDay = bookings.filter((b) => zonedDay(b.start, timezone) === day);
        return ofDay.length === 0 ? null : (
          <section>
            <h2>{dayIn(ctx.locale, day)}</h2>
            <table>
              <thead><tr><th scope="col">{t('scheduler.pages.time')}</th><th scope="col">{t('scheduler.pages.booking')}</th><th scope="col">{t('scheduler.pages.status')}</th></tr></thead>
              <tbody>
                {ofDay.map((b) => (
                  <tr>
                    <th scope="row"><time dateTime={b.start.toISOString()}>{timeIn(ctx.locale, timezone, b.start)}</time>–<time dateTime={b.end.toISOString()}>{timeIn(ctx.locale, timezone, b.end)}</time></th>
                    <td>{b.title}</td>
                    <td>{t(`scheduler.pages.${b.status}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
      <p><a href={`/api/scheduler/resources/${resource.id}/calendar.ics`}>{t('scheduler.pages.feed')}</a></p>
    </>
  );
}

/** Officers' pages: an agency's hours and holidays, and a resource's week; and the form attendees move a booking with. */
export function schedulerPages({ db, scheduler, oidcLabel }: { db: Db; scheduler: Scheduler; oidcLabel: string | null }) {
  return async (app: App) => {
    // The page that shows the booking (an application's) offers the times and comes back here.
    app.post('/scheduler/bookings/:id/reschedule', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Move a booking to another free time (form, for staff of its agency or a person it is for); back to the page that offered it',
        tags: ['web'],
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ _csrf: FormText(200), start: Type.String({ format: 'date-time' }), back: Type.String({ pattern: '^/[a-z0-9-][a-z0-9/-]{0,200}$' }) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const booking = await bookingFor(scheduler, principal, request.params.id);
        try {
          await scheduler.reschedule(booking.id, new Date(request.body.start), actorOf(principal), { requestId: request.id });
        } catch (err) {
          // Someone took the time between the page and the click: back to the page, whose form
          // offers the times still free and says why. Other clients get the 409 problem.
          if (isSlotTaken(err) && prefersHtml(request)) return reply.redirect(`${request.body.back}?move=taken#visits-title`, 303);
          throw err;
        }
        return reply.redirect(`${request.body.back}?done=rescheduled`, 303);
      },
    });

    app.get('/agency/scheduler/:agency', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: "An agency's working hours, resources and holidays (staff of the agency)", tags: ['web'], params: AgencyParams, querystring: Type.Object({ year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })), done: Type.Optional(Type.String({ maxLength: 20 })), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const { agency } = await staffAgency(db, request, request.params.agency);
        const year = request.query.year ?? new Date().getUTCFullYear();
        const [calendar, hours, holidays, resources] = await Promise.all([calendarOf(db, agency.id), hoursOf(db, agency.id), holidaysOf(db, agency.id, `${year}-01-01`, `${year}-12-31`), resourcesOf(db, agency.id)]);
        const done = request.query.done;
        const notice = done === 'saved' || done === 'removed' || done === 'hours' ? ctx.t(`scheduler.notices.${done}`) : null;
        const title = ctx.t('scheduler.pages.adminTitle', { agency: pick(agency.names, ctx.locale) || agency.code });
        return sendPage(reply, ctx, { title, body: <AdminPage ctx={ctx} agency={agency} calendar={calendar} hours={hours.get('') ?? []} holidays={holidays} resources={resources} year={year} notice={notice} />, private: true });
      },
    });

    app.post('/agency/scheduler/:agency/holidays', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: 'Declare a holiday, named in the language of the page (form)', tags: ['web'], params: AgencyParams, body: Type.Object({ _csrf: FormText(200), day: Type.String({ pattern: DAY }), name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const { agency } = await staffAgency(db, request, request.params.agency);
        await setHoliday(db, agency.id, { day: request.body.day, names: { [ctx.locale]: request.body.name } }, { actor: actorOf(request.principal), requestId: request.id });
        return reply.redirect(`/agency/scheduler/${agency.code}?year=${request.body.day.slice(0, 4)}&done=saved`, 303);
      },
    });

    app.post('/agency/scheduler/:agency/hours', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: "Set an agency's time zone, buffer and weekly hours (form)", tags: ['web'], params: AgencyParams, body: HoursForm },
      handler: async (request, reply) => {
        const { agency } = await staffAgency(db, request, request.params.agency);
        const form = request.body as Record<string, string | undefined>;
        await setWorkingHours(db, { agencyId: agency.id, timezone: form.timezone!, bufferMinutes: form.bufferMinutes ? Number(form.bufferMinutes) : 0, ranges: rangesOf(form) }, { actor: actorOf(request.principal), requestId: request.id });
        return reply.redirect(`/agency/scheduler/${agency.code}?done=hours`, 303);
      },
    });

    app.post('/agency/scheduler/:agency/holidays/:day/remove', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: 'Remove a holiday (form)', tags: ['web'], params: Type.Object({ agency: AgencyParams.properties.agency, day: Type.String({ pattern: DAY }) }), body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { agency } = await staffAgency(db, request, request.params.agency);
        await removeHoliday(db, agency.id, request.params.day, { actor: actorOf(request.principal), requestId: request.id });
        return reply.redirect(`/agency/scheduler/${agency.code}?year=${request.params.day.slice(0, 4)}&done=removed`, 303);
      },
    });

    app.get('/agency/scheduler/resources/:id/agenda', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: "A resource's bookings for a week (staff of its agency)", tags: ['web'], params: Type.Object({ id: Uuid }), querystring: Type.Object({ week: Type.Optional(Type.String({ pattern: DAY })), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const resource = await findResource(db, request.params.id);
        if (!resource) throw Problem.notFound('No resource has this id.');
        requireRole(request, SCHEDULER_STAFF, resource.agencyId);
        const timezone = (await calendarOf(db, resource.agencyId))?.timezone ?? 'UTC';
        const first = request.query.week ?? zonedDay(new Date(), timezone);
        const days = [first];
        while (days.length < 7) days.push(nextDay(days.at(-1)!));
        const bookings = await bookingsOfResource(db, resource.id, zonedInstant(first, 0, timezone), zonedInstant(nextDay(days[6]!), 0, timezone));
        return sendPage(reply, ctx, { title: ctx.t('scheduler.pages.agendaTitle', { name: resource.name }), body: <AgendaPage ctx={ctx} resource={resource} timezone={timezone} days={days} bookings={bookings} />, private: true });
      },
    });
  };
}
