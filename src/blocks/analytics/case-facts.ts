import { sql, type RawBuilder } from 'kysely';

/**
 * What the rollups and the lists of cases both work out per application, written once so a
 * figure and the list behind it cannot disagree.
 */

/** The next move's time, over an application's moves in the order they happened. */
export const NEXT_MOVE_AT = (partition: RawBuilder<unknown>) => sql`lead(moved_at) OVER (${partition} ORDER BY moved_at, job_id)`;

/**
 * Over one application's moves (with `next_at`): requests for more information, and the seconds
 * the statutory clock stood still. A pause starts with a move into a state that stops the clock
 * and ends at the next move, or lasts until now while the case still waits.
 */
export const PAUSE_TOTALS = sql`
  count(*) FILTER (WHERE pauses_clock) AS requests,
  coalesce(sum(extract(epoch FROM coalesce(next_at, now()) - moved_at)) FILTER (WHERE pauses_clock), 0) AS paused_seconds`;

/** Days from submission to decision (or now, while open), less the pauses: application `a`, decision `d`, pauses `p`. */
export const NET_DAYS = sql`(extract(epoch FROM coalesce(d.decided_at, now()) - a.submitted_at) - coalesce(p.paused_seconds, 0))::float8 / 86400`;

/**
 * A decision within its service's KPI target (`within_days` of `analytics_targets`), over the
 * decision's bucket of net days (`days`, durations.ts): the rollups know no finer, and the lists
 * of cases use the same rule so that they agree with the figure.
 */
export const WITHIN_TARGET = sql`days <= within_days`;

/**
 * Which cases make each figure, over `decided_at`, `outcome`, `net_days`, `time_limit_days`,
 * `requests`, and for the KPI target `days` and `within_days`.
 */
export const MEMBERSHIP = {
  received: sql`true`,
  decided: sql`decided_at IS NOT NULL`,
  granted: sql`outcome = 'granted'`,
  refused: sql`outcome = 'refused'`,
  withdrawn: sql`outcome = 'withdrawn'`,
  'in-time': sql`decided_at IS NOT NULL AND net_days <= time_limit_days`,
  late: sql`decided_at IS NOT NULL AND net_days > time_limit_days`,
  'with-limit': sql`decided_at IS NOT NULL AND time_limit_days IS NOT NULL`,
  open: sql`decided_at IS NULL`,
  overdue: sql`decided_at IS NULL AND net_days > time_limit_days`,
  'information-requests': sql`requests > 0`,
  'within-target': sql`decided_at IS NOT NULL AND ${WITHIN_TARGET}`,
  'beyond-target': sql`decided_at IS NOT NULL AND within_days IS NOT NULL AND NOT (${WITHIN_TARGET})`,
} satisfies Record<string, RawBuilder<unknown>>;
