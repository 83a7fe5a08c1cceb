import type { Db } from '../../../platform/db/database.ts';
import { DEFAULT_LOCALE, isLocale, translator } from '../../../platform/i18n/index.ts';
import { findUserById } from '../../identity/index.ts';
import type { InboundSmsHandler } from '../../messaging/index.ts';
import { loadCase } from '../../workflow/index.ts';
import { definitionOf } from './context.ts';
import { pickText } from './notify-people.ts';
import { findByTrackingNumber } from './store.ts';
import { normaliseTrackingNumber } from './tracking-number.ts';

const STATUS_COMMAND = /^\s*STATUS\s+(\S{3,40})\s*$/i;

/**
 * Where an application stands, in a few words of the applicant's language, for SMS and USSD; null
 * unless the caller's phone is the applicant's linked one, so a guessed number reveals nothing.
 */
export async function statusForPhone(db: Db, trackingNumber: string, phone: string): Promise<{ text: string; locale: string; userId: string } | null> {
  const normalised = normaliseTrackingNumber(trackingNumber);
  const application = normalised ? await findByTrackingNumber(db, normalised) : undefined;
  if (!application) return null;
  const applicant = await findUserById(db, application.created_by);
  if (!applicant || applicant.phone !== phone) return null;
  const locale = isLocale(applicant.locale) ? applicant.locale : isLocale(application.locale) ? application.locale : DEFAULT_LOCALE;
  const definition = await definitionOf(db, application.service_id, application.service_version);
  const caseRow = await loadCase(db, application.id);
  const state = definition.workflow.states.find((s) => s.id === caseRow?.state);
  const text = translator(locale)('sms.status.current', { trackingNumber: application.tracking_number, service: pickText(definition.title, locale), state: state ? pickText(state.label, locale) : '' });
  return { text, locale, userId: applicant.id };
}

/** "STATUS <tracking number>": answered to the applicant's linked phone; anyone else is told, neutrally, that nothing was found. */
export const answerStatusSms: InboundSmsHandler = async (db, sms) => {
  const command = STATUS_COMMAND.exec(sms.text);
  if (!command) return null;
  const status = await statusForPhone(db, command[1]!, sms.from);
  if (status) return { body: status.text, locale: status.locale, userId: status.userId };
  return { body: translator(DEFAULT_LOCALE)('sms.status.notFound'), locale: DEFAULT_LOCALE, userId: null };
};
