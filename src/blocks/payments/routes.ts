import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../platform/db/database.ts';
import { keepRawBody, rawBodyOf } from '../../platform/http/signed-calls.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { paymentPages } from '../../web/pages/payment-pages.tsx';
import { paymentStaffPages } from '../../web/pages/payment-staff-pages.tsx';
import { paymentStatementPages } from '../../web/pages/payment-statement-pages.tsx';
import { agencyIndex, chosenAgency, requireAgencyRole } from './agencies.ts';
import { applyProviderReport } from './apply-provider-report.ts';
import { closeCashDay, recordCash } from './counter-cash.ts';
import { dailyReport, reportRows } from './daily-report.ts';
import { agencyFilter, AgencyCode, Amount, Day, dayOf, IdParams, InvoiceState, Json, readStatementUpload, RULES, statementProblem, type RoutesDeps } from './http.ts';
import { invoiceForViewer, outstanding, payPath } from './invoices.ts';
import { CASHIER, FINANCE_OFFICER, FINANCE_READERS, PAYMENT_STAFF } from './model.ts';
import { asMoney, Decimal } from './money.ts';
import { configuredProvider } from './providers/configured-provider.ts';
import { PaymentResource } from './providers/mobile-money-protocol.ts';
import { CallbackRefused, type ProviderReport } from './providers/provider.ts';
import { receiptPdfPath } from './receipts.ts';
import { formatReference, parseReference } from './reference.ts';
import { decideRefund, requestRefund } from './refunds.ts';
import { MOBILE_MONEY_CALLBACK_PATH, startMobileMoneyPayment } from './start-mobile-money.ts';
import { importStatement } from './statements/import-statement.ts';
import { acceptProposals, resolveStatementLine } from './statements/reconcile-statement.ts';
import { StatementRefused } from './statements/statement-line.ts';
import {
  findInvoiceByReference,
  findPayment,
  findReceipt,
  findStatement,
  linesOf,
  listInvoices,
  listRefunds,
  listStatements,
  paymentsOfInvoice,
  type StoredInvoice,
  type StoredLine,
  type StoredRefund,
  type StoredStatement,
} from './store.ts';

async function invoiceJson(executor: Executor, invoice: StoredInvoice) {
  const amount = (value: string) => asMoney(value, invoice.decimals);
  const [payments, agencies] = await Promise.all([paymentsOfInvoice(executor, invoice.id), agencyIndex(executor)]);
  return {
    id: invoice.id,
    reference: formatReference(invoice.reference),
    agency: agencies.get(invoice.agencyId)?.code ?? null,
    subject: { type: invoice.subjectType, id: invoice.subjectId, purpose: invoice.purpose },
    payer: { name: invoice.payerName },
    state: invoice.state,
    currency: invoice.currency,
    decimals: invoice.decimals,
    amount: amount(invoice.amount),
    paidAmount: amount(invoice.paidAmount),
    refundedAmount: amount(invoice.refundedAmount),
    outstanding: amount(outstanding(invoice).toFixed()),
    lines: invoice.lines,
    dueAt: invoice.dueAt.toISOString(),
    payPath: payPath(invoice.id),
    payments: payments.map((p) => ({
      id: p.id,
      method: p.method,
      amount: amount(p.amount),
      receivedOn: p.receivedOn,
      receipt: p.receiptId ? { id: p.receiptId, number: p.receiptNumber, pdf: p.receiptDocumentId ? receiptPdfPath(p.receiptId) : null } : null,
    })),
  };
}

