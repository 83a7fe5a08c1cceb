import fs from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';

/**
 * The fonts documents are set in: Noto Naskh Arabic for Arabic script, Noto Sans for everything
 * else, as the unicode-range files @fontsource ships (WOFF). fontkit reads WOFF, shapes with the
 * fonts' own OpenType tables (Arabic joining, marks, kerning), and subsets by glyph.
 */
export type Weight = 'regular' | 'bold';

/** The few parts of a fontkit font this module uses (its published types lack `layout`'s script and direction). */
export interface ShapingFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  capHeight: number;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  postscriptName: string;
  hasGlyphForCodePoint(codePoint: number): boolean;
  layout(text: string, features: string[] | undefined, script: string | undefined, language: string | undefined, direction: 'ltr' | 'rtl'): {
    glyphs: { id: number; codePoints: number[]; advanceWidth: number }[];
    positions: { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number }[];
  };
  createSubset(): { includeGlyph(id: number): number; encodeStream(): SubsetStream };
}

interface SubsetStream {
  on(event: 'data' | 'end', listener: (chunk?: Uint8Array) => void): SubsetStream;
}

/** One font file: a key to tell faces apart in a document, and the parsed font. */
export interface Face {
  key: string;
  font: ShapingFont;
}

const ARABIC = 'noto-naskh-arabic';
const SANS = 'noto-sans';
/** Noto Sans files in the order they are tried for a character that is not Arabic script. */
const SANS_SUBSETS = ['latin', 'latin-ext', 'cyrillic', 'cyrillic-ext', 'greek', 'greek-ext', 'vietnamese'];
const WEIGHTS: Record<Weight, number> = { regular: 400, bold: 700 };

const require = createRequire(import.meta.url);
/** Parsed once per process: parsing costs milliseconds, and a parsed font is only read afterwards. */
const parsed = new Map<string, Face>();

function face(family: string, subset: string, weight: Weight): Face {
  const key = `${family}-${subset}-${WEIGHTS[weight]}`;
  let found = parsed.get(key);
  if (!found) {
    const file = require.resolve(`@fontsource/${family}/files/${key}-normal.woff`);
    const font = fontkit.create(sfntOfWoff(fs.readFileSync(file)));
    reportCharactersOfEachUse(font as unknown as GlyphSource);
    found = { key, font: font as unknown as ShapingFont };
    parsed.set(key, found);
  }
  return found;
}

/**
 * The plain OpenType font inside a WOFF file: each table inflated once. fontkit can read WOFF
 * itself, but then inflates the whole glyph table again for every glyph a subset copies.
 */
export function sfntOfWoff(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF font');
  const numTables = woff.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const entry = 44 + i * 20;
    const [tag, offset, compLength, origLength, checksum] = [0, 4, 8, 12, 16].map((at) => woff.readUInt32BE(entry + at)) as [number, number, number, number, number];
    const stored = woff.subarray(offset, offset + compLength);
    return { tag, checksum, data: compLength < origLength ? zlib.inflateSync(stored) : stored };
  });
  const power = 2 ** Math.floor(Math.log2(numTables));
  const header = Buffer.alloc(12 + numTables * 16);
  header.writeUInt32BE(woff.readUInt32BE(4), 0);
  header.writeUInt16BE(numTables, 4);
  header.writeUInt16BE(power * 16, 6);
  header.writeUInt16BE(Math.log2(power), 8);
  header.writeUInt16BE(numTables * 16 - power * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((table, i) => {
    const record = 12 + i * 16;
    header.writeUInt32BE(table.tag, record);
    header.writeUInt32BE(table.checksum, record + 4);
    header.writeUInt32BE(offset, record + 8);
    header.writeUInt32BE(table.data.length, record + 12);
    const padded = Buffer.alloc(Math.ceil(table.data.length / 4) * 4);
    table.data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  return Buffer.concat(parts);
}

interface GlyphSource {
  getGlyph(id: number, codePoints?: number[]): { codePoints: number[] };
}

/**
 * fontkit keeps one glyph object per glyph id, holding the characters of its first use; but
 * shaping draws several letters with one glyph (ر and ز share a base, ب ت ث ن a dotless one,
 * the dots being marks), so each glyph that layout hands out reports the characters it stands
 * for in that run: that is what the PDF's text layer maps it back to.
 */
function reportCharactersOfEachUse(font: GlyphSource): void {
  const getGlyph = font.getGlyph.bind(font);
  font.getGlyph = (id, codePoints) => {
    const glyph = getGlyph(id, codePoints);
    if (codePoints === undefined || sameCodePoints(glyph.codePoints, codePoints)) return glyph;
    return Object.create(glyph, { codePoints: { value: codePoints } }) as typeof glyph;
  };
}

const sameCodePoints = (a: number[], b: number[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Letters, marks and signs written in the Arabic script (the blocks Noto Naskh Arabic covers). */
const ARABIC_SCRIPT = /[\u0600-\u06FF\u0750-\u077F\u0870-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/u;

/** The face that draws this character: Arabic script in Naskh, the rest in the first Noto Sans file that has it. */
export function faceFor(char: string, weight: Weight): Face {
  if (ARABIC_SCRIPT.test(char)) return face(ARABIC, 'arabic', weight);
  const codePoint = char.codePointAt(0) ?? 0;
  for (const subset of SANS_SUBSETS) {
    const candidate = face(SANS, subset, weight);
    if (candidate.font.hasGlyphForCodePoint(codePoint)) return candidate;
  }
  // Nothing has it: the Latin face draws its "missing glyph" box, which is honest about it.
  return face(SANS, 'latin', weight);
}

/** The face line heights and the page's base metrics come from. */
export function baseFace(weight: Weight = 'regular'): Face {
  return face(SANS, 'latin', weight);
}

export function arabicFace(weight: Weight = 'regular'): Face {
  return face(ARABIC, 'arabic', weight);
}
