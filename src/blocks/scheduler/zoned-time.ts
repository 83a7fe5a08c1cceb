/**
 * One formatter per zone and use, kept: building an Intl.DateTimeFormat costs far more than
 * formatting with it, and a search for free slots formats hundreds of instants.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(use: 'wall' | 'day', timezone: string): Intl.DateTimeFormat {
  const key = `${use}:${timezone}`;
  let made = formatters.get(key);
  if (!made) {
    made = use === 'wall'
      ? new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(key, made);
  }
  return made;
}

/** Wall-clock time in a named zone, with Intl only (no DST table of our own to keep current). */
function offsetMinutes(at: Date, timezone: string): number {
  const parts = Object.fromEntries(formatter('wall', timezone).formatToParts(at).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The instant at `minute` past midnight of `day` (YYYY-MM-DD) in the zone. */
export function zonedInstant(day: string, minute: number, timezone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = new Date(Date.UTC(y, m - 1, d) + minute * 60_000);
  const first = new Date(guess.getTime() - offsetMinutes(guess, timezone) * 60_000);
  // A second pass settles instants next to a DST change.
  return new Date(guess.getTime() - offsetMinutes(first, timezone) * 60_000);
}

/** The calendar day (YYYY-MM-DD) of an instant in the zone. */
export function zonedDay(at: Date, timezone: string): string {
  return formatter('day', timezone).format(at);
}

/** 0 = Sunday … 6 = Saturday, of a YYYY-MM-DD day. */
export function weekdayOf(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

export function nextDay(day: string): string {
  return new Date(new Date(`${day}T00:00:00Z`).getTime() + 86_400_000).toISOString().slice(0, 10);
}

export function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
