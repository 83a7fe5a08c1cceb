import type { Db, Executor } from '../../../platform/db/database.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import type { Messenger } from '../../messaging/index.ts';
import { findUserById, holdersOfRole } from '../../identity/index.ts';
import { DEFAULT_LOCALE, isLocale, translator, type Locale } from '../../../platform/i18n/index.ts';
import { agencyCodeOf } from '../../workflow/index.ts';
import { agencyIdsOf, definitionOf } from './context.ts';
import { answersAsText } from './form-engine.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import { findApplication, type ApplicationRow } from './store.ts';

export const NOTIFY_TASK = 'registration.send-notification';

/** Fill `{{name}}` placeholders; unknown names stay visible rather than vanish. */
export function fillTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([a-zA-Z][a-zA-Z0-9]*)\s*\}\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined || value === null ? whole : String(value);
  });
}

/** The language to write to a person in on their phone: the first of the given that the platform speaks. */
export function phoneLocale(...candidates: (string | null | undefined)[]): Locale {
  return candidates.find(isLocale) ?? DEFAULT_LOCALE;
}

export function pickText(text: Record<string, string>, locale: string): string {
  return text[locale] ?? text.en ?? Object.values(text)[0] ?? '';
}

/**
 * Queue the notifications a moment calls for: those declared `on` it, plus those an action names
 * as effects, each once. Queued in the caller's transaction, so they go if and only if it commits.
 */
export async function queueNotifications(executor: Executor, jobs: JobQueue, definition: ServiceDefinition, application: ApplicationRow, moment: { on: string[]; explicit: string[]; vars: Record<string, unknown>; key: string }): Promise<void> {
  const ids = new Set([...(definition.notifications ?? []).filter((n) => moment.on.includes(n.on)).map((n) => n.id), ...moment.explicit]);
  for (const id of ids) {
    await jobs.enqueue(executor, NOTIFY_TASK, { applicationId: application.id, notificationId: id, vars: moment.vars }, { dedupeKey: `notify:${application.id}:${id}:${moment.key}`, maxAttempts: 8 });
  }
}

/**
 * The job: hand the notification to the messaging block, for the applicant (in the language they
 * applied in, by e-mail and SMS as declared) or the officers who work the case (by e-mail). Each
 * message has a key of this job, recipient and channel, so a retried job queues nothing twice.
 */
export function notificationSender(db: Db, messenger: Messenger) {
  return async ({ applicationId, notificationId, vars }: { applicationId: string; notificationId: string; vars: Record<string, unknown> }, ctx: { jobId: number }) => {
    const application = await findApplication(db, applicationId);
    if (!application) return;
    const definition = await definitionOf(db, application.service_id, application.service_version);
    const notification = (definition.notifications ?? []).find((n) => n.id === notificationId);
    if (!notification) return;
    const recipients: { id: string; email: string | null; phone: string | null; locale: string | null }[] = [];
    if (notification.to === 'applicant') {
      const user = await findUserById(db, application.created_by);
      if (user) recipients.push({ id: user.id, email: user.email, phone: user.phone, locale: application.locale });
    } else {
      const state = definition.workflow.states.find((s) => s.id === vars.state);
      const assignee = state?.assignee ?? { role: 'officer' };
      const agencyId = await agencyIdsOf(db)(agencyCodeOf(assignee, definition, application.data));
      recipients.push(...(await holdersOfRole(db, assignee.role, agencyId)).map((officer) => ({ ...officer, phone: null })));
    }
    for (const recipient of recipients) {
      const locale = recipient.locale ?? 'en';
      const values = { ...answersAsText(definition, application.data, locale), ...vars, trackingNumber: application.tracking_number };
      const subject = fillTemplate(pickText(notification.subject, locale), values);
      const common = { locale, about: { type: 'application', id: application.id }, agencyId: application.agency_id, template: `${definition.id}.${notification.id}` };
      if (notification.channels.includes('email') && recipient.email) {
        await messenger.queue(db, { ...common, channel: 'email', to: recipient.email, subject, body: fillTemplate(pickText(notification.body, locale), values), dedupeKey: `notify:${ctx.jobId}:${recipient.id}:email` });
      }
      if (notification.channels.includes('sms') && recipient.phone) {
        const text = notification.sms ? fillTemplate(pickText(notification.sms, locale), values) : subject;
        await messenger.queue(db, { ...common, channel: 'sms', to: recipient.phone, body: text, dedupeKey: `notify:${ctx.jobId}:${recipient.id}:sms` });
      }
    }
  };
}

/**
 * Tell the applicant's linked phone that the case moved, in their language, alongside whatever the
 * definition sends by e-mail; skipped when the definition already texts the applicant about it.
 */
export async function queueStatusSms(executor: Executor, messenger: Messenger, definition: ServiceDefinition, application: ApplicationRow, moment: { on: string[]; state: string }): Promise<void> {
  const texted = (definition.notifications ?? []).some((n) => moment.on.includes(n.on) && n.to === 'applicant' && n.channels.includes('sms'));
  const state = definition.workflow.states.find((s) => s.id === moment.state);
  if (texted || !state) return;
  const applicant = await findUserById(executor, application.created_by);
  if (!applicant?.phone) return;
  const locale = phoneLocale(applicant.locale, application.locale);
  const body = translator(locale)('sms.status.changed', { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), state: pickText(state.label, locale) });
  await messenger.queue(executor, { channel: 'sms', to: applicant.phone, locale, body, userId: applicant.id, about: { type: 'application', id: application.id }, agencyId: application.agency_id, template: 'registration.status-changed' });
}
