import type { Executor } from '../../../platform/db/database.ts';
import { hasRole, type Principal } from '../../../platform/http/access.ts';
import { applicantActionsOpen, caseEvents, caseTasks, loadCase, mayTake, type CaseEvent, type CaseRow, type TaskRow } from '../../workflow/index.ts';
import type { ServiceDefinition, StateDefinition } from '../definition/schema.ts';
import { agencyIdsOf, definitionOf } from './context.ts';
import { totalOf } from './form-engine.ts';
import { documentStatus } from '../../esignature/index.ts';
import { findUserById } from '../../identity/index.ts';
import { documentsOf, outputsOf, type ApplicationRow, type DocumentRow, type OutputRow } from './store.ts';

/**
 * Everything a page or an API answer shows about an application, computed once: for the
 * applicant (what is asked of them, deadlines, what was issued) or for staff (the whole file and
 * the actions this officer may take now).
 */
export interface ApplicationView {
  application: ApplicationRow;
  definition: ServiceDefinition;
  caseRow: CaseRow | null;
  state: StateDefinition | null;
  documents: DocumentRow[];
  outputs: OutputRow[];
  totalFee: string | null;
  /** History; for the applicant without internal steps (claims, releases) or officers' names. */
  events: CaseEvent[];
  tasks: TaskRow[];
  /** Officer actions this principal may take in the current state. */
  actions: NonNullable<StateDefinition['actions']>;
  /** Reviews this principal may give now. */
  reviews: { id: string; label: Record<string, string> }[];
  applicantActions: NonNullable<StateDefinition['applicantActions']>;
  mayWithdraw: boolean;
  /** The agent who applied for the person at a counter (channel `assisted`). */
  assistedBy: { id: string; name: string } | null;
}

const INTERNAL_EVENTS = new Set(['claim', 'release', 'assign', 'escalate', 'opinion']);

export async function describeApplication(executor: Executor, application: ApplicationRow, principal: Principal | null, audience: 'applicant' | 'staff'): Promise<ApplicationView> {
  const definition = await definitionOf(executor, application.service_id, application.service_version);
  const [caseRow, documents, issued, assistant] = await Promise.all([
    loadCase(executor, application.id),
    documentsOf(executor, application.id),
    outputsOf(executor, application.id),
    application.assisted_by ? findUserById(executor, application.assisted_by) : undefined,
  ]);
  // A signed document is revoked in the e-signature block (where /verify reads it), so that is what the application shows.
  const outputs = await Promise.all(
    issued.map(async (output) => (output.document_id ? { ...output, revoked_at: (await documentStatus(executor, output.document_id))?.revokedAt ?? output.revoked_at } : output)),
  );
  const state = caseRow ? definition.workflow.states.find((s) => s.id === caseRow.state) ?? null : null;
  const [allEvents, tasks] = caseRow ? await Promise.all([caseEvents(executor, caseRow.id), caseTasks(executor, caseRow.id)]) : [[], []];
  const events = audience === 'staff' ? allEvents : allEvents.filter((e) => !INTERNAL_EVENTS.has(e.kind)).map((e) => ({ ...e, actorName: e.actorType === 'user' && e.kind.startsWith('applicant') ? e.actorName : null }));
  const open = caseRow && !caseRow.closed_at && state;
  const agencyIds = agencyIdsOf(executor);
  const actions = open && audience === 'staff' ? await filterAsync(state.actions ?? [], (a) => mayTake(principal, definition, state, a, agencyIds, application.data)) : [];
  const openReviews = open && state.reviews ? tasks.filter((t) => t.visit === caseRow.visit && t.review_id && !t.completed_at) : [];
  const reviews = audience === 'staff' && principal
    ? state?.reviews?.reviewers.filter((r) => openReviews.some((t) => t.review_id === r.id && hasRole(principal, t.role, t.agency_id))).map((r) => ({ id: r.id, label: r.label })) ?? []
    : [];
  return {
    application,
    definition,
    caseRow: caseRow ?? null,
    state,
    documents,
    outputs,
    totalFee: totalOf(application.fees),
    events,
    tasks: audience === 'staff' ? tasks : [],
    actions,
    reviews,
    applicantActions: caseRow && state && audience === 'applicant' ? applicantActionsOpen(state, caseRow) : [],
    mayWithdraw: Boolean(open && audience === 'applicant' && (definition.workflow.withdrawableFrom ?? []).includes(caseRow.state)),
    assistedBy: assistant ? { id: assistant.id, name: assistant.display_name } : null,
  };
}

async function filterAsync<T>(items: T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const decisions = await Promise.all(items.map(keep));
  return items.filter((_, i) => decisions[i]);
}
