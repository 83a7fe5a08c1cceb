import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { deleteHoliday, insertResource, replaceHours, saveCalendar, saveHoliday, type Holiday, type Resource, type ResourceKind, type WorkingRange } from './store.ts';
import { isTimezone } from './zoned-time.ts';

interface Acting {
  actor: AuditActor;
  requestId?: string | null;
}

export async function addResource(db: Db, input: { agencyId: string; kind: ResourceKind; code: string; name: string; officerUserId?: string | null }, acting: Acting): Promise<Resource> {
  return db.transaction().execute(async (trx) => {
    const resource = await insertResource(trx, { id: randomUUID(), agencyId: input.agencyId, kind: input.kind, code: input.code, name: input.name, officerUserId: input.officerUserId ?? null });
    await recordAudit(trx, { actor: acting.actor, agencyId: input.agencyId, action: 'scheduler.add-resource', subjectType: 'scheduler-resource', subjectId: resource.id, requestId: acting.requestId ?? null, details: { kind: input.kind, code: input.code } });
    return resource;
  });
}

/** Set an agency's time zone, buffer and weekly hours (or one resource's own hours). */
export async function setWorkingHours(db: Db, input: { agencyId: string; timezone: string; bufferMinutes?: number; resourceId?: string | null; ranges: WorkingRange[] }, acting: Acting): Promise<void> {
  if (!isTimezone(input.timezone)) throw Problem.invalidField('/timezone', 'is not an IANA time zone, like Africa/Djibouti');
  input.ranges.forEach((r, i) => {
    if (!(r.opensMinute < r.closesMinute)) throw Problem.invalidField(`/ranges/${i}`, 'must open before it closes');
  });
  await db.transaction().execute(async (trx) => {
    await saveCalendar(trx, input.agencyId, { timezone: input.timezone, bufferMinutes: input.bufferMinutes ?? 0 });
    await replaceHours(trx, input.agencyId, input.resourceId ?? null, input.ranges);
    await recordAudit(trx, { actor: acting.actor, agencyId: input.agencyId, action: 'scheduler.set-hours', subjectType: input.resourceId ? 'scheduler-resource' : 'agency', subjectId: input.resourceId ?? input.agencyId, requestId: acting.requestId ?? null, change: input });
  });
}

export async function setHoliday(db: Db, agencyId: string, holiday: Holiday, acting: Acting): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await saveHoliday(trx, agencyId, holiday);
    await recordAudit(trx, { actor: acting.actor, agencyId, action: 'scheduler.set-holiday', subjectType: 'agency', subjectId: agencyId, requestId: acting.requestId ?? null, change: holiday });
  });
}

export async function removeHoliday(db: Db, agencyId: string, day: string, acting: Acting): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await deleteHoliday(trx, agencyId, day))) throw Problem.notFound('There is no holiday on this day.');
    await recordAudit(trx, { actor: acting.actor, agencyId, action: 'scheduler.remove-holiday', subjectType: 'agency', subjectId: agencyId, requestId: acting.requestId ?? null, details: { day } });
  });
}
