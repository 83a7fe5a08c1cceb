import { isLocale, translator, type Locale } from '../../platform/i18n/index.ts';

/**
 * The USSD menu, one screen per request as USSD gateways work: the gateway sends every input of
 * the session so far (`text`, joined by `*`), and we answer the next screen, `CON` to wait for
 * another input or `END` to close. No session state is kept on our side: the inputs are the state.
 */

/** What a basic phone shows on one screen. */
export const SCREEN_MAX = 182;
/** Offered when the caller's phone is linked to no account, in this order; each name in its own language. */
export const LANGUAGE_CHOICES = [
  ['en', 'English'],
  ['fr', 'Français'],
  ['ar', 'العربية'],
  ['sw', 'Kiswahili'],
  ['ru', 'Русский'],
  ['tg', 'Тоҷикӣ'],
] as const;

export interface MenuDeps {
  /** The state of an application, for the applicant's linked phone only; null for anyone else. */
  statusFor(trackingNumber: string, phone: string): Promise<string | null>;
}

export interface MenuRequest {
  phone: string;
  text: string;
  /** The language of the account this phone is linked to, if any. */
  linkedLocale: string | null;
}

const screen = (kind: 'CON' | 'END', body: string) => `${kind} ${body}`;

/** Texts of languages not shipped yet fall back to English, as everywhere on the platform. */
function translate(code: string) {
  return translator(isLocale(code) ? code : ('en' as Locale));
}

export async function nextScreen(deps: MenuDeps, request: MenuRequest): Promise<string> {
  const inputs = request.text === '' ? [] : request.text.split('*');
  let locale = request.linkedLocale;
  if (!locale) {
    const choice = inputs.shift();
    if (choice === undefined) return screen('CON', LANGUAGE_CHOICES.map(([, name], i) => `${i + 1} ${name}`).join('\n'));
    const picked = LANGUAGE_CHOICES[Number(choice) - 1];
    if (!picked) return screen('END', translate('en')('ussd.invalidChoice'));
    locale = picked[0];
  }
  const t = translate(locale);
  const [option, trackingNumber] = inputs;
  if (option === undefined) return screen('CON', `${t('ussd.welcome')}\n1 ${t('ussd.menu.status')}`);
  if (option !== '1') return screen('END', t('ussd.invalidChoice'));
  if (trackingNumber === undefined) return screen('CON', t('ussd.askTrackingNumber'));
  const status = await deps.statusFor(trackingNumber, request.phone);
  return screen('END', fit(status ?? t('ussd.notFound')));
}

/** The last screen cannot be paged (it ends the session), so a longer answer is cut at a word. */
function fit(text: string): string {
  const room = SCREEN_MAX - 'END '.length;
  if (text.length <= room) return text;
  const cut = text.slice(0, room - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), room / 2))}…`;
}
