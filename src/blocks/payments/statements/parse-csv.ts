import { parse } from 'csv-parse/sync';
import { checkLine, StatementRefused, type LineError, type ParsedStatement, type StatementLine } from './statement-line.ts';

/**
 * The CSV statement format (docs/payments.md): UTF-8, comma-separated, this header first, one
 * credit per line, amounts with a dot for decimals.
 */
export const CSV_COLUMNS = ['date', 'amount', 'currency', 'reference', 'transaction_id', 'payer_name'] as const;

export function parseCsvStatement(text: string, maxLines: number): ParsedStatement {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof rows;
  } catch (err) {
    const position = (err as { lines?: number }).lines ?? 1;
    throw new StatementRefused('csv', [{ position, field: '', code: 'csv', reason: `the file is not valid CSV: ${(err as Error).message}` }]);
  }
  const [header, ...body] = rows;
  const names = header?.record.map((h) => h.trim().toLowerCase()) ?? [];
  if (names.join(',') !== CSV_COLUMNS.join(',')) {
    throw new StatementRefused('csv', [{ position: 1, field: '', code: 'header', reason: `the first line must be the header ${CSV_COLUMNS.join(',')}`, params: { header: CSV_COLUMNS.join(',') } }]);
  }
  if (body.length === 0) throw new StatementRefused('csv', [{ position: 2, field: '', code: 'empty', reason: 'the statement has no lines' }]);
  if (body.length > maxLines) throw new StatementRefused('csv', [{ position: maxLines + 2, field: '', code: 'tooManyLines', reason: `at most ${maxLines} lines per statement`, params: { max: maxLines } }]);
  const lines: StatementLine[] = [];
  const errors: LineError[] = [];
  for (const { record, info } of body) {
    if (record.length !== CSV_COLUMNS.length) {
      errors.push({ position: info.lines, field: '', code: 'columns', reason: `the line has ${record.length} fields; the format has ${CSV_COLUMNS.length}`, params: { count: record.length, expected: CSV_COLUMNS.length } });
      continue;
    }
    const [bookedOn = '', amount = '', currency = '', remittance = '', bankTransactionId = '', payerName = ''] = record;
    const checked = checkLine(info.lines, { bookedOn, amount, currency, remittance, bankTransactionId, payerName });
    if ('errors' in checked) errors.push(...checked.errors);
    else lines.push(checked.line);
  }
  if (errors.length > 0) throw new StatementRefused('csv', errors);
  return { format: 'csv', lines, skippedDebits: 0 };
}
