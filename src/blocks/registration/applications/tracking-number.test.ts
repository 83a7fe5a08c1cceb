import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTrackingNumber, normaliseTrackingNumber, prefixFor } from './tracking-number.ts';

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
// Prefixes of one to four characters, one with a digit, so every layout of the number is covered.
const SERVICES = ['business-licence', 'construction-permit', 'birth-certificate-copy', 'public-complaint', 'passport', 'form-2b-renewal-of-x'];

const generated = SERVICES.flatMap((service) => Array.from({ length: 40 }, (_, i) => newTrackingNumber(service, new Date(Date.UTC(2026 + (i % 3), 0, 1)))));

/** Positions of the characters people type (not the dashes). */
function characterPositions(number: string): number[] {
  return [...number].flatMap((c, i) => (c === '-' ? [] : [i]));
}

describe('tracking numbers', () => {
  it('are made of the service’s initials, the year, six characters and a check character', () => {
    assert.equal(prefixFor('construction-permit'), 'CP');
    assert.equal(prefixFor('birth-certificate-copy'), 'BCC');
    assert.match(newTrackingNumber('construction-permit', new Date('2026-03-01T00:00:00Z')), /^CP-2026-[2-9A-HJKMNP-TV-Z]{6}-[0-9A-Z]$/);
  });

  it('every generated number validates, and normalises to itself', () => {
    for (const number of generated) assert.equal(normaliseTrackingNumber(number), number);
  });

  it('catches every single wrong character of every generated number', () => {
    for (const number of generated) {
      for (const position of characterPositions(number)) {
        for (const replacement of ALPHANUMERIC) {
          if (replacement === number[position]) continue;
          const typo = number.slice(0, position) + replacement + number.slice(position + 1);
          assert.equal(normaliseTrackingNumber(typo), null, `${typo} (from ${number}) was accepted`);
        }
      }
    }
  });

  it('catches every swap of two neighbouring characters, across the dashes too', () => {
    for (const number of generated) {
      const positions = characterPositions(number);
      for (let i = 0; i + 1 < positions.length; i++) {
        const [a, b] = [positions[i]!, positions[i + 1]!];
        if (number[a] === number[b]) continue;
        const chars = [...number];
        [chars[a], chars[b]] = [chars[b]!, chars[a]!];
        const swapped = chars.join('');
        assert.equal(normaliseTrackingNumber(swapped), null, `${swapped} (from ${number}) was accepted`);
      }
    }
  });

  it('accepts what people type: lower case, spaces, missing dashes', () => {
    const number = generated[0]!;
    assert.equal(normaliseTrackingNumber(number.toLowerCase()), number);
    assert.equal(normaliseTrackingNumber(`  ${number}  `), number);
    assert.equal(normaliseTrackingNumber(number.replace(/-/g, ' ')), number);
    assert.equal(normaliseTrackingNumber(number.replace(/-/g, '')), number);
    assert.equal(normaliseTrackingNumber(number.toLowerCase().replace(/-/g, ' - ')), number);
  });

  it('refuses what is not a tracking number at all', () => {
    for (const input of ['', 'BL-2026', 'BL-2026-ABCDEF', 'BL-26-ABCDEF-1', 'BL_2026_ABCDEF_1', 'BLXYZ-2026-ABCDEF-1', `${generated[0]!}X`]) {
      assert.equal(normaliseTrackingNumber(input), null, input);
    }
  });
});