function statementJson(statement: StoredStatement, lines?: StoredLine[]) {
  return {
    id: statement.id,
    format: statement.format,
    fileName: statement.fileName,
    sha256: statement.sha256,
    lines: statement.lineCount,
    pending: statement.pending,
    skippedDebits: statement.skippedDebits,
    uploadedBy: statement.uploadedByName,
    uploadedAt: statement.createdAt.toISOString(),
    ...(lines
      ? {
          entries: lines.map((l) => ({
            id: l.id,
            line: l.lineNo,
            bookedOn: l.bookedOn,
            amount: new Decimal(l.amount).toFixed(),
            currency: l.currency,
            remittance: l.remittance,
            bankTransactionId: l.bankTransactionId,
            payerName: l.payerName,
            reference: l.reference ? formatReference(l.reference) : null,
            invoiceId: l.invoiceId,
            proposal: l.proposal,
            status: l.status,
            note: l.note,
          })),
        }
      : {}),
  };
}

function refundJson(r: StoredRefund) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    invoiceId: r.invoiceId,
    reference: formatReference(r.reference),
    amount: asMoney(r.amount, r.decimals),
    currency: r.currency,
    reason: r.reason,
    state: r.state,
    requestedBy: r.requestedByName,
    requestedAt: r.requestedAt.toISOString(),
    decidedBy: r.decidedByName,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    note: r.decisionNote,
  };
}

const reports = new WeakMap<FastifyRequest, ProviderReport>();

