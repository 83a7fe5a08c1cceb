import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueMessage } from './messenger.ts';
import { smsEncoding, splitSms } from './sms-parts.ts';

describe('SMS encoding and parts', () => {
  it('sends plain Latin text as GSM-7, 160 characters in one message', () => {
    const text = 'a'.repeat(160);
    assert.deepEqual(splitSms(text), { encoding: 'gsm7', units: 160, parts: [text] });
  });

  it('keeps French accents of the GSM alphabet in GSM-7, but not those outside it', () => {
    assert.equal(smsEncoding('Votre demande a été reçue à Djibouti'), 'ucs2', 'ç is not in GSM 03.38 (only Ç is)');
    assert.equal(smsEncoding('Numéro de suivi: è é ù ì ò à'), 'gsm7');
  });

  it('splits GSM-7 text over 160 characters into parts of 153', () => {
    const { parts } = splitSms('b'.repeat(161));
    assert.deepEqual(parts.map((p) => p.length), [153, 8]);
    assert.deepEqual(splitSms('c'.repeat(306)).parts.map((p) => p.length), [153, 153]);
    assert.deepEqual(splitSms('c'.repeat(307)).parts.map((p) => p.length), [153, 153, 1]);
  });

  it('counts the GSM extension characters twice', () => {
    const text = `${'x'.repeat(158)}€`;
    assert.equal(splitSms(text).units, 160);
    assert.equal(splitSms(text).parts.length, 1);
    assert.equal(splitSms(`${text}[`).parts.length, 2, '162 septets no longer fit one message');
  });

  it('never cuts an extension character from its escape at a part boundary', () => {
    const { parts } = splitSms(`${'x'.repeat(152)}{${'y'.repeat(20)}`);
    assert.equal(parts[0], 'x'.repeat(152), 'the brace needs two septets and only one is left');
    assert.ok(parts[1]!.startsWith('{'));
  });

  it('sends Swahili in GSM-7 and Tajik, Russian and Arabic in UCS-2, 70 characters in one', () => {
    assert.equal(smsEncoding('Ombi lako limepokelewa. Nambari ya ufuatiliaji: BL-2026-1234'), 'gsm7');
    assert.equal(smsEncoding('Аризаи шумо қабул шуд'), 'ucs2');
    assert.equal(smsEncoding('Ваше заявление принято'), 'ucs2');
    assert.equal(smsEncoding('تم استلام طلبك'), 'ucs2');
    assert.equal(splitSms('ӣ'.repeat(70)).parts.length, 1);
  });

  it('splits UCS-2 text over 70 characters into parts of 67', () => {
    assert.deepEqual(splitSms('қ'.repeat(71)).parts.map((p) => p.length), [67, 4]);
    assert.deepEqual(splitSms('ш'.repeat(134)).parts.map((p) => p.length), [67, 67]);
  });

  it('counts an emoji as two UCS-2 units and never splits its pair', () => {
    const text = `${'д'.repeat(66)}😀`;
    const { units, parts } = splitSms(`${text}д`.padEnd(72, 'д'));
    assert.equal(units, 72);
    assert.equal(parts[0], 'д'.repeat(66), 'the emoji does not fit the one unit left');
    assert.ok(parts[1]!.startsWith('😀'));
  });

  it('has no parts for an empty text', () => {
    assert.deepEqual(splitSms('').parts, []);
  });
});

describe('the SMS limit of the messenger', () => {
  it('refuses a text of more than ten parts, counted in its encoding', async () => {
    const noQueue = {} as Parameters<typeof queueMessage>[0];
    const tooLong = { channel: 'sms' as const, to: '+25377123456', locale: 'tg', body: 'ш'.repeat(671) };
    await assert.rejects(queueMessage(noQueue, {} as never, tooLong), /needs 11 SMS parts \(UCS-2\)/);
  });
});
