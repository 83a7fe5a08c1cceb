import {
  beginText,
  endText,
  fill,
  lineTo,
  moveTo,
  PDFArray,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFOperator,
  PDFOperatorNames,
  PDFString,
  popGraphicsState,
  pushGraphicsState,
  ReadingDirection,
  rectangle,
  setFillingRgbColor,
  setFontAndSize,
  setLineWidth,
  setStrokingRgbColor,
  setTextMatrix,
  stroke,
  type PDFPage,
} from 'pdf-lib';
import { DocumentFonts, hex4 } from './font-embedding.ts';
import { qrRuns } from './qr.ts';
import { layoutParagraph, type Direction, type Line, type TextStyle } from './text-layout.ts';

/** What a document says, top to bottom; the renderer lays it out on as many A4 pages as it needs. */
export type PdfBlock =
  | { kind: 'title'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string; muted?: boolean }
  /** Label and value pairs in two columns, labels on the side the text starts from. */
  | { kind: 'facts'; rows: { label: string; value: string }[] }
  /** A QR code holding `content`, with these short paragraphs beside it. */
  | { kind: 'qr'; content: string; caption: string[] };

export interface PdfDocumentSpec {
  /** BCP 47 language of the text (the catalog's /Lang), and the direction it is written in. */
  lang: string;
  direction: Direction;
  info: { title: string; author: string; subject?: string; created: Date };
  /** A line at the top of every page, e.g. the issuing agency. */
  header?: string;
  /** A line at the bottom of every page, followed by the page number, e.g. the document number. */
  footer?: string;
  blocks: PdfBlock[];
}

type Rgb = [number, number, number];
const INK: Rgb = [0.1, 0.1, 0.12];
const MUTED: Rgb = [0.36, 0.37, 0.4];
const ACCENT: Rgb = [0.05, 0.3, 0.42];
const RULE: Rgb = [0.78, 0.8, 0.82];

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const TOP = A4[1] - MARGIN;
const BOTTOM = MARGIN + 28;
const WIDTH = A4[0] - 2 * MARGIN;
/** Naskh's tall letters and low descenders need more room than Latin text. */
const LEADING = 1.6;
const QR_SIZE = 96;

const STYLES = {
  title: { size: 20, weight: 'bold' },
  heading: { size: 13, weight: 'bold' },
  body: { size: 11, weight: 'regular' },
  label: { size: 10, weight: 'bold' },
  small: { size: 8.5, weight: 'regular' },
} satisfies Record<string, TextStyle>;

/** Lays blocks out down the pages, starting a new page when the next piece does not fit. */
class Writer {
  readonly pages: PDFPage[] = [];
  private y = TOP;
  private readonly fontNames = new Map<PDFPage, Set<string>>();

  constructor(
    private readonly doc: PDFDocument,
    private readonly fonts: DocumentFonts,
    private readonly spec: PdfDocumentSpec,
  ) {
    this.newPage();
  }

  private get page(): PDFPage {
    return this.pages.at(-1)!;
  }

  private newPage(): void {
    this.pages.push(this.doc.addPage(A4));
    this.y = TOP;
    if (this.spec.header) {
      const [line] = layoutParagraph(this.spec.header, this.spec.direction, WIDTH, STYLES.label);
      if (line) this.drawLine(line, this.startX(line.width, MARGIN, WIDTH), this.y - STYLES.label.size, STYLES.label.size, ACCENT);
      this.y -= STYLES.label.size * LEADING + 4;
      this.rule(this.y, ACCENT, 1);
      this.y -= 18;
    }
  }

  /** Room for `height` points on this page, or a new page. */
  private ensure(height: number): void {
    if (this.y - height < BOTTOM && this.y < TOP - 60) this.newPage();
  }

  /** Where a line of this width starts in a column: at its left edge left-to-right, against its right edge right-to-left. */
  private startX(width: number, left: number, columnWidth: number): number {
    return this.spec.direction === 'rtl' ? left + columnWidth - width : left;
  }

