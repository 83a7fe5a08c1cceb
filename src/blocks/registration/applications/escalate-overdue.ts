import type { Db } from '../../../platform/db/database.ts';
import { isLocale, translator } from '../../../platform/i18n/index.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import type { Mailer } from '../../../platform/mail/mailer.ts';
import { holdersOfRole } from '../../identity/index.ts';
import { DEADLINE_PASSED } from '../../workflow/index.ts';
import { definitionOf } from './context.ts';
import { pickText } from './notify-people.ts';
import { findApplication } from './store.ts';

/**
 * When a step of a case runs past its deadline, the heads of the agencies working it are told by
 * e-mail (each in their language), so someone with authority can act or extend it with a reason.
 */
export function escalateOverdueCases(db: Db, jobs: JobQueue, mailer: Mailer, baseUrl: string): void {
  jobs.subscribe(DEADLINE_PASSED, 'registration.tell-supervisors', async (event: { subjectType: string; subjectId: string; agencyId: string; workingAgencyIds: string[]; state: string }, ctx) => {
    if (event.subjectType !== 'application') return;
    const application = await findApplication(db, event.subjectId);
    if (!application) return;
    const definition = await definitionOf(db, application.service_id, application.service_version);
    const state = definition.workflow.states.find((s) => s.id === event.state);
    const agencies = event.workingAgencyIds.length > 0 ? event.workingAgencyIds : [event.agencyId];
    const found = (await Promise.all(agencies.map((agencyId) => holdersOfRole(db, 'agency-head', agencyId)))).flat();
    const heads = [...new Map(found.map((h) => [h.id, h])).values()];
    for (const [index, head] of heads.entries()) {
      if (!head.email) continue;
      const locale = isLocale(head.locale) ? head.locale : 'en';
      const t = translator(locale);
      const values = { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), step: state ? pickText(state.label, locale) : event.state, link: `${baseUrl}/work/cases/${application.id}` };
      await mailer.send({ to: head.email, subject: t('mail.overdue.subject', values), text: t('mail.overdue.body', values), messageId: `<job-${ctx.jobId}-${index}@daftari>` });
    }
  });
}
