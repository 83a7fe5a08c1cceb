import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';

/** What an answer is mostly about; a fixed list, so officers can filter without reading every word. */
export const FEEDBACK_THEMES = ['speed', 'clarity', 'staff', 'documents', 'cost', 'online', 'other'] as const;
export type FeedbackTheme = (typeof FEEDBACK_THEMES)[number];

export interface FeedbackInput {
  applicationId: string;
  serviceId: string;
  agencyId: string;
  rating: number;
  theme: FeedbackTheme;
  comment: string;
}

/**
 * Keep an applicant's rating of a decided application. One per application: a second is refused
 * (409) rather than replacing the first, so a figure already reported never changes under readers.
 */
export async function giveFeedback(executor: Executor, input: FeedbackInput): Promise<void> {
  const inserted = await sql`
    INSERT INTO analytics_feedback (application_id, service_id, agency_id, rating, theme, comment)
    VALUES (${input.applicationId}, ${input.serviceId}, ${input.agencyId}, ${input.rating}, ${input.theme}, ${input.comment.trim()})
    ON CONFLICT (application_id) DO NOTHING`.execute(executor);
  if (Number(inserted.numAffectedRows ?? 0) === 0) throw Problem.conflict('Feedback on this application was given already.');
}

export async function hasGivenFeedback(executor: Executor, applicationId: string): Promise<boolean> {
  const result = await sql`SELECT 1 FROM analytics_feedback WHERE application_id = ${applicationId}`.execute(executor);
  return result.rows.length > 0;
}

/** Feedback as officers see it: no application, no person, only what was said about which service. */
export interface FeedbackEntry {
  serviceId: string;
  rating: number;
  theme: FeedbackTheme;
  comment: string;
  givenAt: Date;
}

export interface FeedbackScope {
  /** First and last UTC day the answers were given, `YYYY-MM-DD`, both included; open-ended when absent. */
  from?: string;
  to?: string;
  agencies: 'all' | readonly string[];
  serviceId?: string;
  theme?: FeedbackTheme;
}

function feedbackWhere(scope: FeedbackScope) {
  return sql.join([
    sql`true`,
    scope.agencies === 'all' ? sql`true` : sql`agency_id = ANY(${[...scope.agencies]}::uuid[])`,
    scope.serviceId ? sql`service_id = ${scope.serviceId}` : sql`true`,
    scope.theme ? sql`theme = ${scope.theme}` : sql`true`,
    // As instants, so the index on the time of answer serves.
    scope.from ? sql`given_at >= ${scope.from}::timestamp AT TIME ZONE 'UTC'` : sql`true`,
    scope.to ? sql`given_at < (${scope.to}::date + 1)::timestamp AT TIME ZONE 'UTC'` : sql`true`,
  ], sql` AND `);
}

export async function feedbackEntries(executor: Executor, scope: FeedbackScope, limit: number): Promise<FeedbackEntry[]> {
  const result = await sql<{ service_id: string; rating: number; theme: FeedbackTheme; comment: string; given_at: Date }>`
    SELECT service_id, rating, theme, comment, given_at FROM analytics_feedback WHERE ${feedbackWhere(scope)}
    ORDER BY given_at DESC LIMIT ${limit}`.execute(executor);
  return result.rows.map((r) => ({ serviceId: r.service_id, rating: r.rating, theme: r.theme, comment: r.comment, givenAt: r.given_at }));
}

export interface RatingSummary {
  serviceId: string;
  responses: number;
  averageRating: number;
}

export async function ratingSummaries(executor: Executor, scope: FeedbackScope): Promise<RatingSummary[]> {
  const result = await sql<{ service_id: string; responses: number; average: number }>`
    SELECT service_id, count(*)::int AS responses, avg(rating)::float8 AS average FROM analytics_feedback WHERE ${feedbackWhere(scope)}
    GROUP BY service_id ORDER BY service_id`.execute(executor);
  return result.rows.map((r) => ({ serviceId: r.service_id, responses: r.responses, averageRating: r.average }));
}
