import type { Db, Executor } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { translator } from '../../platform/i18n/index.ts';
import { findUserById } from '../identity/index.ts';
import type { Messenger } from '../messaging/index.ts';
import { definitionOf, findApplication, phoneLocale, pickText, type ApplicationRow } from '../registration/index.ts';
import { CASE_MOVED, caseEvents, loadCase } from '../workflow/index.ts';
import { hasGivenFeedback } from './feedback.ts';

export const INVITE_TASK = 'analytics.invite-feedback';

/**
 * Outcomes the agency decided, so the applicant has a handling to rate. Withdrawn is not among
 * them (the applicant ended it, and the page they withdrew on already asks); nor is closed.
 */
const INVITED_OUTCOMES: readonly string[] = ['granted', 'refused'];

interface Moved { subjectType: string; subjectId: string; to?: string; outcome: string | null }

export function feedbackPath(applicationId: string): string {
  return `/applications/${applicationId}/feedback`;
}

/**
 * Whether the applicant may rate the application now: once it is decided, or once the case has
 * entered a state after which its definition asks for feedback (`feedback.after`).
 */
export async function mayRate(executor: Executor, application: ApplicationRow): Promise<boolean> {
  const caseRow = await loadCase(executor, application.id);
  if (!caseRow) return false;
  if (caseRow.outcome) return true;
  const definition = await definitionOf(executor, application.service_id, application.service_version);
  return (definition.feedback?.after ?? []).length > 0 && isRateable(caseRow, await caseEvents(executor, caseRow.id), definition);
}

/** The same, from a case, its moves and its definition the caller already holds (the application page). */
export function isRateable(caseRow: { outcome: string | null } | null, events: readonly { toState: string | null }[], definition: { feedback?: { after: readonly string[] } }): boolean {
  if (!caseRow) return false;
  if (caseRow.outcome) return true;
  const after = definition.feedback?.after ?? [];
  return events.some((e) => e.toState !== null && after.includes(e.toState));
}

/**
 * Invite the applicant to rate the application, by e-mail and on their linked phone, in their
 * language, with the link to the feedback page: after a grant or refusal, and on entering the
 * states the definition names in `feedback.after`. Run from the move's event, so the invitation
 * exists if and only if the move committed; the messages' keys are per application (and state,
 * for a step), so a redelivered event, or a second decision after a reopening, invites no more.
 */
export function inviteToFeedback(db: Db, jobs: JobQueue, messenger: Messenger, baseUrl: string): void {
  jobs.subscribe<Moved>(CASE_MOVED, INVITE_TASK, async (e) => {
    if (e.subjectType !== 'application') return;
    const application = await findApplication(db, e.subjectId);
    if (!application) return;
    const definition = await definitionOf(db, application.service_id, application.service_version);
    const decided = e.outcome !== null && INVITED_OUTCOMES.includes(e.outcome);
    const step = !e.outcome && e.to && definition.feedback?.after.includes(e.to) ? definition.workflow.states.find((s) => s.id === e.to) : undefined;
    if ((!decided && !step) || (await hasGivenFeedback(db, application.id))) return;
    const applicant = await findUserById(db, application.created_by);
    if (!applicant) return;
    const locale = phoneLocale(applicant.locale, application.locale);
    const t = translator(locale);
    const values = { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), state: step ? pickText(step.label, locale) : '', link: `${baseUrl}${feedbackPath(application.id)}`, phone: applicant.phone ? 'linked' : 'none' };
    const text = (key: string) => t(`analytics.invite.${step ? `step.${key}` : key}`, values);
    const common = { locale, userId: applicant.id, about: { type: 'application', id: application.id }, agencyId: application.agency_id, template: 'analytics.feedback-invitation' };
    const key = step ? `feedback-invite:${application.id}:${step.id}` : `feedback-invite:${application.id}`;
    await db.transaction().execute(async (trx) => {
      if (applicant.email) await messenger.queue(trx, { ...common, channel: 'email', to: applicant.email, subject: text('subject'), body: text('email'), dedupeKey: `${key}:email` });
      if (applicant.phone) await messenger.queue(trx, { ...common, channel: 'sms', to: applicant.phone, body: text('sms'), dedupeKey: `${key}:sms` });
    });
  });
}
