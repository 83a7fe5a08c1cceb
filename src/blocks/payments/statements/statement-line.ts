import { isCalendarDay } from '../days.ts';
import { currencyDecimals, Decimal, isAmount, MAX_DECIMALS } from '../money.ts';

/** One credit to the account, as a bank statement shows it. */
export interface StatementLine {
  /** Its line in a CSV file (the header is line 1), or its entry's place in a CAMT.053 file. */
  position: number;
  bookedOn: string;
  amount: string;
  currency: string;
  /** The remittance text (or the structured creditor reference) the payer gave. */
  remittance: string;
  bankTransactionId: string;
  payerName: string;
}

export interface ParsedStatement {
  format: 'csv' | 'camt.053';
  lines: StatementLine[];
  /** Debits on the account: not payments to us, so not imported. */
  skippedDebits: number;
}

/** A line that cannot be imported; `code` names a message the pages translate, `reason` stays English. */
export interface LineError {
  position: number;
  field: string;
  code: string;
  reason: string;
  params?: Record<string, string | number>;
}

export class StatementRefused extends Error {
  constructor(readonly format: 'csv' | 'camt.053' | null, readonly errors: LineError[]) {
    super(`the statement has ${errors.length} problem(s)`);
  }
}

export type RawLine = Omit<StatementLine, 'position'>;

// Control characters have no business in a statement and would garble pages and exports.
const PLAIN_TEXT = /^[^\p{Cc}]*$/u;

/** Check one line's fields; every problem at once. */
export function checkLine(position: number, raw: RawLine): { line: StatementLine } | { errors: LineError[] } {
  const errors: LineError[] = [];
  const fail = (field: string, code: string, reason: string, params?: Record<string, string | number>) => errors.push({ position, field, code, reason, ...(params ? { params } : {}) });
  const line: StatementLine = { position, bookedOn: raw.bookedOn.trim(), amount: raw.amount.trim(), currency: raw.currency.trim(), remittance: raw.remittance.trim(), bankTransactionId: raw.bankTransactionId.trim(), payerName: raw.payerName.trim() };
  if (!isCalendarDay(line.bookedOn)) fail('date', 'date', 'enter the booking date as YYYY-MM-DD');
  const decimals = currencyDecimals(line.currency);
  if (decimals === null) fail('currency', 'currency', 'is not an ISO 4217 currency code, like DJF');
  if (!isAmount(line.amount, MAX_DECIMALS) || new Decimal(line.amount).isZero()) fail('amount', 'amount', 'enter a positive amount with a dot before any decimals, like 15000 or 12.50');
  else if (decimals !== null && !isAmount(line.amount, decimals)) fail('amount', 'amountDecimals', `${line.currency} amounts have at most ${decimals} decimals`, { currency: line.currency, decimals });
  if (line.bankTransactionId === '' || line.bankTransactionId.length > 100 || !PLAIN_TEXT.test(line.bankTransactionId)) fail('transaction_id', 'transactionId', 'give the bank transaction id: 1 to 100 characters');
  if (line.remittance.length > 500 || !PLAIN_TEXT.test(line.remittance)) fail('reference', 'text', 'at most 500 characters, without control characters', { max: 500 });
  if (line.payerName.length > 200 || !PLAIN_TEXT.test(line.payerName)) fail('payer_name', 'text', 'at most 200 characters, without control characters', { max: 200 });
  return errors.length > 0 ? { errors } : { line };
}
