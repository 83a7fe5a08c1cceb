import type { Booking } from './store.ts';

/** RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped. */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 §3.1). */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    const limit = out.length === 0 ? 75 : 74;
    if (octets + size > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

const utc = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function event(booking: Booking, host: string, stamp: Date): string[] {
  return [
    'BEGIN:VEVENT',
    `UID:${booking.id}@${host}`,
    `DTSTAMP:${utc(stamp)}`,
    `DTSTART:${utc(booking.start)}`,
    `DTEND:${utc(booking.end)}`,
    `SUMMARY:${escapeText(booking.title)}`,
    `SEQUENCE:${booking.reschedules}`,
    `STATUS:${booking.status === 'booked' ? 'CONFIRMED' : 'CANCELLED'}`,
    'END:VEVENT',
  ];
}

/** A calendar of bookings, CRLF line ends; `host` makes the UIDs globally unique. */
export function icsOf(bookings: Booking[], opts: { host: string; name?: string; now?: Date }): string {
  const stamp = opts.now ?? new Date();
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Daftari//Scheduler//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', ...(opts.name ? [`X-WR-CALNAME:${escapeText(opts.name)}`] : []), ...bookings.flatMap((b) => event(b, opts.host, stamp)), 'END:VCALENDAR'];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
