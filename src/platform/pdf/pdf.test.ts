import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, PDFRawStream, PDFRef } from 'pdf-lib';
import QRCode from 'qrcode';
import { arabicFace } from './fonts.ts';
import { appendInfoUpdate, readInfoUpdate } from './incremental-update.ts';
import { renderPdf, type PdfDocumentSpec } from './index.ts';
import { layoutParagraph } from './text-layout.ts';
import { pdftotext } from '../../../test/support/pdftotext.ts';

const ARABIC: PdfDocumentSpec = {
  lang: 'ar',
  direction: 'rtl',
  info: { title: 'رخصة تجارية', author: 'وزارة التجارة', created: new Date('2026-11-23T10:00:00Z') },
  header: 'وزارة التجارة',
  footer: 'الوثيقة 3f2a9c1e-5b7d-4e2f-9a1b-2c3d4e5f6a7b',
  blocks: [
    { kind: 'title', text: 'رخصة تجارية' },
    { kind: 'paragraph', text: 'صادرة لـ: أمينة ديالو (Amina Diallo)' },
    { kind: 'paragraph', text: 'تشهد وزارة التجارة بأن صاحب هذه الرخصة مرخص له بممارسة نشاط البيع بالتجزئة، وفقًا للطلب رقم BL-2026-000123-X المقدم في 12 نوفمبر 2026.' },
    { kind: 'facts', rows: [{ label: 'رقم التتبع', value: 'BL-2026-000123-X' }, { label: 'النشاط', value: 'بيع بالتجزئة (فئة B)' }] },
    { kind: 'qr', content: 'http://localhost:3000/verify/3f2a9c1e-5b7d-4e2f-9a1b-2c3d4e5f6a7b', caption: ['تحقق من هذه الوثيقة على', 'http://localhost:3000/verify/3f2a9c1e-5b7d-4e2f-9a1b-2c3d4e5f6a7b'] },
  ],
};

const ENGLISH: PdfDocumentSpec = {
  lang: 'en',
  direction: 'ltr',
  info: { title: 'Business licence', author: 'Ministry of Trade', created: new Date('2026-11-23T10:00:00Z') },
  header: 'Ministry of Trade',
  blocks: [
    { kind: 'title', text: 'Business licence' },
    { kind: 'paragraph', text: 'Issued to: Amina Diallo (أمينة ديالو), Café Łódź.' },
    { kind: 'facts', rows: [{ label: 'Tracking number', value: 'BL-2026-000123-X' }] },
  ],
};

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daftari-pdf-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('renderPdf', () => {
  it('writes a PDF any reader opens, with its title, author and language', async () => {
    const pdf = await renderPdf(ARABIC);
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    const doc = await PDFDocument.load(pdf);
    assert.equal(doc.getTitle(), 'رخصة تجارية');
    assert.equal(doc.getAuthor(), 'وزارة التجارة');
    assert.equal(doc.getPageCount(), 1);
    assert.match(pdf.toString('latin1'), /\/Lang \(ar\)/);
  });

  it('writes Arabic text that extracts as the words it was given, letters joined and in reading order', async () => {
    const text = pdftotext(await renderPdf(ARABIC));
    for (const words of ['وزارة التجارة', 'رخصة تجارية', 'أمينة ديالو', 'بممارسة نشاط البيع بالتجزئة', 'رقم التتبع', 'تحقق من هذه الوثيقة على']) {
      assert.ok(text.includes(words), `"${words}" in:\n${text}`);
    }
    assert.ok(text.includes('BL-2026-000123-X'), 'a Latin tracking number inside Arabic text reads left to right');
    assert.ok(text.includes('Amina Diallo'));
  });

  it('writes Latin text with accents, and Arabic inside it, as text', async () => {
    const text = pdftotext(await renderPdf(ENGLISH));
    for (const words of ['Business licence', 'Issued to: Amina Diallo', 'أمينة ديالو', 'Café Łódź', 'BL-2026-000123-X']) assert.ok(text.includes(words), `"${words}" in:\n${text}`);
  });

  it('flows a long document onto further pages, each with its footer and page number', async () => {
    const paragraphs = Array.from({ length: 40 }, (_, n) => ({ kind: 'paragraph' as const, text: `Item ${n + 1}: the council heard the report on the water supply of the northern districts and agreed to fund the repairs.` }));
    const pdf = await renderPdf({ ...ENGLISH, footer: 'Minutes of the council', blocks: [{ kind: 'heading', text: 'Decisions' }, ...paragraphs] });
    const pages = (await PDFDocument.load(pdf)).getPageCount();
    assert.ok(pages >= 2, `${pages} pages`);
    const text = pdftotext(pdf);
    assert.ok(text.includes('Item 40: the council heard'), 'the last paragraph is there');
    assert.ok(text.includes(`Minutes of the council · ${pages}/${pages}`));
  });

  it('renders the same spec to the same bytes', async () => {
    assert.deepEqual(await renderPdf(ARABIC), await renderPdf(ARABIC));
  });

  it('embeds font subsets whose every glyph a reader can draw', async () => {
    const pdf = (await renderPdf(ARABIC)).toString('latin1');
    const fonts = [...pdf.matchAll(/\/FontFile2 (\d+) 0 R/g)].map((m) => Number(m[1]));
    assert.ok(fonts.length >= 2, 'a Naskh and a Sans subset');
    const doc = await PDFDocument.load(Buffer.from(pdf, 'latin1'));
    for (const objectNumber of fonts) {
      const stream = doc.context.lookup(PDFRef.of(objectNumber));
      assert.ok(stream instanceof PDFRawStream);
      const font = fontkit.create(inflateSync(stream.contents)) as unknown as { numGlyphs: number; getGlyph(id: number): { path: { commands: unknown[] } } };
      for (let id = 0; id < font.numGlyphs; id++) assert.doesNotThrow(() => font.getGlyph(id).path.commands, `glyph ${id} of font object ${objectNumber}`);
    }
  });
});

