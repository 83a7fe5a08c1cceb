import { giveFeedback, refreshRollups, type FeedbackTheme } from '../blocks/analytics/index.ts';
import { findUserByLogin, principalForUser } from '../blocks/identity/index.ts';
import { actOnApplication, applyInOneStep, withdrawApplication, type RegistrationDeps } from '../blocks/registration/index.ts';
import type { JobQueue } from '../platform/jobs/queue.ts';

const COMPLAINTS = [
  { subject: 'Licence counter closed during opening hours', answer: true, rating: 4, theme: 'staff', comment: 'Polite answer and an apology' },
  { subject: 'Fee receipt never arrived', answer: true, rating: 2, theme: 'cost', comment: 'Still waiting for the receipt' },
  { subject: 'Inspection date changed twice', answer: true, rating: 3, theme: 'speed', comment: 'Answered, but slowly' },
  { subject: 'Form asks for the same document twice', answer: true, rating: 5, theme: 'documents', comment: 'They fixed the form' },
  { subject: 'Market stall moved without notice', answer: true, rating: 4, theme: 'clarity', comment: 'Clear explanation' },
  { subject: 'Website error when paying', answer: true, rating: 1, theme: 'online', comment: 'The site still fails' },
  { subject: 'Unclear list of opening hours', answer: true, rating: null },
  { subject: 'Queue at the trade office', answer: true, rating: null },
  { subject: 'Wrong name on a licence', answer: false, withdraw: true },
  { subject: 'Late reply to a letter', answer: false },
  { subject: 'Missing stamp on a certificate', answer: false },
  { subject: 'Confusing fee table', answer: false },
] as const;

/**
 * Complaints made and handled through the real use cases (Amina complains to the Ministry of
 * Trade, its officer answers most of them), a few rated by Amina, and the rollups refreshed, so
 * the dashboards and the public page show figures on a fresh demo. Kept once made: the
 * idempotency keys make a second run find the same complaints.
 */
export async function seedDemoPerformance(deps: RegistrationDeps, jobs: JobQueue): Promise<string[]> {
  const { db } = deps;
  const [amina, officer] = await Promise.all([findUserByLogin(db, 'amina'), findUserByLogin(db, 'officer.trade')]);
  if (!amina || !officer) return [];
  const [applicant, staff] = await Promise.all([principalForUser(db, amina.id, null), principalForUser(db, officer.id, null)]);
  if (!applicant || !staff) return [];
  let made = 0;
  for (const [i, c] of COMPLAINTS.entries()) {
    const { application, created } = await applyInOneStep(deps, {
      serviceId: 'public-complaint',
      data: { agency: 'commerce', subject: c.subject, details: `${c.subject}. Seen at the Ministry of Trade office in Djibouti.` },
      principal: applicant,
      idempotencyKey: `demo-performance-${i}`,
      locale: 'fr',
      requestId: 'seed',
    });
    if (!created) continue;
    made++;
    if (c.answer) {
      await actOnApplication(deps, { applicationId: application.id, actionId: 'respond', inputs: { response: 'Thank you: we looked into it and have put it right.' }, principal: staff, requestId: 'seed' });
      if (c.rating) await giveFeedback(db, { applicationId: application.id, serviceId: application.service_id, agencyId: application.agency_id, rating: c.rating, theme: c.theme as FeedbackTheme, comment: c.comment });
    }
    if ('withdraw' in c) await withdrawApplication(deps, { applicationId: application.id, reason: 'Sorted out at the counter', principal: applicant, requestId: 'seed' });
  }
  if (made === 0) return [];
  // The facts come from the events these made: deliver them, then roll up, so the figures show at once.
  await jobs.drain();
  await refreshRollups(db);
  return [`${made} complaints handled, ${COMPLAINTS.filter((c) => 'rating' in c && c.rating).length} rated, figures rolled up`];
}
