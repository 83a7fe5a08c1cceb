import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Principal } from '../../../platform/http/access.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { agencyIndex, requireAgencyRole, subtree } from '../agencies.ts';
import { outstanding } from '../invoices.ts';
import { FINANCE_OFFICER, type PaymentsDeps } from '../model.ts';
import { Decimal } from '../money.ts';
import { findReferences } from '../reference.ts';
import { findInvoiceByReference, insertLines, insertStatement, knownBankTransactions, proposedForInvoice, type LineProposal, type NewLine, type StoredInvoice } from '../store.ts';
import { readStatement } from './read-statement.ts';
import type { StatementLine } from './statement-line.ts';

export interface ImportStatement {
  agencyId: string;
  fileName: string;
  bytes: Buffer;
  principal: Principal;
  requestId: string;
}

export type ProposalCounts = Record<LineProposal, number>;

/**
 * Store a bank statement of the agency and propose what each credit pays: the invoice its
 * reference names (check digits valid, spaces and case ignored) among the agency's own and its
 * departments', and whether the amount is what is still owed (exact), less (under) or more
 * (over). A line whose bank transaction id the agency already has is a duplicate, so importing a
 * statement again records nothing twice. Nothing is paid here: a finance officer reviews first.
 * A file with any bad line is refused as a whole (StatementRefused), with every problem listed.
 */
export async function importStatement(deps: PaymentsDeps, input: ImportStatement): Promise<{ statementId: string; counts: ProposalCounts }> {
  requireAgencyRole(input.principal, [FINANCE_OFFICER], input.agencyId, 'Importing a bank statement');
  const parsed = readStatement(input.bytes);
  const actor = actorOf(input.principal);
  return deps.db.transaction().execute(async (trx) => {
    // One import per agency at a time, so two uploads of one file cannot both miss each other's lines.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`payments-statements:${input.agencyId}`}))`.execute(trx);
    const scope = subtree(await agencyIndex(trx), input.agencyId);
    const seen = await knownBankTransactions(trx, input.agencyId, parsed.lines.map((l) => l.bankTransactionId));
    const stillOwed = new Map<string, Decimal>();

    const invoiceFor = async (line: StatementLine): Promise<{ reference: string | null; invoice: StoredInvoice | null }> => {
      const references = findReferences(line.remittance);
      for (const reference of references) {
        const invoice = await findInvoiceByReference(trx, reference);
        if (invoice && scope.has(invoice.agencyId)) return { reference, invoice };
      }
      return { reference: references[0] ?? null, invoice: null };
    };

    const statementId = randomUUID();
    const counts: ProposalCounts = { exact: 0, under: 0, over: 0, unmatched: 0, duplicate: 0 };
    const lines: NewLine[] = [];
    for (const [index, line] of parsed.lines.entries()) {
      const base = { id: randomUUID(), statementId, agencyId: input.agencyId, lineNo: index + 1, bookedOn: line.bookedOn, amount: line.amount, currency: line.currency, remittance: line.remittance, bankTransactionId: line.bankTransactionId, payerName: line.payerName };
      if (seen.has(line.bankTransactionId)) {
        counts.duplicate += 1;
        lines.push({ ...base, reference: null, invoiceId: null, proposal: 'duplicate', status: 'duplicate' });
        continue;
      }
      seen.add(line.bankTransactionId);
      const { reference, invoice } = await invoiceFor(line);
      let proposal: LineProposal = 'unmatched';
      if (invoice && invoice.currency === line.currency) {
        const owed = stillOwed.get(invoice.id) ?? Decimal.max(0, outstanding(invoice).minus(await proposedForInvoice(trx, invoice.id)));
        proposal = owed.isZero() || owed.lt(line.amount) ? 'over' : owed.eq(line.amount) ? 'exact' : 'under';
        if (proposal !== 'over') stillOwed.set(invoice.id, owed.minus(line.amount));
      }
      counts[proposal] += 1;
      lines.push({ ...base, reference, invoiceId: invoice?.id ?? null, proposal, status: 'pending' });
    }

    const content = input.bytes.toString('utf8');
    const sha256 = createHash('sha256').update(input.bytes).digest('hex');
    await insertStatement(trx, { id: statementId, agencyId: input.agencyId, format: parsed.format, fileName: input.fileName, sha256, content, lineCount: lines.length, skippedDebits: parsed.skippedDebits, actor });
    await insertLines(trx, lines);
    await recordAudit(trx, {
      actor,
      agencyId: input.agencyId,
      action: 'payments.import-statement',
      subjectType: 'bank-statement',
      subjectId: statementId,
      requestId: input.requestId,
      details: { fileName: input.fileName, format: parsed.format, sha256, lines: lines.length, ...counts },
    });
    return { statementId, counts };
  });
}
