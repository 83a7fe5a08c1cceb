import { randomInt } from 'node:crypto';

/**
 * Payment references are ISO 11649 structured creditor references: `RF`, two check digits
 * (ISO 7064 MOD 97-10, as in an IBAN) and the creditor's own part, printed in groups of four
 * (`RF18 5392 0183 1234`). Banks carry them in the structured remittance field and people type
 * them on a phone keypad, so ours are digits only, twelve of them, drawn at random.
 *
 * Digits only is also what makes the check complete: with letters (worth two digits each) mixed
 * among digits, MOD 97 misses some single substitutions ("9" for "V") and swaps. With a body of
 * digits, any single wrong character and any swap of two neighbours changes the number by a
 * multiple of a power of ten times a factor smaller than 97, which 97 (a prime) never divides;
 * and a letter typed for a digit breaks the format.
 */
const BODY_DIGITS = 12;
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const OURS = /^RF\d{2}\d{12}$/;

/** The remainder modulo 97 of the reference with letters as numbers (A = 10 … Z = 35). */
function mod97(text: string): number {
  let remainder = 0;
  for (const char of text) {
    const value = ALPHANUMERIC.indexOf(char);
    if (value < 0) return -1;
    for (const digit of String(value)) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder;
}

/** The two check digits of a creditor's reference part: 98 minus the remainder of `part + "RF00"`. */
export function checkDigits(part: string): string {
  return String(98 - mod97(`${part}RF00`)).padStart(2, '0');
}

/** Any ISO 11649 reference (up to 21 letters and digits after the check digits), in its electronic form. */
export function isCreditorReference(reference: string): boolean {
  if (!/^RF\d{2}[A-Z0-9]{1,21}$/.test(reference)) return false;
  return mod97(`${reference.slice(4)}${reference.slice(0, 4)}`) === 1;
}

export function newReference(): string {
  const part = Array.from({ length: BODY_DIGITS }, () => randomInt(10)).join('');
  return `RF${checkDigits(part)}${part}`;
}

/** Without spaces, in capitals: how a reference is stored and compared. */
function compact(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

/** A reference as someone typed or a bank carried it (spaces, lower case) in our electronic form; null unless it is one of ours and its check digits hold. */
export function parseReference(input: string): string | null {
  const reference = compact(input);
  return OURS.test(reference) && isCreditorReference(reference) ? reference : null;
}

/** The print form: groups of four. */
export function formatReference(reference: string): string {
  return compact(reference).replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * The references of ours a free remittance text carries ("Paiement RF18 5392 0183 1234 licence"),
 * in the order they appear. Spaces inside a reference are skipped, so its groups may be split.
 */
export function findReferences(text: string): string[] {
  const found: string[] = [];
  const upper = text.toUpperCase();
  for (const match of upper.matchAll(/RF/g)) {
    const digits = upper.slice(match.index + 2).match(/^(?:\s*\d){14}/)?.[0];
    const reference = digits ? parseReference(`RF${digits}`) : null;
    if (reference && !found.includes(reference)) found.push(reference);
  }
  return found;
}
