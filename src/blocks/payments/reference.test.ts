import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkDigits, findReferences, formatReference, isCreditorReference, newReference, parseReference } from './reference.ts';

const CHARACTERS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const references = fc.constant(null).map(() => newReference());

describe('payment references (ISO 11649 creditor references)', () => {
  it('computes the check digits of the standard’s own example, RF18 5390 0754 7034', () => {
    assert.equal(checkDigits('539007547034'), '18');
    assert.equal(parseReference('RF18 5390 0754 7034'), 'RF18539007547034');
    assert.ok(isCreditorReference('RF18539007547034'));
  });

  it('issues references that are valid creditor references: RF, two check digits, twelve digits', () => {
    fc.assert(
      fc.property(references, (reference) => {
        assert.match(reference, /^RF\d{14}$/);
        assert.ok(isCreditorReference(reference));
        assert.equal(parseReference(reference), reference);
      }),
    );
  });

  it('prints them in groups of four, and reads them back with spaces and in lower case', () => {
    assert.equal(formatReference('RF18539007547034'), 'RF18 5390 0754 7034');
    assert.equal(parseReference('  rf18 5390\t0754 7034 '), 'RF18539007547034');
  });

  it('refuses every reference with one character typed wrong, whichever character and whatever was typed', () => {
    fc.assert(
      fc.property(references, (reference) => {
        for (let i = 0; i < reference.length; i++) {
          for (const typed of CHARACTERS.filter((c) => c !== reference[i])) {
            const mistyped = `${reference.slice(0, i)}${typed}${reference.slice(i + 1)}`;
            assert.equal(parseReference(mistyped), null, `${mistyped} (from ${reference}) was taken`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every reference with two neighbouring characters swapped', () => {
    fc.assert(
      fc.property(references, (reference) => {
        for (let i = 0; i + 1 < reference.length; i++) {
          if (reference[i] === reference[i + 1]) continue;
          const swapped = `${reference.slice(0, i)}${reference[i + 1]}${reference[i]}${reference.slice(i + 2)}`;
          assert.equal(parseReference(swapped), null, `${swapped} (from ${reference}) was taken`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses references with a character missing or added', () => {
    assert.equal(parseReference('RF18 5390 0754 703'), null);
    assert.equal(parseReference('RF18 5390 0754 70341'), null);
  });

  it('finds references in a bank’s free remittance text, split into groups or not', () => {
    const other = newReference();
    assert.deepEqual(findReferences(`Paiement licence rf18 5390 0754 7034 merci`), ['RF18539007547034']);
    assert.deepEqual(findReferences(`FACTURES RF18539007547034 ET ${formatReference(other)}`), ['RF18539007547034', other]);
    assert.deepEqual(findReferences('RF18 5390 0754 7035 (a typo)'), []);
    assert.deepEqual(findReferences('no reference here'), []);
  });
});
