import type { Db } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { translator } from '../../platform/i18n/index.ts';
import { findUserById } from '../identity/index.ts';
import type { Messenger } from '../messaging/index.ts';
import { definitionOf, findApplication, phoneLocale, pickText } from '../registration/index.ts';
import { CASE_MOVED } from '../workflow/index.ts';
import { hasGivenFeedback } from './feedback.ts';

export const INVITE_TASK = 'analytics.invite-feedback';

/**
 * Outcomes the agency decided, so the applicant has a handling to rate. Withdrawn is not among
 * them (the applicant ended it, and the page they withdrew on already asks); nor is closed.
 */
const INVITED_OUTCOMES: readonly string[] = ['granted', 'refused'];

interface Moved { subjectType: string; subjectId: string; outcome: string | null }

export function feedbackPath(applicationId: string): string {
  return `/applications/${applicationId}/feedback`;
}

/**
 * Invite the applicant to rate a decided application, by e-mail and on their linked phone, in
 * their language, with the link to the feedback page. Run from the decision's event, so the
 * invitation exists if and only if the decision committed; the messages' keys are per
 * application, so a redelivered event (or a second decision after a reopening) invites no more.
 */
export function inviteToFeedback(db: Db, jobs: JobQueue, messenger: Messenger, baseUrl: string): void {
  jobs.subscribe<Moved>(CASE_MOVED, INVITE_TASK, async (e) => {
    if (e.subjectType !== 'application' || !e.outcome || !INVITED_OUTCOMES.includes(e.outcome)) return;
    const application = await findApplication(db, e.subjectId);
    if (!application || (await hasGivenFeedback(db, application.id))) return;
    const applicant = await findUserById(db, application.created_by);
    if (!applicant) return;
    const definition = await definitionOf(db, application.service_id, application.service_version);
    const locale = phoneLocale(applicant.locale, application.locale);
    const t = translator(locale);
    const values = { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), link: `${baseUrl}${feedbackPath(application.id)}`, phone: applicant.phone ? 'linked' : 'none' };
    const common = { locale, userId: applicant.id, about: { type: 'application', id: application.id }, agencyId: application.agency_id, template: 'analytics.feedback-invitation' };
    const key = `feedback-invite:${application.id}`;
    await db.transaction().execute(async (trx) => {
      if (applicant.email) await messenger.queue(trx, { ...common, channel: 'email', to: applicant.email, subject: t('analytics.invite.subject', values), body: t('analytics.invite.email', values), dedupeKey: `${key}:email` });
      if (applicant.phone) await messenger.queue(trx, { ...common, channel: 'sms', to: applicant.phone, body: t('analytics.invite.sms', values), dedupeKey: `${key}:sms` });
    });
  });
}
