import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** The text poppler's pdftotext reads from a PDF: what copy, search and screen readers get. */
export function pdftotext(pdf: Buffer): string {
  const run = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf, encoding: 'utf8' });
  if (run.error) assert.fail(`pdftotext could not run (${run.error.message}): install poppler-utils (apt-get install poppler-utils)`);
  assert.equal(run.status, 0, run.stderr);
  // pdftotext marks right-to-left lines with embedding controls; they are not part of the words.
  return run.stdout.replace(/[\u202A-\u202E]/g, '');
}