  private rule(y: number, color: Rgb, width = 0.5): void {
    this.page.pushOperators(pushGraphicsState(), setStrokingRgbColor(...color), setLineWidth(width), moveTo(MARGIN, y), lineTo(MARGIN + WIDTH, y), stroke(), popGraphicsState());
  }

  /** Show a shaped line with its baseline at `baseline`: glyphs in runs of one font and one height, spaced as shaped. */
  drawLine(line: Line, x: number, baseline: number, size: number, color: Rgb, page = this.page): void {
    const ops: PDFOperator[] = [beginText(), setFillingRgbColor(...color)];
    let i = 0;
    while (i < line.glyphs.length) {
      const first = line.glyphs[i]!;
      const { name, ref } = this.fonts.resource(first.face);
      const names = this.fontNames.get(page) ?? new Set<string>();
      if (!names.has(name.asString())) {
        page.node.setFontDictionary(name, ref);
        names.add(name.asString());
        this.fontNames.set(page, names);
      }
      const scale = size / first.face.font.unitsPerEm;
      const shown = PDFArray.withContext(this.doc.context);
      let hex = '';
      let j = i;
      for (; j < line.glyphs.length; j++) {
        const glyph = line.glyphs[j]!;
        if (glyph.face !== first.face || glyph.y !== first.y) break;
        if (j > i) {
          const previous = line.glyphs[j - 1]!;
          // TJ moves by the font's width of the glyph shown; shaping may want more or less (kerning, marks).
          const drift = ((previous.advanceWidth * scale - (glyph.x - previous.x)) * 1000) / size;
          if (Math.abs(drift) > 0.01) {
            shown.push(PDFHexString.of(hex));
            shown.push(PDFNumber.of(Math.round(drift * 100) / 100));
            hex = '';
          }
        }
        hex += hex4(this.fonts.cid(glyph));
      }
      shown.push(PDFHexString.of(hex));
      ops.push(setFontAndSize(name, size), setTextMatrix(1, 0, 0, 1, x + first.x, baseline + first.y), PDFOperator.of(PDFOperatorNames.ShowTextAdjusted, [shown]));
      i = j;
    }
    ops.push(endText());
    page.pushOperators(...ops);
  }

  /** Lines of text in a column; returns the height used. */
  private text(lines: Line[], left: number, columnWidth: number, top: number, style: TextStyle, color: Rgb): number {
    const height = style.size * LEADING;
    lines.forEach((line, n) => this.drawLine(line, this.startX(line.width, left, columnWidth), top - style.size - n * height, style.size, color));
    return lines.length * height;
  }

  paragraph(text: string, style: TextStyle, color: Rgb, spaceAfter: number): void {
    const height = style.size * LEADING;
    for (const line of layoutParagraph(text, this.spec.direction, WIDTH, style)) {
      this.ensure(height);
      this.drawLine(line, this.startX(line.width, MARGIN, WIDTH), this.y - style.size, style.size, color);
      this.y -= height;
    }
    this.y -= spaceAfter;
  }

  facts(rows: { label: string; value: string }[]): void {
    const labelWidth = WIDTH * 0.36;
    const gap = 12;
    const valueWidth = WIDTH - labelWidth - gap;
    const rtl = this.spec.direction === 'rtl';
    const labelLeft = rtl ? MARGIN + WIDTH - labelWidth : MARGIN;
    const valueLeft = rtl ? MARGIN : MARGIN + labelWidth + gap;
    this.rule(this.y, RULE);
    for (const row of rows) {
      const labels = layoutParagraph(row.label, this.spec.direction, labelWidth, STYLES.label);
      const values = layoutParagraph(row.value, this.spec.direction, valueWidth, STYLES.body);
      const height = Math.max(labels.length * STYLES.label.size, values.length * STYLES.body.size) * LEADING + 10;
      this.ensure(height);
      const top = this.y - 5;
      this.text(labels, labelLeft, labelWidth, top - 1, STYLES.label, MUTED);
      this.text(values, valueLeft, valueWidth, top, STYLES.body, INK);
      this.y -= height;
      this.rule(this.y, RULE);
    }
    this.y -= 18;
  }

