export { renderPdf, type PdfBlock, type PdfDocumentSpec } from './document.ts';
export { appendInfoUpdate, readInfoUpdate } from './incremental-update.ts';
export type { Direction } from './text-layout.ts';
