/** iCalendar files as RFC 5545 wants them: CRLF lines of at most 75 octets, UTC times, escaped text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeText, foldLine, icsOf } from './icalendar.ts';
import type { Booking } from './store.ts';

const booking: Booking = {
  id: '6f1c1c2e-4a3b-4f3e-9a53-0b7d0c8f2a11',
  agencyId: 'a',
  resourceId: 'r',
  subject: { type: 'application', id: 'x' },
  title: 'Inspection; plot 12, Balbala\nبرج الماء — زيارة الموقع للتحقق من الأساسات والهيكل',
  start: new Date('2027-01-03T05:00:00Z'),
  end: new Date('2027-01-03T06:00:00Z'),
  status: 'booked',
  attendees: [],
  reschedules: 1,
  cancelReason: null,
  createdAt: new Date(),
  updatedAt: new Date(),
};

describe('iCalendar', () => {
  const ics = icsOf([booking], { host: 'daftari.example', now: new Date('2026-12-02T10:11:12.345Z') });
  const unfolded = ics.replace(/\r\n /g, '');

  it('is one VCALENDAR with one VEVENT, every line ended by CRLF', () => {
    assert.ok(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n'));
    assert.ok(ics.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n'));
    assert.equal(ics.replace(/\r\n/g, '').includes('\n'), false, 'no bare line feed');
    assert.equal(unfolded.match(/BEGIN:VEVENT/g)?.length, 1);
  });

  it('gives a global UID, the stamp and the times in UTC, and the sequence of the moves', () => {
    assert.match(unfolded, /\r\nUID:6f1c1c2e-4a3b-4f3e-9a53-0b7d0c8f2a11@daftari\.example\r\n/);
    assert.match(unfolded, /\r\nDTSTAMP:20261202T101112Z\r\n/);
    assert.match(unfolded, /\r\nDTSTART:20270103T050000Z\r\nDTEND:20270103T060000Z\r\n/);
    assert.match(unfolded, /\r\nSEQUENCE:1\r\nSTATUS:CONFIRMED\r\n/);
  });

  it('escapes the summary and folds long lines at 75 octets without splitting a character', () => {
    assert.ok(unfolded.includes('SUMMARY:Inspection\\; plot 12\\, Balbala\\nبرج الماء'));
    for (const line of ics.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `${Buffer.byteLength(line)} octets: ${line}`);
    assert.ok(ics.split('\r\n').some((line) => line.startsWith(' ')), 'the Arabic summary is folded');
    assert.equal(escapeText('a\\b'), 'a\\\\b');
    assert.equal(foldLine('x'.repeat(75)), 'x'.repeat(75));
    assert.equal(foldLine('x'.repeat(76)), `${'x'.repeat(75)}\r\n x`);
  });
});
