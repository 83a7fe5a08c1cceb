import { createHash } from 'node:crypto';
import { PDFName, PDFNumber, PDFString, type PDFDocument, type PDFRef } from 'pdf-lib';
import type { Face } from './fonts.ts';
import type { PlacedGlyph } from './text-layout.ts';

interface CidEntry {
  /** The glyph's id in the embedded subset. */
  gid: number;
  codePoints: number[];
  advanceWidth: number;
}

interface EmbeddedFace {
  face: Face;
  ref: PDFRef;
  name: PDFName;
  subset: ReturnType<Face['font']['createSubset']>;
  cids: Map<string, number>;
  entries: CidEntry[];
}

/**
 * The fonts of one PDF, embedded as subsets when the document is finished. A glyph gets its own
 * character id (CID) for each text it stands for: Arabic shaping draws ب, ت and ن on one dotless
 * base glyph plus dot marks, and a glyph-per-CID ToUnicode map would extract the wrong letter.
 */
export class DocumentFonts {
  private readonly faces = new Map<string, EmbeddedFace>();

  constructor(private readonly doc: PDFDocument) {}

  private embedded(face: Face): EmbeddedFace {
    let found = this.faces.get(face.key);
    if (!found) {
      const subset = face.font.createSubset();
      padGlyphsToEvenLength(subset);
      found = { face, ref: this.doc.context.nextRef(), name: PDFName.of(`F${this.faces.size + 1}`), subset, cids: new Map(), entries: [] };
      this.faces.set(face.key, found);
    }
    return found;
  }

  /** The resource name and PDF object of the font drawing `face`. */
  resource(face: Face): { name: PDFName; ref: PDFRef } {
    const { name, ref } = this.embedded(face);
    return { name, ref };
  }

  /** The character id that shows this glyph (with its text) in the face's PDF font. */
  cid(glyph: PlacedGlyph): number {
    const embedded = this.embedded(glyph.face);
    const key = `${glyph.id}/${glyph.codePoints.join(',')}`;
    let cid = embedded.cids.get(key);
    if (cid === undefined) {
      embedded.entries.push({ gid: embedded.subset.includeGlyph(glyph.id), codePoints: glyph.codePoints, advanceWidth: glyph.advanceWidth });
      cid = embedded.entries.length;
      if (cid > 0xffff) throw new Error('a PDF font holds at most 65535 characters');
      embedded.cids.set(key, cid);
    }
    return cid;
  }

  /** Write every font used: subset program, widths, CID-to-glyph map and ToUnicode map. */
  async finish(): Promise<void> {
    for (const embedded of this.faces.values()) await this.write(embedded);
  }

  private async write({ face, ref, subset, entries }: EmbeddedFace): Promise<void> {
    const { context } = this.doc;
    const { font } = face;
    const program = await encodeSubset(subset);
    const scale = 1000 / font.unitsPerEm;
    const units = (n: number) => Math.round(n * scale);
    // Subset fonts are named with a tag of six capitals (ISO 32000 9.6.4); derived from the content, so output is reproducible.
    const tag = [...createHash('sha256').update(program).digest().subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
    const baseFont = `${tag}+${font.postscriptName.replace(/[^A-Za-z0-9-]/g, '')}`;

    const cidToGid = new Uint8Array((entries.length + 1) * 2);
    entries.forEach((entry, i) => {
      cidToGid[(i + 1) * 2] = entry.gid >> 8;
      cidToGid[(i + 1) * 2 + 1] = entry.gid & 0xff;
    });

    const descriptor = context.obj({
      Type: 'FontDescriptor',
      FontName: baseFont,
      Flags: 4,
      FontBBox: [units(font.bbox.minX), units(font.bbox.minY), units(font.bbox.maxX), units(font.bbox.maxY)],
      ItalicAngle: 0,
      Ascent: units(font.ascent),
      Descent: units(font.descent),
      CapHeight: units(font.capHeight || font.ascent),
      StemV: 80,
      FontFile2: context.register(context.flateStream(program, { Length1: program.length })),
    });
    const cidFont = context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: baseFont,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: context.register(descriptor),
      DW: 0,
      W: [1, entries.map((e) => PDFNumber.of(units(e.advanceWidth)))],
      CIDToGIDMap: context.register(context.flateStream(cidToGid)),
    });
    context.assign(
      ref,
      context.obj({
        Type: 'Font',
        Subtype: 'Type0',
        BaseFont: baseFont,
        Encoding: 'Identity-H',
        DescendantFonts: [context.register(cidFont)],
        ToUnicode: context.register(context.flateStream(toUnicodeCmap(entries))),
      }),
    );
  }
}

/**
 * fontkit writes a small subset with a short `loca` table, which stores every glyph offset halved,
 * yet copies each glyph at its own length: a font with a long table, where lengths may be odd
 * (Noto Naskh Arabic), comes out with glyphs cut in the middle. Padding each glyph to an even
 * length keeps the offsets exact.
 */
function padGlyphsToEvenLength(subset: EmbeddedFace['subset']): void {
  const internals = subset as unknown as { _addGlyph(gid: number): number; glyf: Uint8Array[]; offset: number };
  const addGlyph = internals._addGlyph.bind(subset);
  internals._addGlyph = (gid) => {
    const id = addGlyph(gid);
    const last = internals.glyf.length - 1;
    const glyph = internals.glyf[last]!;
    if (glyph.length % 2 === 1) {
      // fontkit's own Buffer class: its encoder refuses any other.
      const padded = (glyph.constructor as unknown as { alloc(size: number): Uint8Array }).alloc(glyph.length + 1);
      padded.set(glyph);
      internals.glyf[last] = padded;
      internals.offset += 1;
    }
    return id;
  };
}

function encodeSubset(subset: EmbeddedFace['subset']): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    subset
      .encodeStream()
      .on('data', (chunk) => chunks.push(chunk!))
      .on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Four hex digits: a CID as Identity-H shows it, a UTF-16 code unit in the ToUnicode map. */
export const hex4 = (n: number) => n.toString(16).padStart(4, '0').toUpperCase();

/** The CMap that lets readers copy and search the text: each CID to the UTF-16 of its characters. */
function toUnicodeCmap(entries: CidEntry[]): string {
  const mapped = entries.map((e, i) => ({ cid: i + 1, text: String.fromCodePoint(...e.codePoints) })).filter((m) => m.text !== '');
  const sections: string[] = [];
  for (let i = 0; i < mapped.length; i += 100) {
    const chunk = mapped.slice(i, i + 100);
    const lines = chunk.map((m) => `<${hex4(m.cid)}> <${[...Array(m.text.length).keys()].map((k) => hex4(m.text.charCodeAt(k))).join('')}>`);
    sections.push(`${chunk.length} beginbfchar\n${lines.join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    ...sections,
    'endcmap',
    'CMapName currentdict /CMap defineresource pop',
    'end',
    'end',
  ].join('\n');
}
