import bidiModule from 'bidi-js';
import { faceFor, type Face, type Weight } from './fonts.ts';

// bidi-js's types describe an ES module, but Node loads its CommonJS build, whose export is the factory itself.
const bidi = (bidiModule as unknown as typeof bidiModule.default)();

export type Direction = 'ltr' | 'rtl';

export interface TextStyle {
  size: number;
  weight: Weight;
}

/** A glyph placed on a line: `x` from the line's left edge and `y` above its baseline, in points. */
export interface PlacedGlyph {
  face: Face;
  id: number;
  /** The characters it stands for (none for a mark a letter was split into), for text extraction. */
  codePoints: number[];
  /** Its advance in font units: what the PDF font's widths say. */
  advanceWidth: number;
  x: number;
  y: number;
}

export interface Line {
  width: number;
  glyphs: PlacedGlyph[];
}

/** A stretch of characters at one bidi level drawn with one face: the unit fontkit shapes. */
interface Item {
  start: number;
  end: number;
  level: number;
  face: Face;
}

/** Combining marks and joiners belong to the face of the letter before them, or shaping breaks. */
const FOLLOWS_PREVIOUS = /^[\p{M}\u200C\u200D]$/u;

function itemize(text: string, levels: Uint8Array, start: number, end: number, weight: Weight): Item[] {
  const items: Item[] = [];
  let index = start;
  while (index < end) {
    const char = String.fromCodePoint(text.codePointAt(index)!);
    const level = levels[index]!;
    const previous = items.at(-1);
    const face = previous && FOLLOWS_PREVIOUS.test(char) ? previous.face : faceFor(char, weight);
    if (previous && previous.level === level && previous.face === face) previous.end = index + char.length;
    else items.push({ start: index, end: index + char.length, level, face });
    index += char.length;
  }
  return items;
}

interface ShapedGlyph {
  id: number;
  codePoints: number[];
  advanceWidth: number;
  /** In font units, as shaped. */
  xAdvance: number;
  xOffset: number;
  yOffset: number;
}

interface ShapedItem {
  level: number;
  face: Face;
  glyphs: ShapedGlyph[];
  scale: number;
  width: number;
}

/**
 * Shaped runs by face, direction and text. Shaping Arabic costs about a millisecond a word, and a
 * document shapes each word twice (to break lines, then to draw them); labels recur across
 * documents. Bounded, so odd inputs cannot grow it without end.
 */
const shaped = new Map<string, ShapedGlyph[]>();
const SHAPED_LIMIT = 20_000;

function shapeRun(face: Face, chars: string, direction: Direction): ShapedGlyph[] {
  const key = `${face.key}\u0000${direction}\u0000${chars}`;
  let glyphs = shaped.get(key);
  if (!glyphs) {
    // fontkit returns an RTL run's glyphs already in visual order, left to right.
    const run = face.font.layout(chars, undefined, undefined, undefined, direction);
    glyphs = run.glyphs.map((g, i) => {
      const p = run.positions[i]!;
      return { id: g.id, codePoints: g.codePoints, advanceWidth: g.advanceWidth, xAdvance: p.xAdvance, xOffset: p.xOffset, yOffset: p.yOffset };
    });
    if (shaped.size >= SHAPED_LIMIT) shaped.clear();
    shaped.set(key, glyphs);
  }
  return glyphs;
}

function shape(text: string, item: Item, size: number): ShapedItem {
  const rtl = item.level % 2 === 1;
  let chars = text.slice(item.start, item.end);
  // Right-to-left, a bracket turns to face the other way (Unicode's mirrored pairs).
  if (rtl) chars = Array.from(chars, (c) => bidi.getMirroredCharacter(c) ?? c).join('');
  const glyphs = shapeRun(item.face, chars, rtl ? 'rtl' : 'ltr');
  const scale = size / item.face.font.unitsPerEm;
  return { level: item.level, face: item.face, glyphs, scale, width: glyphs.reduce((sum, g) => sum + g.xAdvance, 0) * scale };
}

