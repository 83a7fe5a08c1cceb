import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.ts';
import { access, hasAnyRole, requirePrincipal, requireRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { actorOf } from '../audit/index.ts';
import { findAgencyByCode, type Agency } from '../identity/index.ts';
import { addResource, removeHoliday, setHoliday, setWorkingHours } from './admin.ts';
import type { SchedulerDeps } from './bookings.ts';
import { icsOf } from './icalendar.ts';
import type { Scheduler } from './index.ts';
import { bookingsOfResource, findResource, holidaysOf, type Booking } from './store.ts';

/** Who manages an agency's calendar and books for it. */
export const SCHEDULER_STAFF = ['officer', 'agency-head', 'admin'] as const;

const DateTime = Type.String({ format: 'date-time' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Kind = Type.Union([Type.Literal('inspector'), Type.Literal('room'), Type.Literal('vehicle')]);
const AgencyParams = Type.Object({ agency: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }) });
const Names = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 200 }));
const Attendee = Type.Object(
  {
    userId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
    phone: Type.Optional(Type.Union([Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }), Type.Null()])),
    locale: Type.String({ pattern: '^[a-z]{2}$' }),
  },
  { additionalProperties: false },
);
const BookingOut = Type.Object({
  id: Type.String(),
  resourceId: Type.String(),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  title: Type.String(),
  start: DateTime,
  end: DateTime,
  status: Type.String(),
  reschedules: Type.Integer(),
  cancelReason: Type.Union([Type.String(), Type.Null()]),
});

const bookingOut = (b: Booking) => ({ id: b.id, resourceId: b.resourceId, subject: b.subject, title: b.title, start: b.start.toISOString(), end: b.end.toISOString(), status: b.status, reschedules: b.reschedules, cancelReason: b.cancelReason });

function ensureDate(value: string, pointer: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw Problem.invalidField(pointer, 'is not a date and time');
  return date;
}

/** The agency of a code, and the caller as its staff; 404 for an unknown code, 403 for anyone else. */
export async function staffAgency(db: Db, request: FastifyRequest, code: string): Promise<{ agency: Agency; principal: Principal }> {
  const agency = await findAgencyByCode(db, code);
  if (!agency) throw Problem.notFound(`No agency has code "${code}".`);
  return { agency, principal: requireRole(request, SCHEDULER_STAFF, agency.id) };
}

/** Staff of the booking's agency, or a person the booking is for; anyone else is told it does not exist. */
export async function bookingFor(scheduler: Scheduler, principal: Principal, id: string): Promise<Booking> {
  const booking = await scheduler.find(id);
  if (!booking || !(hasAnyRole(principal, SCHEDULER_STAFF, booking.agencyId) || booking.attendees.some((a) => a.userId === principal.id))) {
    throw Problem.notFound('No booking you may see has this id.');
  }
  return booking;
}

