import type { Executor } from '../../../platform/db/database.ts';
import { agenciesReached, type Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { transitionCounts, whoActs, type Timeframe, type TransitionCount } from '../../workflow/index.ts';
import { definitionOf } from '../applications/context.ts';
import { currentDefinitions } from '../definitions.ts';
import { statusCodeOf } from './map-applications.ts';
import type { StatisticsItemOut } from './schemas.ts';

export interface StatisticsQuery {
  startDate?: string;
  endDate?: string;
  registrationName?: string;
  operator?: string;
  role?: string;
  timeframe?: Timeframe;
}

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const MAX_PERIODS = 1000;

interface Period {
  /** As the database names it: the first day of the period; null for the whole window. */
  key: string | null;
  first: Date;
  last: Date;
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const day = (text: string) => new Date(`${text}T00:00:00Z`);

function periodStart(d: Date, timeframe: Timeframe): Date {
  const [y, m] = [d.getUTCFullYear(), d.getUTCMonth()];
  if (timeframe === 'year') return new Date(Date.UTC(y, 0, 1));
  if (timeframe === 'month') return new Date(Date.UTC(y, m, 1));
  // ISO weeks start on Monday, as PostgreSQL's date_trunc('week') has them.
  if (timeframe === 'week') return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS);
  return d;
}

function nextStart(d: Date, timeframe: Timeframe): Date {
  const [y, m] = [d.getUTCFullYear(), d.getUTCMonth()];
  if (timeframe === 'year') return new Date(Date.UTC(y + 1, 0, 1));
  if (timeframe === 'month') return new Date(Date.UTC(y, m + 1, 1));
  return new Date(d.getTime() + (timeframe === 'week' ? 7 : 1) * DAY_MS);
}

/** The periods covering the window, each cut to it, so the first and last may be partial. */
function periodsOf(first: Date, last: Date, timeframe: Timeframe | undefined): Period[] {
  if (!timeframe) return [{ key: null, first, last }];
  const periods: Period[] = [];
  for (let start = periodStart(first, timeframe); start <= last; start = nextStart(start, timeframe)) {
    if (periods.length === MAX_PERIODS) throw Problem.invalidField('/query/timeframe', `gives more than ${MAX_PERIODS} periods in this window; choose a longer timeframe or a shorter window`, 'max');
    const end = new Date(nextStart(start, timeframe).getTime() - DAY_MS);
    periods.push({ key: isoDay(start), first: start < first ? first : start, last: end > last ? last : end });
  }
  return periods;
}

/** Operators' names are personal data: counts per operator are for the heads of their agencies. */
function agenciesForOperatorCounts(principal: Principal | null): string[] | undefined {
  if (!principal) throw Problem.unauthorized('Counts per operator are for agency heads: sign in.');
  const reach = agenciesReached(principal, ['agency-head', 'admin']);
  if (reach === 'all') return undefined;
  if (reach.size === 0) throw Problem.forbidden('Counts per operator are for the heads of the agencies they work in.');
  return [...reach];
}

/** Services whose id, or title in any language, is the name asked for. */
async function servicesNamed(executor: Executor, name: string): Promise<string[]> {
  const wanted = name.trim().toLocaleLowerCase();
  const ids = (await currentDefinitions(executor)).filter((d) => d.serviceId === wanted || Object.values(d.document.title).some((t) => t.toLocaleLowerCase() === wanted)).map((d) => d.serviceId);
  if (ids.length === 0) throw Problem.notFound('No service has this registration name.');
  return ids;
}

type Tally = Pick<StatisticsItemOut, 'approved' | 'sentBack' | 'rejected'>;
const COUNTED: Record<string, keyof Tally> = { APPROVED: 'approved', SENDBACK: 'sentBack', REJECTED: 'rejected' };

/** Which count a group of moves adds to, read from its definition; null when it is not counted. */
async function classify(executor: Executor, group: TransitionCount, role: string | undefined): Promise<keyof Tally | null> {
  const definition = await definitionOf(executor, group.serviceId, group.serviceVersion);
  const from = definition.workflow.states.find((s) => s.id === group.fromState);
  const to = definition.workflow.states.find((s) => s.id === group.toState);
  if (!to) return null;
  if (role !== undefined) {
    // The closing move of a round of reviews is the workflow's own, not an operator's.
    const action = group.kind === 'action' ? from?.actions?.find((a) => a.id === group.actionId) : undefined;
    if (!from || !action || whoActs(from, action).role.toLowerCase() !== role.trim().toLowerCase()) return null;
  }
  return COUNTED[statusCodeOf(to)] ?? null;
}

/**
 * How many files staff approved, sent back to the applicant and rejected, per period. A file
 * moved into a state that waits for the applicant counts as sent back; `processed` is the sum.
 */
export async function registrationStatistics(executor: Executor, principal: Principal | null, query: StatisticsQuery): Promise<StatisticsItemOut[]> {
  const last = query.endDate ? day(query.endDate) : day(isoDay(new Date()));
  const first = query.startDate ? day(query.startDate) : new Date(last.getTime() - (DEFAULT_DAYS - 1) * DAY_MS);
  if (first > last) throw Problem.invalidField('/query/startDate', 'is after endDate', 'range');
  const periods = periodsOf(first, last, query.timeframe);
  const agencyIds = query.operator === undefined ? undefined : agenciesForOperatorCounts(principal);
  const serviceIds = query.registrationName === undefined ? undefined : await servicesNamed(executor, query.registrationName);
  const groups = await transitionCounts(executor, { from: first, to: new Date(last.getTime() + DAY_MS), timeframe: query.timeframe, serviceIds, actorName: query.operator, agencyIds });
  const tallies = new Map<string | null, Tally>(periods.map((p) => [p.key, { approved: 0, sentBack: 0, rejected: 0 }]));
  for (const group of groups) {
    const counted = await classify(executor, group, query.role);
    const tally = tallies.get(group.period);
    if (counted && tally) tally[counted] += group.count;
  }
  return periods.map((p) => {
    const tally = tallies.get(p.key)!;
    return {
      processed: tally.approved + tally.sentBack + tally.rejected,
      ...tally,
      references: {
        startDate: isoDay(p.first),
        endDate: isoDay(p.last),
        ...(query.registrationName !== undefined ? { registrationName: query.registrationName } : {}),
        ...(query.operator !== undefined ? { operator: query.operator } : {}),
        ...(query.role !== undefined ? { role: query.role } : {}),
        timeframeDay: query.timeframe === 'day',
        timeframeWeek: query.timeframe === 'week',
        timeframeMonth: query.timeframe === 'month',
        timeframeYear: query.timeframe === 'year',
      },
    };
  });
}
