import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * Failed-attempt counters in fixed windows, kept in PostgreSQL so every app process sees the same
 * count. Keys name what is limited, e.g. `signin:account:amina` or `signin:ip:10.0.0.1`.
 */
export interface ThrottleRule {
  key: string;
  limit: number;
}

export const WINDOW_MINUTES = 15;

function windowStart(now = new Date()): Date {
  const ms = WINDOW_MINUTES * 60_000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** Seconds until the caller may try again, or 0 when every rule still has attempts left. */
export async function throttledFor(executor: Executor, rules: ThrottleRule[]): Promise<number> {
  const start = windowStart();
  const result = await sql<{ key: string; failures: number }>`
    SELECT key, failures FROM identity_throttle WHERE window_start = ${start} AND key = ANY(${rules.map((r) => r.key)}::text[])`.execute(executor);
  const over = result.rows.some((row) => row.failures >= (rules.find((r) => r.key === row.key)?.limit ?? Infinity));
  if (!over) return 0;
  return Math.max(1, Math.ceil((start.getTime() + WINDOW_MINUTES * 60_000 - Date.now()) / 1000));
}

export async function recordFailure(executor: Executor, keys: string[]): Promise<void> {
  const start = windowStart();
  await sql`
    INSERT INTO identity_throttle (key, window_start, failures)
    SELECT k, ${start}, 1 FROM unnest(${keys}::text[]) AS k
    ON CONFLICT (key, window_start) DO UPDATE SET failures = identity_throttle.failures + 1`.execute(executor);
}

export async function clearFailures(executor: Executor, key: string): Promise<void> {
  await sql`DELETE FROM identity_throttle WHERE key = ${key}`.execute(executor);
}

export async function purgeOldWindows(executor: Executor): Promise<void> {
  await sql`DELETE FROM identity_throttle WHERE window_start < now() - interval '1 day'`.execute(executor);
}
