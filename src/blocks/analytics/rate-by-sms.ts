import { translator } from '../../platform/i18n/index.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { InboundSmsHandler } from '../messaging/index.ts';
import { answerNotFound, caseForPhone, findApplication } from '../registration/index.ts';
import { giveFeedback } from './feedback.ts';
import { mayRate } from './invite.ts';

/** The words after the rating are the comment; a phone cannot pick a theme from a list, so it is `other`. */
const RATE_COMMAND = /^\s*RATE\s+(\S{3,40})(?:\s+(\S+)(?:\s+([\s\S]*))?)?\s*$/i;
/** As long as the page's comment field allows. */
const COMMENT_LENGTH = 300;

/**
 * "RATE <tracking number> <1-5> [a few words]": the rating the invitation asks for, from a phone
 * without a browser. Only the applicant's linked phone may answer, once per application, and only
 * once it may be rated (decided, or past a step the definition asks feedback after); any other
 * phone is told, as for STATUS, that nothing was found.
 */
export const answerRateSms: InboundSmsHandler = async (db, sms) => {
  const command = RATE_COMMAND.exec(sms.text);
  if (!command) return null;
  const found = await caseForPhone(db, command[1]!, sms.from);
  const application = found ? await findApplication(db, found.applicationId) : undefined;
  if (!found || !application) return answerNotFound(db, sms.from);
  const t = translator(found.locale);
  const reply = (key: string) => ({ body: t(`analytics.invite.${key}`, { trackingNumber: application.tracking_number }), locale: found.locale, userId: found.userId });
  if (!(await mayRate(db, application))) return reply('notDecided');
  const rating = command[2] ?? '';
  if (!/^[1-5]$/.test(rating)) return reply('usage');
  try {
    await giveFeedback(db, { applicationId: application.id, serviceId: application.service_id, agencyId: application.agency_id, rating: Number(rating), theme: 'other', comment: (command[3] ?? '').trim().slice(0, COMMENT_LENGTH) });
  } catch (err) {
    if (err instanceof Problem && err.status === 409) return reply('already');
    throw err;
  }
  return reply('rated');
};
