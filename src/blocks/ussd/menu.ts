import { formatList, formatMoney, isLocale, translator, type Locale, type Translate } from '../../platform/i18n/index.ts';
import type { NextStep, Owed, PhonePayment } from '../registration/index.ts';

/**
 * The USSD menu, one screen per request as USSD gateways work: the gateway sends every input of
 * the session so far (`text`, joined by `*`), and we answer the next screen, `CON` to wait for
 * another input or `END` to close. No session state is kept on our side: the inputs are the state,
 * the page of a long answer included (each `0` asks for the next one).
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

/** An application as the caller's phone may see it. */
export interface MenuCase {
  /** "<tracking number> (<service>): <state>" in the applicant's language. */
  status: string;
  /** What is left to pay on its open invoice, shown and payable only here. */
  owed: Pick<Owed, 'amount' | 'currency' | 'decimals'> | null;
  next: NextStep;
}

export interface MenuDeps {
  /** The application, for the applicant's linked phone only; null for anyone else. */
  caseFor(trackingNumber: string, phone: string): Promise<MenuCase | null>;
  /** Ask the mobile-money provider to collect what is owed from this phone; the same checks as caseFor. */
  pay(trackingNumber: string, phone: string): Promise<PhonePayment>;
}

export interface MenuRequest {
  phone: string;
  text: string;
  /** The language of the account this phone is linked to, if any. */
  linkedLocale: string | null;
}

const screen = (kind: 'CON' | 'END', body: string) => `${kind} ${body}`;
const PAY = '1';
const NEXT_STEP = '2';
const MORE = '0';

export async function nextScreen(deps: MenuDeps, request: MenuRequest): Promise<string> {
  const inputs = request.text === '' ? [] : request.text.split('*');
  let locale: Locale;
  if (isLocale(request.linkedLocale)) locale = request.linkedLocale;
  else {
    const choice = inputs.shift();
    if (choice === undefined) return screen('CON', LANGUAGE_CHOICES.map(([, name], i) => `${i + 1} ${name}`).join('\n'));
    const picked = LANGUAGE_CHOICES[Number(choice) - 1];
    if (!picked) return screen('END', translator('en')('ussd.invalidChoice'));
    locale = picked[0];
  }
  const t = translator(locale);
  const [option, trackingNumber, action, ...pages] = inputs;
  if (option === undefined) return screen('CON', `${t('ussd.welcome')}\n1 ${t('ussd.menu.status')}`);
  if (option !== '1') return screen('END', t('ussd.invalidChoice'));
  if (trackingNumber === undefined) return screen('CON', t('ussd.askTrackingNumber'));
  const found = await deps.caseFor(trackingNumber, request.phone);
  if (!found) return screen('END', fit(t('ussd.notFound'), SCREEN_MAX - 'END '.length));
  const owed = found.owed ? formatMoney(locale, found.owed.amount, found.owed.currency, found.owed.decimals) : null;
  if (action === undefined) {
    const choices = [...(owed ? [t('ussd.owed', { amount: owed }), `${PAY} ${t('ussd.menu.pay')}`] : []), `${NEXT_STEP} ${t('ussd.menu.nextStep')}`].join('\n');
    return screen('CON', `${fit(found.status, SCREEN_MAX - 'CON \n'.length - choices.length)}\n${choices}`);
  }
  if (action === PAY && owed && pages.length === 0) {
    const outcome = await deps.pay(trackingNumber, request.phone);
    return screen('END', t(`phone.pay.${outcome}`, { amount: owed }));
  }
  if (action === NEXT_STEP && pages.every((page) => page === MORE)) return page(t, nextStepText(t, locale, found.next, owed), pages.length);
  return screen('END', t('ussd.invalidChoice'));
}

function nextStepText(t: Translate, locale: Locale, next: NextStep, owed: string | null): string {
  switch (next.by) {
    case 'applicant':
      return t('ussd.next.applicant', { actions: formatList(locale, next.actions, 'disjunction') });
    case 'payment':
      return owed ? t('ussd.next.payment', { amount: owed }) : t('ussd.next.paymentReceived');
    case 'agency':
      return t('ussd.next.agency', { state: next.state });
    case 'nobody':
      return t(`ussd.next.${next.outcome}`);
  }
}

/** One page of a long answer: every page but the last offers `0` for the next. */
function page(t: Translate, text: string, index: number): string {
  const more = `\n${MORE} ${t('ussd.more')}`;
  let rest = text;
  for (let i = 0; ; i++) {
    const last = rest.length <= SCREEN_MAX - 'END '.length;
    const cut = last ? rest.length : breakAt(rest, SCREEN_MAX - 'CON '.length - more.length);
    if (i === index || last) return last ? screen('END', rest) : screen('CON', `${rest.slice(0, cut).trimEnd()}${more}`);
    rest = rest.slice(cut).trimStart();
  }
}

/** Where to cut a text to fit `room`: the last space within it, or mid-word when a word is longer than half a screen. */
function breakAt(text: string, room: number): number {
  const space = text.lastIndexOf(' ', room);
  return space > room / 2 ? space : room;
}

/** A line that cannot be paged (it shares its screen with choices) is cut at a word. */
function fit(text: string, room: number): string {
  if (text.length <= room) return text;
  return `${text.slice(0, breakAt(text, room - 1)).trimEnd()}…`;
}
