import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArgumentElement, isDateElement, isNumberElement, isPluralElement, isSelectElement, isTagElement, isTimeElement, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { DEFAULT_LOCALE, directionOf, loadMessages, MESSAGE_LOCALES, messageKeys, negotiateLocale, type Messages } from './index.ts';

function lookup(messages: Messages, key: string): string {
  const value = key.split('.').reduce<string | Messages | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), messages);
  assert.equal(typeof value, 'string', `${key} is a message`);
  return value as string;
}

/** Parsed the way i18next-icu parses at run time; it swallows parse errors and shows the raw text, so they must be caught here. */
function parse(message: string, locale: string): MessageFormatElement[] {
  return new IntlMessageFormat(message, locale, undefined, { ignoreTag: true }).getAst();
}

function placeholders(elements: MessageFormatElement[], found = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (isArgumentElement(element) || isNumberElement(element) || isDateElement(element) || isTimeElement(element)) found.add(element.value);
    if (isPluralElement(element) || isSelectElement(element)) {
      found.add(element.value);
      for (const option of Object.values(element.options)) placeholders(option.value, found);
    }
    if (isTagElement(element)) placeholders(element.children, found);
  }
  return found;
}

interface PluralUse {
  argument: string;
  type: Intl.PluralRuleType;
  /** Category selectors only; `=0`-style exact matches cover one number, not a category. */
  categories: Set<string>;
}

function pluralUses(elements: MessageFormatElement[]): PluralUse[] {
  return elements.flatMap((element): PluralUse[] => {
    if (isPluralElement(element)) {
      const categories = new Set(Object.keys(element.options).filter((selector) => !selector.startsWith('=')));
      const nested = Object.values(element.options).flatMap((option) => pluralUses(option.value));
      return [{ argument: element.value, type: element.pluralType ?? 'cardinal', categories }, ...nested];
    }
    if (isSelectElement(element)) return Object.values(element.options).flatMap((option) => pluralUses(option.value));
    if (isTagElement(element)) return pluralUses(element.children);
    return [];
  });
}

const english = loadMessages(DEFAULT_LOCALE);
const englishKeys = messageKeys(english);

describe('message files', () => {
  for (const locale of MESSAGE_LOCALES) {
    describe(locale, () => {
      const messages = loadMessages(locale);
      const keys = messageKeys(messages);

      it('has every English message and no message English lacks', () => {
        assert.deepEqual(englishKeys.filter((k) => !keys.includes(k)), [], 'missing');
        assert.deepEqual(keys.filter((k) => !englishKeys.includes(k)), [], 'extra');
      });

      it('has only messages that parse as ICU MessageFormat, with the placeholders of the English message', () => {
        for (const key of englishKeys.filter((k) => keys.includes(k))) {
          let ast: MessageFormatElement[];
          try {
            ast = parse(lookup(messages, key), locale);
          } catch (err) {
            assert.fail(`${locale} ${key} does not parse: ${(err as Error).message}`);
          }
          const expected = [...placeholders(parse(lookup(english, key), DEFAULT_LOCALE))].sort();
          assert.deepEqual([...placeholders(ast)].sort(), expected, `${locale} ${key} placeholders`);
        }
      });

      it('gives every plural message a form for each plural category of the language', () => {
        const gaps = keys.flatMap((key) =>
          pluralUses(parse(lookup(messages, key), locale)).flatMap((use) => {
            const needed = new Set([...new Intl.PluralRules(locale, { type: use.type }).resolvedOptions().pluralCategories, 'other']);
            const missing = [...needed].filter((category) => !use.categories.has(category));
            return missing.length > 0 ? [`${key} {${use.argument}, plural} lacks ${missing.join(', ')}`] : [];
          }),
        );
        assert.deepEqual(gaps, []);
      });
    });
  }
});

describe('negotiateLocale', () => {
  it('picks the shipped language the browser ranks highest by q-value, not by order', () => {
    assert.equal(negotiateLocale('fr;q=0.5, ar;q=0.9, en;q=0.1'), 'ar');
  });

  it('matches a regional tag to its language', () => {
    assert.equal(negotiateLocale('fr-CA,fr;q=0.8'), 'fr');
  });

  it('skips languages it does not ship and those the browser refuses with q=0', () => {
    assert.equal(negotiateLocale('de-DE, ar;q=0, fr;q=0.3'), 'fr');
  });

  it('falls back to English when nothing matches or nothing is asked', () => {
    assert.equal(negotiateLocale('de, sw;q=0.9'), 'en');
    assert.equal(negotiateLocale(''), 'en');
    assert.equal(negotiateLocale(undefined), 'en');
  });
});

describe('directionOf', () => {
  it('writes Arabic right to left, with or without a region', () => {
    assert.equal(directionOf('ar'), 'rtl');
    assert.equal(directionOf('ar-EG'), 'rtl');
  });

  it('writes English and French left to right', () => {
    assert.equal(directionOf('en'), 'ltr');
    assert.equal(directionOf('fr'), 'ltr');
  });
});
