import type { Db } from '../../../platform/db/database.ts';
import { translator, type Locale } from '../../../platform/i18n/index.ts';
import { findUserByContact, findUserById } from '../../identity/index.ts';
import type { InboundSmsHandler } from '../../messaging/index.ts';
import { loadCase } from '../../workflow/index.ts';
import { definitionOf } from './context.ts';
import { phoneLocale, pickText } from './notify-people.ts';
import { findByTrackingNumber } from './store.ts';
import { normaliseTrackingNumber } from './tracking-number.ts';

const STATUS_COMMAND = /^\s*STATUS\s+(\S{3,40})\s*$/i;

/** What is expected next of a case, from its state: the applicant acts, pays, waits for the agency, or it is over. */
export type NextStep =
  | { by: 'applicant'; actions: string[] }
  | { by: 'payment' }
  | { by: 'agency'; state: string }
  | { by: 'nobody'; outcome: 'granted' | 'refused' | 'withdrawn' | 'closed' };

export interface CaseForPhone {
  applicationId: string;
  userId: string;
  /** The applicant's language, else the one they applied in: the phone channels speak all six. */
  locale: Locale;
  /** "<tracking number> (<service>): <state>", in that language. */
  text: string;
  next: NextStep;
}

/**
 * An application as its applicant's linked phone may see it; null for any other phone or an
 * unknown number, so a guessed tracking number reveals nothing. Used by SMS and USSD.
 */
export async function caseForPhone(db: Db, trackingNumber: string, phone: string): Promise<CaseForPhone | null> {
  const normalised = normaliseTrackingNumber(trackingNumber);
  const application = normalised ? await findByTrackingNumber(db, normalised) : undefined;
  if (!application) return null;
  const applicant = await findUserById(db, application.created_by);
  if (!applicant || applicant.phone !== phone) return null;
  const locale = phoneLocale(applicant.locale, application.locale);
  const definition = await definitionOf(db, application.service_id, application.service_version);
  const caseRow = await loadCase(db, application.id);
  const state = definition.workflow.states.find((s) => s.id === caseRow?.state);
  const text = translator(locale)('sms.status.current', { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), state: state ? pickText(state.label, locale) : '' });
  const next: NextStep = state?.outcome
    ? { by: 'nobody', outcome: state.outcome }
    : state?.payment
      ? { by: 'payment' }
      : state?.applicantActions?.length
        ? { by: 'applicant', actions: state.applicantActions.map((a) => pickText(a.label, locale)) }
        : { by: 'agency', state: state ? pickText(state.label, locale) : '' };
  return { applicationId: application.id, userId: applicant.id, locale, text, next };
}

/** "STATUS <tracking number>": answered to the applicant's linked phone; anyone else is told, neutrally, that nothing was found. */
export const answerStatusSms: InboundSmsHandler = async (db, sms) => {
  const command = STATUS_COMMAND.exec(sms.text);
  if (!command) return null;
  const status = await caseForPhone(db, command[1]!, sms.from);
  if (status) return { body: status.text, locale: status.locale, userId: status.userId };
  return answerNotFound(db, sms.from);
};

/** The neutral answer to any phone but the applicant's, in the sender's own language when their phone is linked to an account. */
export async function answerNotFound(db: Db, from: string): Promise<{ body: string; locale: Locale; userId: string | null }> {
  const holder = await findUserByContact(db, 'sms', from);
  const locale = phoneLocale(holder ? (await findUserById(db, holder.id))?.locale : null);
  return { body: translator(locale)('sms.status.notFound'), locale, userId: holder?.id ?? null };
}