  qr(content: string, caption: string[]): void {
    this.ensure(QR_SIZE);
    const { size, runs } = qrRuns(content);
    const module = QR_SIZE / size;
    const rtl = this.spec.direction === 'rtl';
    const left = rtl ? MARGIN + WIDTH - QR_SIZE : MARGIN;
    const top = this.y;
    this.page.pushOperators(
      pushGraphicsState(),
      setFillingRgbColor(0, 0, 0),
      ...runs.map((r) => rectangle(left + r.column * module, top - (r.row + 1) * module, r.length * module, module)),
      fill(),
      popGraphicsState(),
    );
    const gap = 16;
    const captionLeft = rtl ? MARGIN : MARGIN + QR_SIZE + gap;
    const captionWidth = WIDTH - QR_SIZE - gap;
    let y = top - 8;
    caption.forEach((text, n) => {
      const style = n === 0 ? STYLES.label : STYLES.small;
      y -= this.text(layoutParagraph(text, this.spec.direction, captionWidth, style), captionLeft, captionWidth, y, style, n === 0 ? INK : MUTED) + 4;
    });
    this.y = Math.min(top - QR_SIZE, y) - 16;
  }

  block(block: PdfBlock): void {
    switch (block.kind) {
      case 'title':
        return this.paragraph(block.text, STYLES.title, INK, 10);
      case 'heading':
        this.ensure(60);
        return this.paragraph(block.text, STYLES.heading, ACCENT, 6);
      case 'paragraph':
        return this.paragraph(block.text, STYLES.body, block.muted ? MUTED : INK, 10);
      case 'facts':
        return this.facts(block.rows);
      case 'qr':
        return this.qr(block.content, block.caption);
    }
  }

  /** The footer and page number of every page, once the number of pages is known. */
  footers(): void {
    this.pages.forEach((page, n) => {
      const text = `${this.spec.footer ? `${this.spec.footer} · ` : ''}${n + 1}/${this.pages.length}`;
      const [line] = layoutParagraph(text, this.spec.direction, WIDTH, STYLES.small);
      if (line) this.drawLine(line, this.startX(line.width, MARGIN, WIDTH), MARGIN, STYLES.small.size, MUTED, page);
    });
  }
}

/**
 * A PDF of text in any of the platform's languages: shaped with the fonts' OpenType tables,
 * laid out by the Unicode bidi algorithm (Arabic right to left, with Latin names and digits
 * inside it), subset fonts embedded with text that copies and searches correctly. Written with a
 * classic cross-reference table, so an incremental update can be appended (see incremental-update.ts).
 */
export async function renderPdf(spec: PdfDocumentSpec): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = new DocumentFonts(doc);
  const writer = new Writer(doc, fonts, spec);
  for (const block of spec.blocks) writer.block(block);
  writer.footers();
  await fonts.finish();

  doc.setTitle(spec.info.title, { showInWindowTitleBar: true });
  doc.setAuthor(spec.info.author);
  if (spec.info.subject) doc.setSubject(spec.info.subject);
  doc.setCreator('Daftari');
  doc.setProducer('Daftari');
  doc.setCreationDate(spec.info.created);
  doc.setModificationDate(spec.info.created);
  doc.catalog.set(PDFName.of('Lang'), PDFString.of(spec.lang));
  if (spec.direction === 'rtl') doc.catalog.getOrCreateViewerPreferences().setReadingDirection(ReadingDirection.R2L);
  const bytes = await doc.save({ useObjectStreams: false });
  // An end of line after %%EOF, so an update appended later starts on a line of its own.
  return Buffer.concat([bytes, Buffer.from('\n')]);
}
