import { randomInt } from 'node:crypto';

/**
 * Tracking numbers people read out on the phone and type on a keypad: a service prefix, the
 * year, six characters from an alphabet without look-alikes (no I, L, O, U, 0, 1), and a check
 * character by ISO/IEC 7064 MOD 37,36, which catches every single wrong character and every swap
 * of two neighbours. Example: BL-2026-7KQ3MX-P.
 */
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BODY_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ISO/IEC 7064 MOD 37-2: weights are powers of 2 modulo the prime 37, so no two positions weigh the same. */
function checkValue(payload: string): number {
  let sum = 0;
  for (const char of payload) {
    const value = ALPHANUMERIC.indexOf(char);
    if (value < 0) throw new Error(`"${char}" cannot be in a tracking number`);
    sum = (2 * sum + value) % 37;
  }
  return (38 - 2 * sum) % 37;
}

/** The check character; null for value 36, which the standard writes '*': such numbers are not issued. */
function checkCharacter(payload: string): string | null {
  return ALPHANUMERIC[checkValue(payload)] ?? null;
}

function payloadOf(code: string): string {
  return code.replace(/-/g, '');
}

export function prefixFor(serviceId: string): string {
  const initials = serviceId.split('-').map((part) => part[0] ?? '').join('').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return (initials || 'X').slice(0, 4);
}

export function newTrackingNumber(serviceId: string, now = new Date()): string {
  for (;;) {
    const body = Array.from({ length: 6 }, () => BODY_ALPHABET[randomInt(BODY_ALPHABET.length)]).join('');
    const head = `${prefixFor(serviceId)}-${now.getUTCFullYear()}-${body}`;
    const check = checkCharacter(payloadOf(head));
    if (check) return `${head}-${check}`;
  }
}

/** Normalise what someone typed (lower case, spaces) and check its check character. */
export function normaliseTrackingNumber(input: string): string | null {
  const code = input.trim().toUpperCase().replace(/\s+/g, '');
  const match = /^([A-Z0-9]{1,4})-?(\d{4})-?([A-Z0-9]{6})-?([A-Z0-9])$/.exec(code);
  if (!match) return null;
  const [, prefix, year, body, check] = match;
  const head = `${prefix}-${year}-${body}`;
  return checkCharacter(payloadOf(head)) === check ? `${head}-${check}` : null;
}
