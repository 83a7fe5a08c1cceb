import { SHIPPED_LOCALES } from '../../platform/i18n/index.ts';
import type { InvalidParam } from '../../platform/http/problem.ts';

/** Text in several languages: `{ en: "…", fr: "…", ar: "…" }`. */
export type LocalizedText = Record<string, string>;

export const STATUSES = ['paper', 'partly-online', 'fully-online'] as const;
export type DigitisationStatus = (typeof STATUSES)[number];

export const CHANNELS = ['online', 'office', 'post', 'phone', 'agent'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The life events people look services up by; labels are in the locale files (catalogue.lifeEvents.*). */
export const LIFE_EVENTS = [
  'birth', 'education', 'work', 'business', 'property', 'construction', 'family', 'health',
  'travel', 'vehicle', 'tax', 'retirement', 'death', 'justice', 'agriculture', 'social-support',
] as const;

/** One entry of the register of public services, online in Daftari or not. */
export interface ServiceRecord {
  code: string;
  agencyCode: string;
  titles: LocalizedText;
  descriptions: LocalizedText;
  legalBasis: LocalizedText;
  eligibility: LocalizedText;
  documents: LocalizedText;
  feeSummary: LocalizedText;
  timeLimitDays: number | null;
  channels: Channel[];
  lifeEvents: string[];
  status: DigitisationStatus;
  /**
   * The day the service reached this status (`YYYY-MM-DD`), when it is earlier than the day it is
   * recorded, as when a country loads an inventory made before; otherwise the change counts from now.
   */
  statusSince?: string | null;
  definitionId: string | null;
}

const CODE = /^[a-z0-9][a-z0-9-]{1,79}$/;
const MAX_TEXT = 4000;

function checkText(errors: InvalidParam[], pointer: string, text: LocalizedText, required: boolean) {
  const entries = Object.entries(text).filter(([, v]) => v.trim() !== '');
  if (required && entries.length === 0) errors.push({ pointer, reason: `is required in at least one language (${SHIPPED_LOCALES.join(', ')})` });
  for (const [locale, value] of entries) {
    if (!/^[a-z]{2}$/.test(locale)) errors.push({ pointer: `${pointer}/${locale}`, reason: 'is not a language code' });
    else if (value.length > MAX_TEXT) errors.push({ pointer: `${pointer}/${locale}`, reason: `must be at most ${MAX_TEXT} characters` });
  }
}

/**
 * What is wrong with a record, as JSON pointers relative to it; the same rules serve the API and
 * each row of a CSV import. `knownAgencies` are agency codes.
 */
export function checkServiceRecord(record: ServiceRecord, knownAgencies: ReadonlySet<string>, now = new Date()): InvalidParam[] {
  const errors: InvalidParam[] = [];
  if (!CODE.test(record.code)) errors.push({ pointer: '/code', reason: 'must be 2-80 lower-case letters, digits or dashes' });
  if (!knownAgencies.has(record.agencyCode)) errors.push({ pointer: '/agency', reason: `no agency has code "${record.agencyCode}"` });
  checkText(errors, '/titles', record.titles, true);
  checkText(errors, '/descriptions', record.descriptions, false);
  checkText(errors, '/legalBasis', record.legalBasis, false);
  checkText(errors, '/eligibility', record.eligibility, false);
  checkText(errors, '/documents', record.documents, false);
  checkText(errors, '/feeSummary', record.feeSummary, false);
  if (record.timeLimitDays !== null && (!Number.isInteger(record.timeLimitDays) || record.timeLimitDays < 0 || record.timeLimitDays > 3650)) {
    errors.push({ pointer: '/timeLimitDays', reason: 'must be a whole number of days from 0 to 3650' });
  }
  if (!STATUSES.includes(record.status)) errors.push({ pointer: '/status', reason: `must be one of ${STATUSES.join(', ')}` });
  if (record.statusSince) {
    const day = new Date(`${record.statusSince}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(record.statusSince) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== record.statusSince) {
      errors.push({ pointer: '/statusSince', reason: 'must be a date written YYYY-MM-DD' });
    } else if (day.getTime() > now.getTime()) {
      errors.push({ pointer: '/statusSince', reason: 'must not be in the future' });
    }
  }
  record.channels.forEach((c, i) => {
    if (!CHANNELS.includes(c)) errors.push({ pointer: `/channels/${i}`, reason: `must be one of ${CHANNELS.join(', ')}` });
  });
  record.lifeEvents.forEach((e, i) => {
    if (!(LIFE_EVENTS as readonly string[]).includes(e)) errors.push({ pointer: `/lifeEvents/${i}`, reason: `must be one of ${LIFE_EVENTS.join(', ')}` });
  });
  if (record.status === 'fully-online' && !record.channels.includes('online')) {
    errors.push({ pointer: '/channels', reason: 'a fully online service must list the online channel' });
  }
  return errors;
}

/** The best text for a reader: their language, then English, then whatever the record has. */
export function pick(text: LocalizedText, locale: string): string {
  return text[locale] ?? text.en ?? Object.values(text)[0] ?? '';
}
