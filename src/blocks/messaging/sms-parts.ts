/**
 * How a text travels as SMS. GSM 03.38 (7-bit) carries 160 characters in one message; any
 * character outside it makes the whole text UCS-2, 70 characters. A longer text is sent in parts
 * that each give up room to the concatenation header (UDH): 153 GSM-7 or 67 UCS-2 characters.
 * The GSM extension characters are an escape plus a character, so they count two and are never
 * cut from their escape; in UCS-2 a character outside the BMP (two UTF-16 units) is never cut either.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export type SmsEncoding = 'gsm7' | 'ucs2';

export const SINGLE = { gsm7: 160, ucs2: 70 } as const;
export const PER_PART = { gsm7: 153, ucs2: 67 } as const;
/** Most gateways and phones stop concatenating somewhere past ten parts. */
export const MAX_PARTS = 10;

export function smsEncoding(text: string): SmsEncoding {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return 'ucs2';
  return 'gsm7';
}

/** Room a character takes: septets in GSM-7, UTF-16 code units in UCS-2. */
function unitsOf(ch: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? (EXTENSION.has(ch) ? 2 : 1) : ch.length;
}

export interface SmsParts {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
  parts: string[];
}

export function splitSms(text: string): SmsParts {
  const encoding = smsEncoding(text);
  const chars = [...text];
  const units = chars.reduce((sum, ch) => sum + unitsOf(ch, encoding), 0);
  if (units <= SINGLE[encoding]) return { encoding, units, parts: text === '' ? [] : [text] };
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of chars) {
    const size = unitsOf(ch, encoding);
    if (used + size > PER_PART[encoding]) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += size;
  }
  if (current) parts.push(current);
  return { encoding, units, parts };
}
