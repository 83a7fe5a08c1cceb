import QRCode from 'qrcode';

/** A dark stretch of one row of a QR code, in modules from the top-left corner. */
export interface QrRun {
  row: number;
  column: number;
  length: number;
}

/**
 * The dark modules of a QR code for `text`, merged along each row, so a drawing is a few hundred
 * rectangles rather than one per module. Error correction M survives a fold or a stain on paper.
 */
export function qrRuns(text: string): { size: number; runs: QrRun[] } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const runs: QrRun[] = [];
  for (let row = 0; row < modules.size; row++) {
    let column = 0;
    while (column < modules.size) {
      if (!modules.get(row, column)) {
        column++;
        continue;
      }
      const start = column;
      while (column < modules.size && modules.get(row, column)) column++;
      runs.push({ row, column: start, length: column - start });
    }
  }
  return { size: modules.size, runs };
}