/** Unicode's rule L2 on whole items: from the highest level down, reverse every run of items at that level or above. */
function visualOrder(items: ShapedItem[]): ShapedItem[] {
  const out = [...items];
  const highest = Math.max(0, ...out.map((i) => i.level));
  const lowestOdd = Math.min(...out.map((i) => i.level).filter((l) => l % 2 === 1), highest + 1);
  for (let level = highest; level >= lowestOdd; level--) {
    for (let i = 0; i < out.length; ) {
      if (out[i]!.level < level) {
        i++;
        continue;
      }
      let j = i;
      while (j < out.length && out[j]!.level >= level) j++;
      out.splice(i, j - i, ...out.slice(i, j).reverse());
      i = j;
    }
  }
  return out;
}

function measure(text: string, levels: Uint8Array, start: number, end: number, style: TextStyle): number {
  return itemize(text, levels, start, end, style.weight).reduce((sum, item) => sum + shape(text, item, style.size).width, 0);
}

function placeLine(text: string, levels: Uint8Array, start: number, end: number, style: TextStyle): Line {
  const shaped = itemize(text, levels, start, end, style.weight).map((item) => shape(text, item, style.size));
  const glyphs: PlacedGlyph[] = [];
  let x = 0;
  for (const item of visualOrder(shaped)) {
    for (const g of item.glyphs) {
      glyphs.push({ face: item.face, id: g.id, codePoints: g.codePoints, advanceWidth: g.advanceWidth, x: x + g.xOffset * item.scale, y: g.yOffset * item.scale });
      x += g.xAdvance * item.scale;
    }
  }
  return { width: x, glyphs };
}

/** The end of the longest prefix of [start, end) narrower than `width`, at least one character. */
function fittingPrefix(text: string, levels: Uint8Array, start: number, end: number, width: number, style: TextStyle): number {
  let fit = start + String.fromCodePoint(text.codePointAt(start)!).length;
  for (let i = fit; i < end; ) {
    const next = i + String.fromCodePoint(text.codePointAt(i)!).length;
    if (measure(text, levels, start, next, style) > width) break;
    fit = next;
    i = next;
  }
  return fit;
}

/**
 * One paragraph, shaped and broken into lines no wider than `maxWidth`: the Unicode bidi
 * algorithm over the whole paragraph (`direction` is its base direction), lines broken at spaces
 * (a word wider than a line is cut), each line reordered for display and shaped run by run.
 */
export function layoutParagraph(paragraph: string, direction: Direction, maxWidth: number, style: TextStyle): Line[] {
  const text = paragraph.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (text === '') return [];
  const { levels } = bidi.getEmbeddingLevels(text, direction);
  const words = [...text.matchAll(/\S+ ?/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const trimmed = (end: number) => (text[end - 1] === ' ' ? end - 1 : end);

  const lines: Line[] = [];
  let lineStart = 0;
  let lineWidth = 0;
  for (const word of words) {
    const width = measure(text, levels, word.start, trimmed(word.end), style);
    if (word.start > lineStart && lineWidth + width > maxWidth) {
      lines.push(placeLine(text, levels, lineStart, trimmed(word.start), style));
      lineStart = word.start;
      lineWidth = 0;
    }
    if (width > maxWidth) {
      // A word wider than the line (a long address): cut it where it must be cut.
      let from = word.start;
      while (measure(text, levels, from, trimmed(word.end), style) > maxWidth) {
        const cut = fittingPrefix(text, levels, from, trimmed(word.end), maxWidth, style);
        lines.push(placeLine(text, levels, from, cut, style));
        from = cut;
      }
      lineStart = from;
      lineWidth = measure(text, levels, from, word.end, style);
      continue;
    }
    lineWidth += measure(text, levels, word.start, word.end, style);
  }
  if (lineStart < text.length) lines.push(placeLine(text, levels, lineStart, trimmed(text.length), style));
  return lines;
}
