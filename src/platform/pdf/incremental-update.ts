/**
 * Entries added to a finished PDF's document information dictionary by an incremental update
 * (ISO 32000-1, 7.5.6): the original bytes stay exactly as they were, followed by one new object
 * (a copy of the information dictionary with the new entries), a cross-reference section for it
 * and a trailer pointing back to the previous one. Every reader opens the result; a checker cuts
 * the update off to get the original bytes back.
 *
 * The update is written in one fixed layout, and read back only in that layout: anything else
 * after the original (a reader's "save", a byte changed in the update) is not recognised.
 */

const KEY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** Only the last stretch of a file is searched for the update; what we append is far smaller. */
const TAIL_LIMIT = 1 << 20;

/** A PDF text string: UTF-16BE with its byte order mark, in hex, so no value needs escaping. */
function textString(value: string): string {
  const utf16 = Buffer.from(value, 'utf16le').swap16();
  return `<FEFF${utf16.toString('hex').toUpperCase()}>`;
}

function readTextString(hex: string): string | null {
  if (!/^FEFF([0-9A-F]{4})*$/i.test(hex)) return null;
  const bytes = Buffer.from(hex.slice(4), 'hex').swap16();
  return bytes.toString('utf16le');
}

interface Trailer {
  size: number;
  root: string;
  info: number | null;
  startxref: number;
}

/** The trailer of a PDF written with a classic cross-reference table (as `renderPdf` writes them). */
function lastTrailer(text: string): Trailer {
  const match = /trailer\s*<<([\s\S]*?)>>\s*startxref\s+(\d+)\s+%%EOF\s*$/.exec(text.slice(-4096));
  if (!match) throw new Error('the PDF has no classic trailer to update');
  const dict = match[1]!;
  const size = /\/Size (\d+)/.exec(dict);
  const root = /\/Root (\d+ \d+ R)/.exec(dict);
  if (!size || !root) throw new Error('the PDF trailer has no /Size or /Root');
  const info = /\/Info (\d+) 0 R/.exec(dict);
  return { size: Number(size[1]), root: root[1]!, info: info ? Number(info[1]) : null, startxref: Number(match[2]) };
}

/** The entries of the information dictionary object, as written, without its << >>. */
function infoEntries(text: string, objectNumber: number | null): string {
  if (objectNumber === null) return '';
  const match = new RegExp(`(?:^|\\n)${objectNumber} 0 obj\\s*<<([\\s\\S]*?)>>\\s*endobj`).exec(text);
  return match ? match[1]!.trim().replace(/\s*\n\s*/g, ' ') : '';
}

/**
 * `pdf` followed by an update that gives its information dictionary these extra entries (text
 * strings). `pdf` must end in a classic trailer and an end of line after its %%EOF, as
 * `renderPdf` writes: then the bytes before the update are exactly `pdf`.
 */
export function appendInfoUpdate(pdf: Uint8Array, entries: Record<string, string>): Buffer {
  const original = Buffer.from(pdf);
  const text = original.toString('latin1');
  if (!/%%EOF\r?\n$/.test(text.slice(-8))) throw new Error('the PDF must end with %%EOF and an end of line');
  const trailer = lastTrailer(text);
  const added = Object.entries(entries).map(([key, value]) => {
    if (!KEY.test(key)) throw new Error(`"${key}" is not a PDF name this update writes`);
    return `/${key} ${textString(value)}`;
  });
  const object = trailer.size;
  const kept = infoEntries(text, trailer.info);
  const objectOffset = original.length;
  const body = `${object} 0 obj\n<<${[kept, ...added].filter(Boolean).join(' ')}>>\nendobj\n`;
  const xrefOffset = original.length + Buffer.byteLength(body, 'latin1');
  const update =
    body +
    `xref\n0 1\n0000000000 65535 f\r\n${object} 1\n${String(objectOffset).padStart(10, '0')} 00000 n\r\n` +
    `trailer\n<< /Size ${object + 1} /Root ${trailer.root} /Info ${object} 0 R /Prev ${trailer.startxref} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.concat([original, Buffer.from(update, 'latin1')]);
}

const UPDATE = /^(\d+) 0 obj\n<<([^\n]*)>>\nendobj\nxref\n0 1\n0000000000 65535 f\r\n(\d+) 1\n(\d{10}) 00000 n\r\ntrailer\n<< \/Size (\d+) \/Root (\d+ \d+ R) \/Info (\d+) 0 R \/Prev (\d+) >>\nstartxref\n(\d+)\n%%EOF\n$/;

/**
 * The bytes a file had before an update `appendInfoUpdate` wrote, and the text entries of the
 * update's information dictionary; null when the file does not end in such an update, or any
 * of its numbers is inconsistent with where things are.
 */
export function readInfoUpdate(file: Buffer): { original: Buffer; info: Record<string, string> } | null {
  const tailStart = Math.max(0, file.length - TAIL_LIMIT);
  const tail = file.subarray(tailStart).toString('latin1');
  // The update starts after the last %%EOF before the end: find that, then match the update exactly.
  const previousEof = tail.lastIndexOf('%%EOF', tail.length - '%%EOF\n'.length - 1);
  if (previousEof < 0) return null;
  const eol = /^\r?\n/.exec(tail.slice(previousEof + '%%EOF'.length, previousEof + '%%EOF'.length + 2));
  if (!eol) return null;
  const start = previousEof + '%%EOF'.length + eol[0].length;
  const match = UPDATE.exec(tail.slice(start));
  if (!match) return null;
  const [, object, dict, xrefObject, objectOffset, size, , infoObject, , xrefOffset] = match;
  const updateStart = tailStart + start;
  const sameObject = object === xrefObject && object === infoObject && Number(size) === Number(object) + 1;
  const offsetsRight = Number(objectOffset) === updateStart && Number(xrefOffset) === updateStart + match[0].indexOf('xref\n');
  if (!sameObject || !offsetsRight) return null;
  const info: Record<string, string> = {};
  for (const entry of dict!.matchAll(/\/([A-Za-z][A-Za-z0-9]*) <([0-9A-Fa-f]*)>/g)) {
    const value = readTextString(entry[2]!);
    if (value !== null) info[entry[1]!] = value;
  }
  return { original: file.subarray(0, updateStart), info };
}
