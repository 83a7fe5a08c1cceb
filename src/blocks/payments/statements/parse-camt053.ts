import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { checkLine, StatementRefused, type LineError, type ParsedStatement, type RawLine, type StatementLine } from './statement-line.ts';

type Node = Record<string, unknown>;

const REPEATED = new Set(['Stmt', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  // Amounts and ids stay exactly as written ("15000.00", "00042"), never numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

const node = (value: unknown): Node => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : {});
/** A repeated element's occurrences, as they are (text or element). */
const each = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const nodes = (value: unknown): Node[] => each(value).map(node);
/** An element's text, whether it has attributes (`{ '#text': … }`) or not. */
const text = (value: unknown): string => (typeof value === 'string' ? value : typeof node(value)['#text'] === 'string' ? (node(value)['#text'] as string) : '');
const path = (from: unknown, ...names: string[]): unknown => names.reduce<unknown>((at, name) => node(at)[name], from);

function remittanceOf(tx: Node): string {
  const info = node(tx.RmtInf);
  const structured = nodes(info.Strd).map((s) => text(path(s, 'CdtrRefInf', 'Ref')));
  const free = each(info.Ustrd).map(text);
  return [...structured, ...free].filter(Boolean).join(' ');
}

function payerOf(tx: Node): string {
  return text(path(tx, 'RltdPties', 'Dbtr', 'Nm')) || text(path(tx, 'RltdPties', 'Dbtr', 'Pty', 'Nm'));
}

function amountOf(amt: unknown): { amount: string; currency: string } {
  return { amount: text(amt), currency: typeof node(amt)['@Ccy'] === 'string' ? (node(amt)['@Ccy'] as string) : '' };
}

/**
 * An ISO 20022 bank-to-customer statement (camt.053): each credit entry (`CdtDbtInd` CRDT) is a
 * line; an entry that batches several transactions gives one line per transaction. The bank's
 * id is the entry's (or transaction's) `AcctSvcrRef`, else its `NtryRef`; the payer's reference
 * is the structured creditor reference, else the unstructured remittance text.
 */
export function parseCamt053(xml: string, maxLines: number): ParsedStatement {
  // Entity declarations are how XML files blow up or reach for other files; statements need none.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new StatementRefused('camt.053', [{ position: 0, field: '', code: 'doctype', reason: 'the file declares a DOCTYPE; bank statements have none' }]);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new StatementRefused('camt.053', [{ position: 0, field: '', code: 'xml', reason: `the file is not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`, params: { line: valid.err.line } }]);
  const statements = nodes(path(parser.parse(xml), 'Document', 'BkToCstmrStmt', 'Stmt'));
  if (statements.length === 0) throw new StatementRefused('camt.053', [{ position: 0, field: '', code: 'notCamt', reason: 'the file is not a camt.053 statement (Document/BkToCstmrStmt/Stmt)' }]);

  const lines: StatementLine[] = [];
  const errors: LineError[] = [];
  let skippedDebits = 0;
  let position = 0;
  for (const entry of statements.flatMap((s) => nodes(s.Ntry))) {
    position += 1;
    const direction = text(entry.CdtDbtInd);
    if (direction === 'DBIT') {
      skippedDebits += 1;
      continue;
    }
    if (direction !== 'CRDT') {
      errors.push({ position, field: 'CdtDbtInd', code: 'direction', reason: 'CdtDbtInd must be CRDT or DBIT' });
      continue;
    }
    const bookedOn = (text(path(entry, 'BookgDt', 'Dt')) || text(path(entry, 'BookgDt', 'DtTm'))).slice(0, 10);
    const entryId = text(entry.AcctSvcrRef) || text(entry.NtryRef);
    const transactions = nodes(entry.NtryDtls).flatMap((d) => nodes(d.TxDtls));
    const raws: RawLine[] =
      transactions.length <= 1
        ? [{ bookedOn, ...amountOf(entry.Amt), remittance: remittanceOf(transactions[0] ?? {}), bankTransactionId: text(path(transactions[0], 'Refs', 'AcctSvcrRef')) || entryId, payerName: payerOf(transactions[0] ?? {}) }]
        : transactions.map((tx, i) => ({
            bookedOn,
            ...amountOf(tx.Amt ?? path(tx, 'AmtDtls', 'TxAmt', 'Amt')),
            remittance: remittanceOf(tx),
            bankTransactionId: text(path(tx, 'Refs', 'AcctSvcrRef')) || (entryId && `${entryId}/${i + 1}`),
            payerName: payerOf(tx),
          }));
    for (const raw of raws) {
      const checked = checkLine(position, raw);
      if ('errors' in checked) errors.push(...checked.errors);
      else lines.push(checked.line);
    }
  }
  if (lines.length + errors.length > maxLines) throw new StatementRefused('camt.053', [{ position: 0, field: '', code: 'tooManyLines', reason: `at most ${maxLines} lines per statement`, params: { max: maxLines } }]);
  if (errors.length > 0) throw new StatementRefused('camt.053', errors);
  if (lines.length === 0) throw new StatementRefused('camt.053', [{ position: 0, field: '', code: 'empty', reason: 'the statement has no credits' }]);
  return { format: 'camt.053', lines, skippedDebits };
}
