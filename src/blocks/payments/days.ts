/** Days are calendar days in UTC, the platform's time zone: a cash desk's day, a report's, a bank's booking date. */
export function utcDay(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** YYYY-MM-DD naming a day the calendar has (not 2026-02-30). */
export function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}