export function schedulerApi(deps: SchedulerDeps & { scheduler: Scheduler; baseUrl: string }) {
  const { db, scheduler } = deps;
  const host = new URL(deps.baseUrl).hostname;

  async function agencyIdOf(code: string): Promise<string> {
    const agency = await findAgencyByCode(db, code);
    if (!agency) throw Problem.notFound(`No agency has code "${code}".`);
    return agency.id;
  }

  async function staffOf(request: FastifyRequest, code: string): Promise<{ principal: Principal; agencyId: string }> {
    const { agency, principal } = await staffAgency(db, request, code);
    return { principal, agencyId: agency.id };
  }

  const visibleBooking = (principal: Principal, id: string) => bookingFor(scheduler, principal, id);

  return async (app: App) => {
    app.get('/api/scheduler/agencies/:agency/slots', {
      config: { access: access.signedIn },
      schema: {
        summary: "Free slots of an agency's resources of a kind, within working hours and outside holidays",
        tags: ['scheduler'],
        params: AgencyParams,
        querystring: Type.Object({ kind: Kind, from: DateTime, to: DateTime, durationMinutes: Type.Integer({ minimum: 5, maximum: 720 }), resourceId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: Type.Array(Type.Object({ start: DateTime, end: DateTime, resourceIds: Type.Array(Type.String()) })), ...Problems },
      },
      handler: async (request) => {
        const q = request.query;
        const slots = await scheduler.freeSlots({ agencyId: await agencyIdOf(request.params.agency), kind: q.kind, from: ensureDate(q.from, '/querystring/from'), to: ensureDate(q.to, '/querystring/to'), durationMinutes: q.durationMinutes, resourceId: q.resourceId });
        return slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString(), resourceIds: s.resourceIds }));
      },
    });

    app.post('/api/scheduler/agencies/:agency/bookings', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: {
        summary: 'Book a slot for a subject (staff of the agency); 409 when the time is taken',
        tags: ['scheduler'],
        params: AgencyParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 8, maxLength: 200 })) }),
        body: Type.Object(
          {
            kind: Kind,
            resourceId: Type.Optional(Uuid),
            start: DateTime,
            durationMinutes: Type.Integer({ minimum: 5, maximum: 720 }),
            subject: Type.Object({ type: Type.String({ pattern: '^[a-z][a-z0-9-]{1,40}$' }), id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
            attendees: Type.Array(Attendee, { maxItems: 20 }),
            title: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: BookingOut, ...Problems },
      },
      handler: async (request, reply) => {
        const { principal, agencyId } = await staffOf(request, request.params.agency);
        const b = request.body;
        const key = request.headers['idempotency-key'];
        const booking = await scheduler.book({ ...b, agencyId, start: ensureDate(b.start, '/body/start'), idempotencyKey: key ? `${principal.id}:${key}` : undefined, actor: actorOf(principal), requestId: request.id });
        return reply.code(201).send(bookingOut(booking));
      },
    });

    app.get('/api/scheduler/bookings/:id', {
      config: { access: access.signedIn },
      schema: { summary: 'A booking: staff of its agency, or a person it is for', tags: ['scheduler'], params: Type.Object({ id: Uuid }), response: { 200: BookingOut, ...Problems } },
      handler: async (request) => bookingOut(await visibleBooking(requirePrincipal(request), request.params.id)),
    });

    app.get('/api/scheduler/bookings/:id.ics', {
      config: { access: access.signedIn },
      schema: { summary: 'A booking as an iCalendar file (RFC 5545)', tags: ['scheduler'], params: Type.Object({ id: Uuid }), response: { 200: Type.String({ description: "text/calendar" }), ...Problems } },
      handler: async (request, reply) => {
        const booking = await visibleBooking(requirePrincipal(request), request.params.id);
        return reply.type('text/calendar; charset=utf-8').header('content-disposition', `attachment; filename="${booking.id}.ics"`).send(icsOf([booking], { host }));
      },
    });

    app.post('/api/scheduler/bookings/:id/reschedule', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Move a booking to a new start (staff of its agency, or a person it is for); limited number of moves',
        tags: ['scheduler'],
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ start: DateTime }, { additionalProperties: false }),
        response: { 200: BookingOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const booking = await visibleBooking(principal, request.params.id);
        return bookingOut(await scheduler.reschedule(booking.id, ensureDate(request.body.start, '/body/start'), actorOf(principal), { requestId: request.id }));
      },
    });

    app.post('/api/scheduler/bookings/:id/cancel', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Cancel a booking, saying why (staff of its agency, or a person it is for)',
        tags: ['scheduler'],
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: BookingOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const booking = await visibleBooking(principal, request.params.id);
        return bookingOut(await scheduler.cancel(booking.id, actorOf(principal), request.body.reason));
      },
    });

    app.get('/api/scheduler/resources/:id/calendar.ics', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: "A resource's bookings from 30 days back to a year ahead, as an iCalendar feed (staff of its agency)", tags: ['scheduler'], params: Type.Object({ id: Uuid }), response: { 200: Type.String({ description: "text/calendar" }), ...Problems } },
      handler: async (request, reply) => {
        const resource = await findResource(db, request.params.id);
        if (!resource) throw Problem.notFound('No resource has this id.');
        requireRole(request, SCHEDULER_STAFF, resource.agencyId);
        const now = Date.now();
        const bookings = await bookingsOfResource(db, resource.id, new Date(now - 30 * 86_400_000), new Date(now + 366 * 86_400_000));
        return reply.type('text/calendar; charset=utf-8').send(icsOf(bookings, { host, name: resource.name }));
      },
    });

    app.post('/api/scheduler/agencies/:agency/resources', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: {
        summary: 'Add an inspector, room or vehicle to an agency (staff of the agency)',
        tags: ['scheduler'],
        params: AgencyParams,
        body: Type.Object({ kind: Kind, code: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }), name: Type.String({ minLength: 1, maxLength: 200 }), officerUserId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), kind: Type.String(), code: Type.String(), name: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const { principal, agencyId } = await staffOf(request, request.params.agency);
        const resource = await addResource(db, { ...request.body, agencyId }, { actor: actorOf(principal), requestId: request.id });
        return reply.code(201).send({ id: resource.id, kind: resource.kind, code: resource.code, name: resource.name });
      },
    });

    app.put('/api/scheduler/agencies/:agency/hours', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: {
        summary: "Set an agency's time zone, buffer between bookings and weekly hours, or one resource's own hours (staff of the agency)",
        tags: ['scheduler'],
        params: AgencyParams,
        body: Type.Object(
          {
            timezone: Type.String({ minLength: 1, maxLength: 64 }),
            bufferMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
            resourceId: Type.Optional(Uuid),
            ranges: Type.Array(Type.Object({ weekday: Type.Integer({ minimum: 0, maximum: 6 }), opensMinute: Type.Integer({ minimum: 0, maximum: 1439 }), closesMinute: Type.Integer({ minimum: 1, maximum: 1440 }) }, { additionalProperties: false }), { maxItems: 50 }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        const { principal, agencyId } = await staffOf(request, request.params.agency);
        if (request.body.resourceId && (await findResource(db, request.body.resourceId))?.agencyId !== agencyId) throw Problem.invalidField('/body/resourceId', 'is not a resource of this agency');
        await setWorkingHours(db, { ...request.body, agencyId }, { actor: actorOf(principal), requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.get('/api/scheduler/agencies/:agency/holidays', {
      config: { access: access.signedIn },
      schema: { summary: "An agency's holidays in a year", tags: ['scheduler'], params: AgencyParams, querystring: Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2100 }) }), response: { 200: Type.Array(Type.Object({ day: Type.String(), names: Names })), ...Problems } },
      handler: async (request) => holidaysOf(db, await agencyIdOf(request.params.agency), `${request.query.year}-01-01`, `${request.query.year}-12-31`),
    });

    app.put('/api/scheduler/agencies/:agency/holidays/:day', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: 'Declare a holiday, named in each language (staff of the agency)', tags: ['scheduler'], params: Type.Object({ agency: AgencyParams.properties.agency, day: Day }), body: Type.Object({ names: Names }, { additionalProperties: false }), response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        const { principal, agencyId } = await staffOf(request, request.params.agency);
        await setHoliday(db, agencyId, { day: request.params.day, names: request.body.names }, { actor: actorOf(principal), requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.delete('/api/scheduler/agencies/:agency/holidays/:day', {
      config: { access: access.roles(...SCHEDULER_STAFF) },
      schema: { summary: 'Remove a holiday (staff of the agency)', tags: ['scheduler'], params: Type.Object({ agency: AgencyParams.properties.agency, day: Day }), response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        const { principal, agencyId } = await staffOf(request, request.params.agency);
        await removeHoliday(db, agencyId, request.params.day, { actor: actorOf(principal), requestId: request.id });
        return reply.code(204).send(null);
      },
    });
  };
}
