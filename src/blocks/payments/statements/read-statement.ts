import { parseCamt053 } from './parse-camt053.ts';
import { parseCsvStatement } from './parse-csv.ts';
import { StatementRefused, type ParsedStatement } from './statement-line.ts';

const MAX_STATEMENT_BYTES = 5 * 1024 * 1024;
const MAX_STATEMENT_LINES = 10_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A bank statement file, judged by its content, not its name: XML is read as camt.053, anything
 * else as the CSV format. Every problem is reported (line by line); nothing is half-read.
 */
export function readStatement(bytes: Buffer): ParsedStatement {
  const refuse = (code: string, reason: string, params?: Record<string, number>) => new StatementRefused(null, [{ position: 0, field: '', code, reason, ...(params ? { params } : {}) }]);
  if (bytes.length === 0) throw refuse('empty', 'the file is empty');
  if (bytes.length > MAX_STATEMENT_BYTES) throw refuse('tooLarge', `the file is larger than ${MAX_STATEMENT_BYTES / 1024 / 1024} MB`, { max: MAX_STATEMENT_BYTES / 1024 / 1024 });
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw refuse('encoding', 'the file is not UTF-8 text');
  }
  if (text.includes('\u0000')) throw refuse('encoding', 'the file is not UTF-8 text');
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('<')) {
    const declared = /^<\?xml[^>]*encoding=["']([^"']+)["']/i.exec(body)?.[1];
    if (declared && !/^utf-?8$/i.test(declared)) throw refuse('encoding', 'the file is not UTF-8 text');
    return parseCamt053(body, MAX_STATEMENT_LINES);
  }
  return parseCsvStatement(text, MAX_STATEMENT_LINES);
}
