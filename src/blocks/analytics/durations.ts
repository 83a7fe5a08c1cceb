import { sql, type RawBuilder } from 'kysely';

/**
 * Net days to decision are kept per rollup cell as a histogram of bounded size, so that a period's
 * median and 90th percentile cost the same with a million cases as with ten thousand. A bucket is
 * named by its upper bound in days, and holds the durations above the bucket below it:
 *
 * - `0`: no time at all (or less, from clocks out of step);
 * - `1` to `365`: one day each, `d` holding (d − 1, d] days;
 * - then 30 days each up to `LAST_BUCKET` (ten years and a fortnight), which also holds anything longer.
 *
 * So "within N days" is exact for N up to 365, and a percentile, taken over the buckets' middles,
 * is within half a day of the exact one up to 365 days and within 15 days up to ten years.
 */
export const EXACT_DAYS = 365;
export const COARSE_DAYS = 30;
export const LAST_BUCKET = EXACT_DAYS + 110 * COARSE_DAYS;

/** The bucket of a duration in days, as SQL over a `float8` expression. */
export function bucketOf(netDays: RawBuilder<unknown>): RawBuilder<number> {
  const [exact, coarse, last] = [sql.lit(EXACT_DAYS), sql.lit(COARSE_DAYS), sql.lit(LAST_BUCKET)];
  return sql<number>`(CASE WHEN ${netDays} <= ${exact} THEN greatest(0, ceil(${netDays}))
    ELSE least(${last}, ${exact} + ${coarse} * ceil((${netDays} - ${exact}) / ${coarse})) END)::smallint`;
}

/** The middle of a bucket: the value each of its durations counts as in a percentile. */
export function middleOf(bucket: number): number {
  if (bucket <= 0) return 0;
  return bucket - (bucket <= EXACT_DAYS ? 1 : COARSE_DAYS) / 2;
}

/** How many durations fall in each bucket, buckets in rising order. */
export type Histogram = readonly { days: number; count: number }[];

/**
 * A percentile of the durations a histogram holds, each counted as its bucket's middle, with
 * PostgreSQL's `percentile_cont` rule (linear interpolation between the closest ranks); null for
 * an empty histogram.
 */
export function percentileOf(histogram: Histogram, p: number): number | null {
  const total = histogram.reduce((n, b) => n + b.count, 0);
  if (total === 0) return null;
  const at = p * (total - 1);
  const valueAt = (rank: number) => {
    let seen = 0;
    for (const b of histogram) {
      seen += b.count;
      if (rank < seen) return middleOf(b.days);
    }
    return middleOf(histogram[histogram.length - 1]!.days);
  };
  const lo = valueAt(Math.floor(at));
  return lo + (valueAt(Math.ceil(at)) - lo) * (at - Math.floor(at));
}
