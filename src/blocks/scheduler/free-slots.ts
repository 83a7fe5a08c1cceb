import type { Executor } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { calendarOf, heldRanges, holidaysOf, hoursOf, resourcesOf, type ResourceKind } from './store.ts';
import { nextDay, weekdayOf, zonedDay, zonedInstant } from './zoned-time.ts';

export interface SlotQuery {
  agencyId: string;
  kind: ResourceKind;
  from: Date;
  to: Date;
  durationMinutes: number;
  /** Only this resource; by default any active resource of the kind. */
  resourceId?: string;
  /** Where slots may start, from the opening time; by default every 30 minutes. */
  stepMinutes?: number;
}

export interface Slot {
  start: Date;
  end: Date;
  /** The resources free for the whole slot, buffer included. */
  resourceIds: string[];
}

const MAX_RANGE_DAYS = 92;

/**
 * Slots inside working hours (the resource's own, else the agency's), never on a holiday, where
 * at least one resource has no live booking overlapping the slot plus the agency's buffer.
 */
export async function freeSlots(executor: Executor, q: SlotQuery): Promise<Slot[]> {
  if (!Number.isInteger(q.durationMinutes) || q.durationMinutes < 5 || q.durationMinutes > 720) throw Problem.invalidField('/durationMinutes', 'must be a whole number of minutes between 5 and 720');
  if (!(q.from < q.to)) throw Problem.invalidField('/to', 'must be after from');
  if (q.to.getTime() - q.from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw Problem.invalidField('/to', `a search covers at most ${MAX_RANGE_DAYS} days`);
  const calendar = await calendarOf(executor, q.agencyId);
  if (!calendar) return [];
  const resources = (await resourcesOf(executor, q.agencyId, q.kind)).filter((r) => !q.resourceId || r.id === q.resourceId);
  const hours = await hoursOf(executor, q.agencyId);
  const firstDay = zonedDay(q.from, calendar.timezone);
  const lastDay = zonedDay(q.to, calendar.timezone);
  const holidays = new Set((await holidaysOf(executor, q.agencyId, firstDay, lastDay)).map((h) => h.day));
  const held = await heldRanges(executor, resources.map((r) => r.id), q.from, new Date(q.to.getTime() + calendar.bufferMinutes * 60_000));
  const step = q.stepMinutes ?? 30;
  const now = Date.now();
  const bySlot = new Map<number, Slot>();
  for (let day = firstDay; day <= lastDay; day = nextDay(day)) {
    if (holidays.has(day)) continue;
    for (const resource of resources) {
      const ranges = (hours.get(resource.id) ?? hours.get('') ?? []).filter((r) => r.weekday === weekdayOf(day));
      for (const range of ranges) {
        for (let minute = range.opensMinute; minute + q.durationMinutes <= range.closesMinute; minute += step) {
          const start = zonedInstant(day, minute, calendar.timezone);
          const end = new Date(start.getTime() + q.durationMinutes * 60_000);
          if (start < q.from || end > q.to || start.getTime() < now) continue;
          const heldUntil = end.getTime() + calendar.bufferMinutes * 60_000;
          const busy = held.some((h) => h.resourceId === resource.id && h.from.getTime() < heldUntil && h.to.getTime() > start.getTime());
          if (busy) continue;
          const slot = bySlot.get(start.getTime()) ?? { start, end, resourceIds: [] };
          slot.resourceIds.push(resource.id);
          bySlot.set(start.getTime(), slot);
        }
      }
    }
  }
  return [...bySlot.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
}