/** A page as a greyscale bitmap, as poppler draws it. */
function rasterise(pdf: Buffer, dpi: number): { width: number; height: number; dark(x: number, y: number): boolean } {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  fs.writeFileSync(file, pdf);
  const run = spawnSync('pdftoppm', ['-r', String(dpi), '-gray', '-singlefile', file], { maxBuffer: 1 << 28 });
  if (run.error) assert.fail(`pdftoppm could not run (${run.error.message}): install poppler-utils (apt-get install poppler-utils)`);
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(run.stdout.subarray(0, 40).toString('latin1'));
  assert.ok(header, 'a binary PGM');
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = run.stdout.subarray(header[0].length);
  return { width, height, dark: (x, y) => pixels[Math.round(y) * width + Math.round(x)]! < 128 };
}

describe('the QR code', () => {
  it('is drawn module for module as the code of its content, the right way up', async () => {
    const content = 'http://localhost:3000/verify/3f2a9c1e-5b7d-4e2f-9a1b-2c3d4e5f6a7b';
    const page = rasterise(await renderPdf({ ...ENGLISH, header: undefined, blocks: [{ kind: 'qr', content, caption: [] }] }), 216);
    let [left, top, right, bottom] = [page.width, page.height, 0, 0];
    // The footer is below the code: look only at the upper half of the page.
    for (let y = 0; y < page.height / 2; y++) {
      for (let x = 0; x < page.width; x++) {
        if (!page.dark(x, y)) continue;
        [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
      }
    }
    const { modules } = QRCode.create(content, { errorCorrectionLevel: 'M' });
    const module = (right - left + 1) / modules.size;
    assert.ok(Math.abs((bottom - top + 1) / modules.size - module) < 0.5, 'square');
    for (let row = 0; row < modules.size; row++) {
      for (let column = 0; column < modules.size; column++) {
        const drawn = page.dark(left + (column + 0.5) * module, top + (row + 0.5) * module);
        assert.equal(drawn, Boolean(modules.get(row, column)), `module ${row},${column}`);
      }
    }
  });
});

describe('layoutParagraph', () => {
  it('sets an Arabic line right to left, with a Latin run inside it left to right', () => {
    const [line] = layoutParagraph('رقم BL-7', 'rtl', 400, { size: 10, weight: 'regular' });
    const naskh = arabicFace().key;
    const glyphs = line!.glyphs;
    // Visual order, left to right: "BL-7", a space, then the Arabic word at the right end.
    assert.notEqual(glyphs[0]!.face.key, naskh, 'the line starts, on the left, with the Latin run');
    assert.equal(glyphs.at(-1)!.face.key, naskh, 'and ends, on the right, with the Arabic word');
    assert.deepEqual(glyphs.filter((g) => g.face.key !== naskh && g.codePoints.length > 0).map((g) => String.fromCodePoint(...g.codePoints)).join(''), 'BL-7 ');
  });

  it('breaks lines at spaces to fit the width, and cuts a word longer than a line', () => {
    const lines = layoutParagraph('one two three four five six seven eight nine ten', 'ltr', 60, { size: 10, weight: 'regular' });
    assert.ok(lines.length > 3);
    for (const line of lines) assert.ok(line.width <= 60, `${line.width} fits in 60`);
    const cut = layoutParagraph(`http://localhost:3000/verify/${'a'.repeat(60)}`, 'ltr', 100, { size: 10, weight: 'regular' });
    assert.ok(cut.length > 1 && cut.every((l) => l.width <= 100));
  });
});

describe('incremental info update', () => {
  it('adds entries after the original bytes, which read back exactly, and keeps the PDF readable', async () => {
    const original = await renderPdf(ENGLISH);
    const updated = appendInfoUpdate(original, { Stamp: 'signed ✓ ختم', Other: 'x' });
    assert.deepEqual(updated.subarray(0, original.length), original);
    const read = readInfoUpdate(updated);
    assert.ok(read);
    assert.deepEqual(read.original, original);
    assert.equal(read.info.Stamp, 'signed ✓ ختم');
    assert.equal(read.info.Other, 'x');
    const doc = await PDFDocument.load(updated);
    assert.equal(doc.getTitle(), 'Business licence', 'the new information dictionary keeps the old entries');
    const text = pdftotext(updated);
    assert.ok(text.includes('Business licence'), 'readers open the updated file');
  });

  it('recognises nothing in a file without such an update, cut short, or with a byte of the update changed', async () => {
    const original = await renderPdf(ENGLISH);
    const updated = appendInfoUpdate(original, { Stamp: 'x' });
    assert.equal(readInfoUpdate(original), null);
    assert.equal(readInfoUpdate(updated.subarray(0, updated.length - 10)), null);
    const xref = updated.lastIndexOf('startxref');
    const shifted = Buffer.from(updated);
    shifted[xref + 'startxref\n'.length] = shifted[xref + 'startxref\n'.length]! === 0x31 ? 0x32 : 0x31;
    assert.equal(readInfoUpdate(shifted), null);
  });
});
