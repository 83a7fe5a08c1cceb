import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type TFunction } from 'i18next';
import ICU from 'i18next-icu';

/**
 * Messages live in `src/locales/<locale>.json` (the portal) and `src/locales/<block>/<locale>.json`
 * (one folder per block that has pages), as nested objects of ICU MessageFormat strings
 * (`{count, plural, one {# case} other {# cases}}`), merged into one tree per locale. A country
 * adds a language by adding a file in each folder and listing it in SHIPPED_LOCALES.
 */
export const SHIPPED_LOCALES = ['en', 'fr', 'ar', 'sw', 'ru', 'tg'] as const;
export type Locale = (typeof SHIPPED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
const RTL = new Set(['ar', 'fa', 'ur', 'he']);

export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', fr: 'Français', ar: 'العربية', sw: 'Kiswahili', ru: 'Русский', tg: 'Тоҷикӣ' };

export type Messages = { [key: string]: string | Messages };

const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales');

function readMessages(file: string): Messages {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Messages;
}

/** Fold `extra` into `into`; a key defined twice is a mistake in the files, not something to override. */
function mergeMessages(into: Messages, extra: Messages, file: string, prefix = ''): void {
  for (const [key, value] of Object.entries(extra)) {
    const existing = into[key];
    if (existing === undefined) into[key] = value;
    else if (typeof existing === 'object' && typeof value === 'object') mergeMessages(existing, value, file, `${prefix}${key}.`);
    else throw new Error(`${file}: the message ${prefix}${key} is already defined in another locale file`);
  }
}

export function loadMessages(locale: string): Messages {
  const messages = readMessages(path.join(localesDir, `${locale}.json`));
  const parts = fs.readdirSync(localesDir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  for (const part of parts) {
    const file = path.join(localesDir, part, `${locale}.json`);
    if (fs.existsSync(file)) mergeMessages(messages, readMessages(file), file);
  }
  return messages;
}

/** Every leaf key of a message tree, as dotted paths. */
export function messageKeys(messages: Messages, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : messageKeys(value, `${prefix}${key}.`),
  );
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (SHIPPED_LOCALES as readonly string[]).includes(value);
}

export function directionOf(locale: string): 'rtl' | 'ltr' {
  return RTL.has(locale.split('-')[0] ?? locale) ? 'rtl' : 'ltr';
}

/** Pick the best shipped locale from an Accept-Language header. */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q) : 1 };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const base = tag.split('-')[0];
    if (isLocale(base)) return base;
  }
  return DEFAULT_LOCALE;
}

export type Translate = TFunction;

/**
 * The locales ICU formats a message in. Node's ICU has dates, numbers and lists for Tajik but no
 * plural rules, and Intl.PluralRules then falls back to the host's default locale, so a server
 * started with LANG=ru_RU would pick Russian plural forms. Tajik nouns stay singular after a
 * numeral and its messages only set the case of exactly one apart, so its plurals follow Uzbek's
 * CLDR rule (one: n = 1, other), while everything else stays Tajik.
 */
export function messageLocales(locale: Locale): string[] {
  return locale === 'tg' ? ['tg', 'uz'] : [locale];
}

const instance = i18next.createInstance();
// IntlMessageFormat takes a list of locales; i18next-icu's type only says string.
instance.use(new ICU({ parseLngForICU: (lng) => messageLocales(isLocale(lng) ? lng : DEFAULT_LOCALE) as unknown as string })).init({
  resources: Object.fromEntries(SHIPPED_LOCALES.map((locale) => [locale, { translation: loadMessages(locale) }])),
  lng: DEFAULT_LOCALE,
  fallbackLng: DEFAULT_LOCALE,
  supportedLngs: [...SHIPPED_LOCALES],
  initAsync: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

export function translator(locale: Locale): Translate {
  return instance.getFixedT(locale);
}

/** Arabic pages show Latin digits, like the tracking numbers, amounts and phone numbers beside them. */
function intlLocale(locale: Locale): string {
  return locale === 'ar' ? 'ar-u-nu-latn' : locale;
}

/** Format a date-time for people in their locale and the platform's time zone. */
export function formatDateTime(locale: Locale, value: Date, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(value);
}

/** A calendar day (a validity end, a date answered on a form), in the platform's time zone. */
export function formatDate(locale: Locale, value: Date, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: 'long', timeZone }).format(value);
}

/** An exact decimal amount (as the fee engine gives it) in a currency, with that currency's decimals (ISO 4217's when not given). */
export function formatMoney(locale: Locale, amount: string, currency: string, decimals?: number): string {
  const format = new Intl.NumberFormat(intlLocale(locale), { style: 'currency', currency, ...(decimals === undefined ? {} : { minimumFractionDigits: decimals, maximumFractionDigits: decimals }) });
  return format.format(amount as Intl.StringNumericLiteral);
}

/** A number someone gave (whole or decimal, exact as stored), grouped and pointed the local way. */
export function formatNumber(locale: Locale, value: string | number): string {
  return new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits: 20 }).format(value as Intl.StringNumericLiteral);
}

/** "A, B or C" in the reader's language. */
export function formatList(locale: Locale, items: string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string {
  return new Intl.ListFormat(locale, { type }).format(items);
}
