import { formatList, SHIPPED_LOCALES, translator, type Locale } from '../../platform/i18n/index.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { InboundSmsHandler } from '../messaging/index.ts';
import { answerNotFound, caseForPhone, findApplication } from '../registration/index.ts';
import { FEEDBACK_THEMES, giveFeedback, type FeedbackTheme } from './feedback.ts';
import { mayRate } from './invite.ts';

/** The words after the rating: perhaps a theme's keyword first, then the comment. */
const RATE_COMMAND = /^\s*RATE\s+(\S{3,40})(?:\s+(\S+)(?:\s+([\s\S]*))?)?\s*$/i;
/** As long as the page's comment field allows. */
const COMMENT_LENGTH = 300;

/** The themes a phone can name, by a keyword (`analytics.smsThemes`), without `other`, which is what no keyword means. */
const KEYWORD_THEMES = FEEDBACK_THEMES.filter((theme): theme is Exclude<FeedbackTheme, 'other'> => theme !== 'other');

/** Letters compared without case or marks, so "délai", "DELAI" and "Délai" are one word, as are "МӮҲЛАТ" and "муҳлат" typed without its macron. */
const folded = (word: string) => word.normalize('NFD').replace(/\p{M}/gu, '').toLocaleUpperCase();

/** Any shipped language's keyword names its theme: a phone's keyboard may not match the account's language. */
const THEME_OF_KEYWORD = new Map<string, FeedbackTheme>(
  SHIPPED_LOCALES.flatMap((locale) => KEYWORD_THEMES.map((theme) => [folded(translator(locale)(`analytics.smsThemes.${theme}`)), theme] as const)),
);

/** The keywords of a language, as a list to put in a reply ("TIME, INFO, … or ONLINE"). */
export function smsKeywords(locale: Locale): string {
  const t = translator(locale);
  return formatList(locale, KEYWORD_THEMES.map((theme) => t(`analytics.smsThemes.${theme}`)), 'disjunction');
}

/** The theme a comment starts with, and the comment without it; `other` when its first word is no keyword. */
export function themeOf(words: string): { theme: FeedbackTheme; comment: string } {
  const [first = '', ...rest] = words.trim().split(/\s+/);
  const theme = THEME_OF_KEYWORD.get(folded(first.replace(/[.,;:!?،؛]+$/u, '')));
  return theme ? { theme, comment: rest.join(' ') } : { theme: 'other', comment: words.trim() };
}

/**
 * "RATE <tracking number> <1-5> [theme keyword] [a few words]": the rating the invitation asks for, from a phone
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
  const reply = (key: string) => ({ body: t(`analytics.invite.${key}`, { trackingNumber: application.tracking_number, themes: smsKeywords(found.locale) }), locale: found.locale, userId: found.userId });
  if (!(await mayRate(db, application))) return reply('notDecided');
  const rating = command[2] ?? '';
  if (!/^[1-5]$/.test(rating)) return reply('usage');
  const { theme, comment } = themeOf(command[3] ?? '');
  try {
    await giveFeedback(db, { applicationId: application.id, serviceId: application.service_id, agencyId: application.agency_id, rating: Number(rating), theme, comment: comment.slice(0, COMMENT_LENGTH) });
  } catch (err) {
    if (err instanceof Problem && err.status === 409) return reply('already');
    throw err;
  }
  return reply('rated');
};