/** The payments API (JSON), the provider's callback, receipts, and the payment pages. */
export function paymentsRoutes(deps: RoutesDeps) {
  const { db } = deps;
  const provider = configuredProvider(deps.mobileMoney);
  return async (app: App) => {
    app.post(MOBILE_MONEY_CALLBACK_PATH, {
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 16 * 1024,
      schema: {
        summary: "The mobile-money provider's report on a payment, signed with the shared secret (HMAC-SHA256 of `<timestamp>.<body>`, headers x-daftari-timestamp and x-daftari-signature)",
        tags: ['payments'],
        body: PaymentResource,
        response: { 200: Type.Object({ status: Type.Union([Type.Literal('applied'), Type.Literal('unchanged')]) }), ...Problems },
      },
      preParsing: keepRawBody,
      // Before the body is validated: whoever cannot sign learns nothing about what we expect.
      preValidation: async (request) => {
        if (!provider) throw Problem.unauthorized('No mobile-money provider is configured here, so no callback can be verified.');
        try {
          reports.set(request, provider.readCallback(request.headers, rawBodyOf(request)));
        } catch (err) {
          if (!(err instanceof CallbackRefused)) throw err;
          request.log.warn({ why: err.why, ip: request.ip }, 'mobile-money callback refused');
          throw err.why === 'malformed' ? Problem.badRequest(`The callback was refused: ${err.message}.`) : Problem.unauthorized(`The callback was refused: ${err.message}.`);
        }
      },
      handler: async (request) => {
        const report = reports.get(request)!;
        try {
          const status = await applyProviderReport(deps, report, 'callback', request.id);
          if (status === 'unchanged') request.log.info({ providerPaymentId: report.providerPaymentId, reported: report.status }, 'mobile-money callback changed nothing (repeated or out of order)');
          return { status };
        } catch (err) {
          if (err instanceof Problem) request.log.warn({ providerPaymentId: report.providerPaymentId, reported: report.status, detail: err.detail }, 'mobile-money callback refused');
          throw err;
        }
      },
    });

    app.get('/api/payments/invoices', {
      config: { access: RULES.staff },
      schema: {
        summary: 'Invoices of the agencies one handles payments for, newest first (keyset pagination)',
        tags: ['payments'],
        querystring: Type.Object(
          {
            state: Type.Optional(InvoiceState),
            agency: Type.Optional(AgencyCode),
            before: Type.Optional(Type.String({ format: 'date-time' })),
            beforeId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Json('{ invoices, next }'), ...Problems },
      },
      handler: async (request) => {
        const { state, agency, before, beforeId, limit = 50 } = request.query;
        let agencyIds = agencyFilter(request, PAYMENT_STAFF);
        if (agency) agencyIds = [(await chosenAgency(db, requirePrincipal(request), PAYMENT_STAFF, agency, '/query/agency')).id];
        const cursor = before && beforeId ? { createdAt: new Date(before), id: beforeId } : undefined;
        const invoices = await listInvoices(db, { agencyIds, state, before: cursor, limit });
        const last = invoices.at(-1);
        return {
          invoices: await Promise.all(invoices.map((i) => invoiceJson(db, i))),
          next: invoices.length === limit && last ? { before: last.createdAt.toISOString(), beforeId: last.id } : null,
        };
      },
    });

    app.get('/api/payments/invoices/:id', {
      config: { access: RULES.payerOrStaff },
      schema: { summary: 'An invoice with its payments and receipts: for its payer, and staff handling the agency’s payments', tags: ['payments'], params: IdParams, response: { 200: Json('An invoice'), ...Problems } },
      handler: async (request) => invoiceJson(db, await invoiceForViewer(db, requirePrincipal(request), request.params.id)),
    });

    app.get('/api/payments/invoices/by-reference/:reference', {
      config: { access: RULES.payerOrStaff },
      schema: {
        summary: 'The invoice a payment reference names (spaces and case do not matter; the check digits must hold)',
        tags: ['payments'],
        params: Type.Object({ reference: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        response: { 200: Json('An invoice'), ...Problems },
      },
      handler: async (request) => {
        const reference = parseReference(request.params.reference);
        if (!reference) throw Problem.invalidField('/params/reference', 'is not a payment reference: a digit is wrong or missing', 'reference');
        const found = await findInvoiceByReference(db, reference);
        if (!found) throw Problem.notFound('No invoice has this reference.');
        return invoiceJson(db, await invoiceForViewer(db, requirePrincipal(request), found.id));
      },
    });

    app.post('/api/payments/invoices/:id/mobile-money', {
      config: { access: RULES.citizens },
      schema: {
        summary: 'Pay what is left of one’s invoice by mobile money: the payer then confirms at confirmUrl (the provider’s page)',
        tags: ['payments'],
        params: IdParams,
        body: Type.Object({ phone: Type.String({ maxLength: 30 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ requestId: Uuid, confirmUrl: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        if (!provider) throw Problem.notFound('Mobile money is not offered here.');
        const started = await startMobileMoneyPayment(deps, provider, { invoiceId: request.params.id, phone: request.body.phone, principal: requirePrincipal(request), requestId: request.id });
        return reply.code(201).send({ requestId: started.mobileRequestId, confirmUrl: started.confirmUrl });
      },
    });

    app.post('/api/payments/statements', {
      config: { access: RULES.financeOfficers },
      schema: {
        summary: 'Import a bank statement (multipart: "file", CSV or camt.053 XML; "agency" code when one acts for several): stored with a proposed match per line, or refused line by line with nothing changed',
        tags: ['payments'],
        consumes: ['multipart/form-data'],
        response: { 201: Json('{ id, counts }'), ...Problems },
      },
      handler: async (request, reply) => {
        const upload = await readStatementUpload(request);
        const principal = requirePrincipal(request);
        const agency = await chosenAgency(db, principal, [FINANCE_OFFICER], upload.agency, '/body/agency');
        try {
          const imported = await importStatement(deps, { agencyId: agency.id, fileName: upload.fileName, bytes: upload.bytes, principal, requestId: request.id });
          return reply.code(201).send({ id: imported.statementId, counts: imported.counts });
        } catch (err) {
          throw err instanceof StatementRefused ? statementProblem(err) : err;
        }
      },
    });

    app.get('/api/payments/statements', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'Bank statements imported by the agencies one reads the finances of, newest first', tags: ['payments'], response: { 200: Type.Array(Json('A statement')), ...Problems } },
      handler: async (request) => (await listStatements(db, agencyFilter(request, FINANCE_READERS), 100)).map((s) => statementJson(s)),
    });

    const readableStatement = async (request: FastifyRequest, id: string) => {
      const statement = await findStatement(db, id);
      if (!statement) throw Problem.notFound('There is no bank statement with this id.');
      requireAgencyRole(requirePrincipal(request), FINANCE_READERS, statement.agencyId, 'Reading a bank statement');
      return statement;
    };

    app.get('/api/payments/statements/:id', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'A bank statement with each line’s proposed match and what became of it', tags: ['payments'], params: IdParams, response: { 200: Json('A statement and its lines'), ...Problems } },
      handler: async (request) => {
        const statement = await readableStatement(request, request.params.id);
        return statementJson(statement, await linesOf(db, statement.id));
      },
    });

    app.post('/api/payments/statements/:id/accept', {
      config: { access: RULES.financeOfficers },
      schema: { summary: 'Accept the proposed matches: exact and partial payments are recorded, receipts issued, settled invoices announced', tags: ['payments'], params: IdParams, response: { 200: Type.Object({ recorded: Type.Integer(), toReview: Type.Integer() }), ...Problems } },
      handler: async (request) => acceptProposals(deps, { statementId: request.params.id, principal: requirePrincipal(request), requestId: request.id }),
    });

    app.post('/api/payments/statements/:id/lines/:lineId/resolution', {
      config: { access: RULES.financeOfficers },
      schema: {
        summary: 'Resolve a statement line: pay it to the invoice a reference names, or set it aside as a refund due or not ours (with a note)',
        tags: ['payments'],
        params: Type.Object({ id: Uuid, lineId: Uuid }, { additionalProperties: false }),
        body: Type.Object(
          {
            action: Type.Union([Type.Literal('assign'), Type.Literal('refund-due'), Type.Literal('not-ours')]),
            reference: Type.Optional(Type.String({ maxLength: 40 })),
            note: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Json('The line'), ...Problems },
      },
      handler: async (request) => {
        const { action, reference = '', note } = request.body;
        const resolution = action === 'assign' ? { action, reference, note } : { action, note: note ?? '' };
        const line = await resolveStatementLine(deps, { statementId: request.params.id, lineId: request.params.lineId, resolution, principal: requirePrincipal(request), requestId: request.id });
        return statementJson((await findStatement(db, line.statementId))!, [line]).entries![0];
      },
    });

    app.post('/api/payments/cash', {
      config: { access: RULES.cashiers },
      schema: {
        summary: 'Record cash taken at the counter for an invoice: what is due, or more (change is given); returns the receipt number',
        tags: ['payments'],
        body: Type.Object({ invoiceId: Uuid, tendered: Amount }, { additionalProperties: false }),
        response: { 201: Json('{ paymentId, receiptId, receiptNumber, amount, change, currency, state }'), ...Problems },
      },
      handler: async (request, reply) => {
        const recorded = await recordCash(deps, { invoiceId: request.body.invoiceId, tendered: request.body.tendered, principal: requirePrincipal(request), requestId: request.id });
        return reply.code(201).send(recorded);
      },
    });

    app.post('/api/payments/cash/close-outs', {
      config: { access: RULES.cashiers },
      schema: {
        summary: 'Close the day’s cash: the counted cash per currency against what was recorded; final, and no more cash that day',
        tags: ['payments'],
        body: Type.Object(
          {
            agency: Type.Optional(AgencyCode),
            counted: Type.Array(Type.Object({ currency: Type.String({ pattern: '^[A-Z]{3}$' }), amount: Amount }, { additionalProperties: false }), { maxItems: 10 }),
            note: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Json('The close-out'), ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const agency = await chosenAgency(db, principal, [CASHIER], request.body.agency, '/body/agency');
        const closeout = await closeCashDay(deps, { agencyId: agency.id, counted: request.body.counted, note: request.body.note, principal, requestId: request.id });
        return reply.code(201).send({ ...closeout, agency: agency.code, closedAt: closeout.closedAt.toISOString() });
      },
    });

    app.get('/api/payments/refunds', {
      config: { access: RULES.financeReaders },
      schema: {
        summary: 'Refunds asked for in the agencies one reads the finances of: those to decide first',
        tags: ['payments'],
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('requested'), Type.Literal('approved'), Type.Literal('refused')])) }, { additionalProperties: false }),
        response: { 200: Type.Array(Json('A refund')), ...Problems },
      },
      handler: async (request) => (await listRefunds(db, { agencyIds: agencyFilter(request, FINANCE_READERS), state: request.query.state, limit: 200 })).map(refundJson),
    });

    app.post('/api/payments/refunds', {
      config: { access: RULES.financeOfficers },
      schema: {
        summary: 'Ask to refund all or part of a payment, with the reason; another finance officer or the agency head decides',
        tags: ['payments'],
        body: Type.Object({ paymentId: Uuid, amount: Amount, reason: Type.String({ maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 201: Json('The refund'), ...Problems },
      },
      handler: async (request, reply) => {
        const refund = await requestRefund(deps, { ...request.body, principal: requirePrincipal(request), requestId: request.id });
        return reply.code(201).send(refundJson(refund));
      },
    });

    app.post('/api/payments/refunds/:id/decision', {
      config: { access: RULES.refundDeciders },
      schema: {
        summary: 'Approve or refuse a refund someone else asked for (four eyes)',
        tags: ['payments'],
        params: IdParams,
        body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('refuse')]), note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
        response: { 200: Json('The refund'), ...Problems },
      },
      handler: async (request) => refundJson(await decideRefund(deps, { refundId: request.params.id, ...request.body, principal: requirePrincipal(request), requestId: request.id })),
    });

    const ReportQuery = Type.Object({ agency: Type.Optional(AgencyCode), day: Type.Optional(Day) }, { additionalProperties: false });
    const reportFor = async (request: FastifyRequest, query: { agency?: string; day?: string }) => {
      const agency = await chosenAgency(db, requirePrincipal(request), FINANCE_READERS, query.agency, '/query/agency');
      const day = dayOf(query.day, '/query/day');
      return { agency, report: await dailyReport(db, agency.id, day) };
    };

    app.get('/api/payments/reports/daily', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'An agency’s day: payments by method, refunds, net, and the bank statements against the transfers recorded', tags: ['payments'], querystring: ReportQuery, response: { 200: Json('The daily report'), ...Problems } },
      handler: async (request) => {
        const { agency, report } = await reportFor(request, request.query);
        return { ...report, agency: agency.code };
      },
    });

    app.get('/api/payments/reports/daily.csv', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'The daily report as CSV, one figure a row', tags: ['payments'], querystring: ReportQuery },
      handler: async (request, reply) => {
        const { agency, report } = await reportFor(request, request.query);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="payments-${agency.code}-${report.day}.csv"`)
          .send(stringify(reportRows(report, agency.code)));
      },
    });

    app.get('/payments/receipts/:id.pdf', {
      config: { access: RULES.payerOrStaff },
      schema: { summary: 'A signed receipt (PDF): for the payer, and staff handling the agency’s payments', tags: ['payments'], params: IdParams },
      handler: async (request, reply) => {
        const receipt = await findReceipt(db, request.params.id);
        if (!receipt) throw Problem.notFound('There is no receipt with this id among yours.');
        const payment = (await findPayment(db, receipt.paymentId))!;
        await invoiceForViewer(db, requirePrincipal(request), payment.invoiceId);
        if (!receipt.documentId) throw Problem.conflict('The receipt is being signed; try again in a minute.');
        const pdf = await deps.signer.pdf(db, receipt.documentId);
        if (!pdf) throw Problem.notFound('The signed receipt cannot be found.');
        return reply.type('application/pdf').header('content-disposition', `inline; filename="${receipt.number}.pdf"`).send(pdf.bytes);
      },
    });

    const pageDeps = { ...deps, provider };
    await app.register(paymentPages(pageDeps));
    await app.register(paymentStaffPages(pageDeps));
    await app.register(paymentStatementPages(pageDeps));
  };
}

