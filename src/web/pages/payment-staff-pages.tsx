import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { agenciesActedFor, agencyIndex, agencyName, chosenAgency } from '../../blocks/payments/agencies.ts';
import { closeCashDay, recordCash } from '../../blocks/payments/counter-cash.ts';
import { dailyReport, type CurrencyReport, type Tally } from '../../blocks/payments/daily-report.ts';
import { utcDay } from '../../blocks/payments/days.ts';
import { agencyFilter, AgencyCode, Day, dayOf, InvoiceState, mayDecideRefunds, RULES, type PageDeps } from '../../blocks/payments/http.ts';
import { invoiceForViewer, outstanding } from '../../blocks/payments/invoices.ts';
import { CASHIER, FINANCE_OFFICER, FINANCE_READERS, INVOICE_STATES, PAYMENT_METHODS, PAYMENT_STAFF } from '../../blocks/payments/model.ts';
import { asMoney, currencyDecimals, Decimal } from '../../blocks/payments/money.ts';
import { parseReference } from '../../blocks/payments/reference.ts';
import { decideRefund, requestRefund } from '../../blocks/payments/refunds.ts';
import {
  cashEntries,
  cashTaken,
  closeoutsOf,
  findInvoice,
  findInvoiceByReference,
  findPayment,
  listInvoices,
  listRefunds,
  paymentsOfInvoice,
  type CashEntry,
  type StoredCloseout,
  type StoredInvoice,
  type StoredPayment,
  type StoredRefund,
} from '../../blocks/payments/store.ts';
import type { Agency } from '../../blocks/identity/index.ts';
import { hasAnyRole, hasRole, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import { CsrfField, ErrorSummary, Field, FormText, TextArea, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';
import { InvoiceFacts, money, paymentErrors, ReceiptsTable, Reference, StateTag } from './payment-pages.tsx';

const PAGE_SIZE = 25;
const Lang = FormText(5);

/** Links to the payment pages the reader's roles open. */
export function PaymentsNav({ ctx }: { ctx: PageContext }) {
  const { t, principal } = ctx;
  const links: [string, string, boolean][] = [
    ['/payments', t('payments.nav.invoices'), true],
    ['/payments/cash', t('payments.nav.cash'), hasAnyRole(principal, [CASHIER])],
    ['/payments/statements', t('payments.nav.statements'), hasAnyRole(principal, FINANCE_READERS)],
    ['/payments/refunds', t('payments.nav.refunds'), hasAnyRole(principal, FINANCE_READERS)],
    ['/payments/reports', t('payments.nav.reports'), hasAnyRole(principal, FINANCE_READERS)],
  ];
  return (
    <nav aria-label={t('payments.nav.label')}>
      <ul class="payments-nav">
        {links.filter(([, , shown]) => shown).map(([href, label]) => (
          <li><a href={href} aria-current={ctx.path === href ? 'page' : undefined}>{label}</a></li>
        ))}
      </ul>
    </nav>
  );
}

function AgencySelect({ ctx, agencies, value, id = 'agency' }: { ctx: PageContext; agencies: Agency[]; value?: string; id?: string }) {
  if (agencies.length < 2) return agencies[0] ? <input type="hidden" name="agency" value={agencies[0].code} /> : null;
  return (
    <div>
      <label for={id}>{ctx.t('payments.invoice.agency')}</label>
      <select id={id} name="agency">
        {agencies.map((a) => <option value={a.code} selected={a.code === value}>{agencyName(a, ctx.locale)}</option>)}
      </select>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Invoices

function InvoicesPage({ ctx, invoices, agencies, filters, olderHref }: { ctx: PageContext; invoices: StoredInvoice[]; agencies: Agency[]; filters: { state?: string; agency?: string }; olderHref: string | null }) {
  const { t } = ctx;
  const byId = new Map(agencies.map((a) => [a.id, a]));
  return (
    <>
      <h1>{t('payments.invoices.title')}</h1>
      <PaymentsNav ctx={ctx} />
      <form method="get" action="/payments" class="filters">
        <div>
          <label for="state">{t('payments.invoice.state')}</label>
          <select id="state" name="state">
            <option value="">{t('payments.invoices.anyState')}</option>
            {INVOICE_STATES.map((s) => <option value={s} selected={s === filters.state}>{t(`payments.states.${s}`)}</option>)}
          </select>
        </div>
        {agencies.length > 1 && (
          <div>
            <label for="agency">{t('payments.invoice.agency')}</label>
            <select id="agency" name="agency">
              <option value="">{t('payments.invoices.anyAgency')}</option>
              {agencies.map((a) => <option value={a.code} selected={a.code === filters.agency}>{agencyName(a, ctx.locale)}</option>)}
            </select>
          </div>
        )}
        <div><button type="submit">{t('payments.invoices.filter')}</button></div>
      </form>
      <TableRegion label={t('payments.invoices.caption')}>
        <table>
          <caption>{t('payments.invoices.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('payments.invoice.reference')}</th>
              <th scope="col">{t('payments.invoice.payer')}</th>
              <th scope="col">{t('payments.invoice.agency')}</th>
              <th scope="col" class="amount">{t('payments.invoice.amount')}</th>
              <th scope="col" class="amount">{t('payments.invoice.paid')}</th>
              <th scope="col">{t('payments.invoice.state')}</th>
              <th scope="col">{t('payments.invoice.created')}</th>
            </tr>
          </thead>
          <tbody>
            {invoices.map((i) => (
              <tr>
                <td><a href={`/payments/invoices/${i.id}`}><Reference reference={i.reference} /></a></td>
                <td>{i.payerName}</td>
                <td>{agencyName(byId.get(i.agencyId), ctx.locale)}</td>
                <td class="amount">{money(ctx, i.amount, i.currency, i.decimals)}</td>
                <td class="amount">{money(ctx, i.paidAmount, i.currency, i.decimals)}</td>
                <td><StateTag ctx={ctx} state={i.state} /></td>
                <td>{formatDateTime(ctx.locale, i.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {invoices.length === 0 && <p>{t('payments.invoices.none')}</p>}
      {olderHref && <p class="pager"><a href={olderHref}>{t('payments.invoices.older')}</a></p>}
    </>
  );
}

function RefundsTable({ ctx, refunds, decide }: { ctx: PageContext; refunds: StoredRefund[]; decide: (r: StoredRefund) => boolean }) {
  const { t } = ctx;
  return (
    <TableRegion label={t('payments.refunds.caption')}>
      <table>
        <caption>{t('payments.refunds.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('payments.invoice.reference')}</th>
            <th scope="col" class="amount">{t('payments.refunds.amount')}</th>
            <th scope="col">{t('payments.refunds.reason')}</th>
            <th scope="col">{t('payments.refunds.asked')}</th>
            <th scope="col">{t('payments.refunds.state')}</th>
          </tr>
        </thead>
        <tbody>
          {refunds.map((r) => (
            <tr>
              <td><a href={`/payments/invoices/${r.invoiceId}`}><Reference reference={r.reference} /></a></td>
              <td class="amount">{money(ctx, r.amount, r.currency, r.decimals)}</td>
              <td>{r.reason}</td>
              <td>{`${r.requestedByName}, ${formatDateTime(ctx.locale, r.requestedAt)}`}</td>
              <td>
                {t(`payments.refunds.states.${r.state}`)}
                {r.decidedByName && <span class="hint">{`${r.decidedByName}${r.decisionNote ? `: ${r.decisionNote}` : ''}`}</span>}
                {r.state === 'requested' && decide(r) && (
                  <form class="stack" method="post" action={`/payments/refunds/${r.id}/decision`}>
                    <CsrfField ctx={ctx} />
                    <Field name="note" id={`note-${r.id}`} label={t('payments.refunds.note')} maxLength={1000} />
                    <div>
                      <button type="submit" name="decision" value="approve">{t('payments.refunds.approve')}</button>{' '}
                      <button type="submit" name="decision" value="refuse" class="secondary">{t('payments.refunds.refuse')}</button>
                    </div>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

function StaffInvoicePage({ ctx, invoice, agency, payments, refunds, canRefund, canDecide, errors = {}, values = {} }: { ctx: PageContext; invoice: StoredInvoice; agency: string; payments: StoredPayment[]; refunds: StoredRefund[]; canRefund: boolean; canDecide: (r: StoredRefund) => boolean; errors?: FieldErrors; values?: Record<string, string> }) {
  const { t } = ctx;
  const refundable = payments.filter((p) => new Decimal(p.amount).gt(p.refundedOrAsked));
  return (
    <>
      <h1>{t('payments.invoice.title')}</h1>
      <PaymentsNav ctx={ctx} />
      <ErrorSummary ctx={ctx} errors={errors} labels={{ paymentId: t('payments.refunds.payment'), amount: t('payments.refunds.amount'), reason: t('payments.refunds.reason') }} />
      <InvoiceFacts ctx={ctx} invoice={invoice} agency={agency} />
      <p><a href={`/pay/${invoice.id}`}>{t('payments.invoice.payerView')}</a></p>
      {payments.length > 0 && <ReceiptsTable ctx={ctx} invoice={invoice} payments={payments} />}
      {refunds.length > 0 && <RefundsTable ctx={ctx} refunds={refunds} decide={canDecide} />}
      {canRefund && refundable.length > 0 && (
        <section aria-labelledby="refund-title">
          <h2 id="refund-title">{t('payments.refunds.ask')}</h2>
          <form class="stack" method="post" action="/payments/refunds">
            <CsrfField ctx={ctx} />
            <div>
              <label for="paymentId">{t('payments.refunds.payment')}</label>
              <select id="paymentId" name="paymentId">
                {refundable.map((p) => (
                  <option value={p.id} selected={p.id === values.paymentId}>{`${p.receiptNumber ?? ''} · ${t(`payments.methods.${p.method}`)} · ${money(ctx, new Decimal(p.amount).minus(p.refundedOrAsked).toFixed(), p.currency, invoice.decimals)}`}</option>
                ))}
              </select>
            </div>
            <Field name="amount" label={t('payments.refunds.amount')} inputMode="decimal" value={values.amount} error={errors.amount} maxLength={20} required />
            <TextArea name="reason" label={t('payments.refunds.reason')} value={values.reason} error={errors.reason} maxLength={1000} required />
            <div><button type="submit">{t('payments.refunds.submit')}</button></div>
          </form>
        </section>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Cash desk

interface DeskView {
  found?: StoredInvoice;
  agencies: Agency[];
  entries: CashEntry[];
  closeouts: StoredCloseout[];
  /** Cash taken today per agency and currency, for the close-out forms. */
  taken: Map<string, { currency: string; total: string }[]>;
  recorded?: { receiptNumber: string; change: string; amount: string; currency: string; decimals: number };
}

function CloseoutTable({ ctx, closeout }: { ctx: PageContext; closeout: StoredCloseout }) {
  const { t } = ctx;
  const amount = (value: string, currency: string) => money(ctx, value, currency, currencyDecimals(currency) ?? 2);
  return (
    <TableRegion label={t('payments.cash.closedCaption', { when: formatDateTime(ctx.locale, closeout.closedAt) })}>
      <table>
        <caption>{t('payments.cash.closedCaption', { when: formatDateTime(ctx.locale, closeout.closedAt) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('payments.cash.currency')}</th>
            <th scope="col" class="amount">{t('payments.cash.expected')}</th>
            <th scope="col" class="amount">{t('payments.cash.counted')}</th>
            <th scope="col" class="amount">{t('payments.cash.difference')}</th>
          </tr>
        </thead>
        <tbody>
          {closeout.totals.map((total) => (
            <tr>
              <th scope="row">{total.currency}</th>
              <td class="amount">{amount(total.expected, total.currency)}</td>
              <td class="amount">{amount(total.counted, total.currency)}</td>
              <td class={`amount ${new Decimal(total.difference).isZero() ? '' : 'bad'}`}>{amount(total.difference, total.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

function CashDeskPage({ ctx, view, reference, errors = {}, message, tendered }: { ctx: PageContext; view: DeskView; reference?: string; errors?: FieldErrors; message?: string; tendered?: string }) {
  const { t } = ctx;
  const found = view.found;
  const due = found ? outstanding(found) : null;
  return (
    <>
      <h1>{t('payments.cash.title')}</h1>
      <PaymentsNav ctx={ctx} />
      {view.recorded && (
        <div class="panel" role="status">
          <p>{t('payments.cash.recorded', { number: view.recorded.receiptNumber, amount: money(ctx, view.recorded.amount, view.recorded.currency, view.recorded.decimals) })}</p>
          <p class="cash-change">{t('payments.cash.change', { amount: money(ctx, view.recorded.change, view.recorded.currency, view.recorded.decimals) })}</p>
        </div>
      )}
      <ErrorSummary ctx={ctx} message={message} errors={errors} labels={{ reference: t('payments.invoice.reference'), tendered: t('payments.cash.tendered'), counted: t('payments.cash.counted') }} />
      <form class="stack" method="get" action="/payments/cash" role="search">
        <Field name="reference" label={t('payments.invoice.reference')} hint={t('payments.cash.referenceHint')} value={reference} error={errors.reference} maxLength={40} autocomplete="off" />
        <div><button type="submit">{t('payments.cash.find')}</button></div>
      </form>
      {found && due && (
        <section aria-labelledby="found-title">
          <h2 id="found-title">{t('payments.cash.found', { payer: found.payerName })}</h2>
          <InvoiceFacts ctx={ctx} invoice={found} agency={agencyName(view.agencies.find((a) => a.id === found.agencyId), ctx.locale)} />
          {due.gt(0) ? (
            <form class="stack" method="post" action="/payments/cash">
              <CsrfField ctx={ctx} />
              <input type="hidden" name="invoiceId" value={found.id} />
              <Field name="tendered" label={t('payments.cash.tendered')} hint={t('payments.cash.tenderedHint', { amount: money(ctx, due.toFixed(), found.currency, found.decimals) })} inputMode="decimal" value={tendered ?? asMoney(due, found.decimals)} error={errors.tendered} maxLength={20} required />
              <div><button type="submit">{t('payments.cash.record')}</button></div>
            </form>
          ) : (
            <p>{t('payments.pay.nothingDue')}</p>
          )}
        </section>
      )}
      <h2>{t('payments.cash.today')}</h2>
      {view.entries.length === 0 ? (
        <p>{t('payments.cash.noEntries')}</p>
      ) : (
        <TableRegion label={t('payments.cash.today')}>
          <table>
            <caption>{t('payments.cash.today')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('payments.receipt.number')}</th>
                <th scope="col">{t('payments.invoice.reference')}</th>
                <th scope="col">{t('payments.invoice.payer')}</th>
                <th scope="col" class="amount">{t('payments.receipt.amount')}</th>
                <th scope="col" class="amount">{t('payments.cash.tendered')}</th>
                <th scope="col" class="amount">{t('payments.cash.changeGiven')}</th>
              </tr>
            </thead>
            <tbody>
              {view.entries.map((e) => (
                <tr>
                  <td>{e.receiptNumber}</td>
                  <td><Reference reference={e.reference} /></td>
                  <td>{e.payerName}</td>
                  <td class="amount">{money(ctx, e.amount, e.currency, e.decimals)}</td>
                  <td class="amount">{money(ctx, e.tendered, e.currency, e.decimals)}</td>
                  <td class="amount">{money(ctx, e.changeGiven, e.currency, e.decimals)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <h2>{t('payments.cash.closeTitle')}</h2>
      {view.agencies.map((agency) => {
        const closeout = view.closeouts.find((c) => c.agencyId === agency.id);
        const currencies = view.taken.get(agency.id) ?? [];
        return (
          <section aria-label={agencyName(agency, ctx.locale)}>
            {view.agencies.length > 1 && <h3>{agencyName(agency, ctx.locale)}</h3>}
            {closeout ? (
              <CloseoutTable ctx={ctx} closeout={closeout} />
            ) : (
              <form class="stack" method="post" action="/payments/cash/close">
                <CsrfField ctx={ctx} />
                <input type="hidden" name="agency" value={agency.code} />
                <p>{currencies.length > 0 ? t('payments.cash.closeHelp') : t('payments.cash.closeEmpty')}</p>
                {currencies.map(({ currency, total }, i) => (
                  <>
                    <input type="hidden" name="currency" value={currency} />
                    <Field
                      name="counted"
                      id={i === 0 ? 'counted' : `counted-${i}`}
                      label={t('payments.cash.countedIn', { currency })}
                      hint={t('payments.cash.expectedHint', { amount: money(ctx, total, currency, currencyDecimals(currency) ?? 2) })}
                      inputMode="decimal"
                      error={i === 0 ? errors.counted : undefined}
                      maxLength={20}
                      required
                    />
                  </>
                ))}
                <TextArea name="note" id={`note-${agency.code}`} label={t('payments.cash.note')} maxLength={1000} />
                <div><button type="submit">{t('payments.cash.close')}</button></div>
              </form>
            )}
          </section>
        );
      })}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Reports

function TallyCells({ ctx, tally, report }: { ctx: PageContext; tally: Tally; report: CurrencyReport }) {
  return (
    <>
      <td class="amount">{tally.count}</td>
      <td class="amount">{money(ctx, tally.total, report.currency, report.decimals)}</td>
    </>
  );
}

function ReportPage({ ctx, agencies, agency, day, reports }: { ctx: PageContext; agencies: Agency[]; agency: Agency; day: string; reports: CurrencyReport[] }) {
  const { t } = ctx;
  const csv = `/api/payments/reports/daily.csv?${new URLSearchParams({ agency: agency.code, day })}`;
  return (
    <>
      <h1>{t('payments.reports.title')}</h1>
      <PaymentsNav ctx={ctx} />
      <form method="get" action="/payments/reports" class="filters">
        <AgencySelect ctx={ctx} agencies={agencies} value={agency.code} />
        <Field name="day" label={t('payments.reports.day')} type="date" value={day} required />
        <div><button type="submit">{t('payments.reports.show')}</button></div>
      </form>
      <p><a href={csv}>{t('payments.reports.csv')}</a></p>
      {reports.length === 0 && <p>{t('payments.reports.nothing')}</p>}
      {reports.map((r) => {
        const caption = t('payments.reports.caption', { agency: agencyName(agency, ctx.locale), day, currency: r.currency });
        const bankCaption = t('payments.reports.bankCaption', { currency: r.currency });
        return (
          <>
            <TableRegion label={caption}>
              <table>
                <caption>{caption}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('payments.reports.item')}</th>
                    <th scope="col" class="amount">{t('payments.reports.count')}</th>
                    <th scope="col" class="amount">{t('payments.reports.amount')}</th>
                  </tr>
                </thead>
                <tbody>
                  {PAYMENT_METHODS.map((m) => (
                    <tr>
                      <th scope="row">{t(`payments.methods.${m}`)}</th>
                      <TallyCells ctx={ctx} tally={r.received[m]} report={r} />
                    </tr>
                  ))}
                  <tr>
                    <th scope="row">{t('payments.reports.received')}</th>
                    <TallyCells ctx={ctx} tally={r.receivedTotal} report={r} />
                  </tr>
                  <tr>
                    <th scope="row">{t('payments.reports.refunds')}</th>
                    <TallyCells ctx={ctx} tally={r.refunds} report={r} />
                  </tr>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">{t('payments.reports.net')}</th>
                    <td />
                    <td class="amount">{money(ctx, r.net, r.currency, r.decimals)}</td>
                  </tr>
                </tfoot>
              </table>
            </TableRegion>
            <TableRegion label={bankCaption}>
              <table>
                <caption>{bankCaption}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('payments.reports.item')}</th>
                    <th scope="col" class="amount">{t('payments.reports.count')}</th>
                    <th scope="col" class="amount">{t('payments.reports.amount')}</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th scope="row">{t('payments.reports.statements')}</th>
                    <TallyCells ctx={ctx} tally={r.bank.statements} report={r} />
                  </tr>
                  <tr>
                    <th scope="row">{t('payments.reports.transfers')}</th>
                    <TallyCells ctx={ctx} tally={r.received['bank-transfer']} report={r} />
                  </tr>
                  <tr>
                    <th scope="row">{t('payments.lines.status.pending')}</th>
                    <TallyCells ctx={ctx} tally={r.bank.pending} report={r} />
                  </tr>
                  <tr>
                    <th scope="row">{t('payments.lines.status.refund-due')}</th>
                    <TallyCells ctx={ctx} tally={r.bank.refundDue} report={r} />
                  </tr>
                  <tr>
                    <th scope="row">{t('payments.lines.status.not-ours')}</th>
                    <TallyCells ctx={ctx} tally={r.bank.notOurs} report={r} />
                  </tr>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">{t('payments.reports.unexplained')}</th>
                    <td />
                    <td class={`amount ${new Decimal(r.bank.unexplained).isZero() ? 'ok' : 'bad'}`}>{money(ctx, r.bank.unexplained, r.currency, r.decimals)}</td>
                  </tr>
                </tfoot>
              </table>
            </TableRegion>
          </>
        );
      })}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The payment pages of agency staff: invoices, the cash desk, refunds and the daily report. */
export function paymentStaffPages(deps: PageDeps) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, deps.oidcLabel);

    app.get('/payments', {
      config: { access: RULES.staff },
      schema: {
        summary: 'Invoices of the agencies one handles payments for, by state',
        tags: ['web'],
        querystring: Type.Object(
          { state: Type.Optional(Type.Union([InvoiceState, Type.Literal('')])), agency: Type.Optional(Type.Union([AgencyCode, Type.Literal('')])), before: Type.Optional(Type.String({ format: 'date-time' })), beforeId: Type.Optional(Uuid), lang: Lang },
          { additionalProperties: false },
        ),
      },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const principal = requirePrincipal(request);
        const { state, agency, before, beforeId } = request.query;
        const agencies = await agenciesActedFor(db, principal, PAYMENT_STAFF);
        const chosen = agency ? agencies.find((a) => a.code === agency) : undefined;
        if (agency && !chosen) throw Problem.forbidden('You do not handle the payments of this agency.');
        const invoices = await listInvoices(db, { agencyIds: chosen ? [chosen.id] : agencyFilter(request, PAYMENT_STAFF), state: state || undefined, before: before && beforeId ? { createdAt: new Date(before), id: beforeId } : undefined, limit: PAGE_SIZE });
        const last = invoices.at(-1);
        const older = new URLSearchParams(Object.entries({ state, agency }).filter((e): e is [string, string] => Boolean(e[1])));
        if (last) older.set('before', last.createdAt.toISOString());
        if (last) older.set('beforeId', last.id);
        const olderHref = invoices.length === PAGE_SIZE ? `/payments?${older}` : null;
        return sendPage(reply, ctx, { title: ctx.t('payments.invoices.title'), body: <InvoicesPage ctx={ctx} invoices={invoices} agencies={agencies} filters={{ state, agency }} olderHref={olderHref} /> });
      },
    });

    const renderInvoice = async (request: FastifyRequest, reply: FastifyReply, id: string, refused?: { errors: FieldErrors; values: Record<string, string> }, status = 200) => {
      const principal = requirePrincipal(request);
      const invoice = await invoiceForViewer(db, principal, id);
      if (!hasAnyRole(principal, PAYMENT_STAFF, invoice.agencyId)) throw Problem.notFound('There is no invoice with this id among those you handle.');
      const ctx = ctxOf(request, reply);
      const [payments, refunds, agencies] = await Promise.all([paymentsOfInvoice(db, invoice.id), listRefunds(db, { agencyIds: [invoice.agencyId], invoiceId: invoice.id, limit: 100 }), agencyIndex(db)]);
      const canDecide = (r: StoredRefund) => r.requestedById !== principal.id && mayDecideRefunds(request, r.agencyId);
      const body = <StaffInvoicePage ctx={ctx} invoice={invoice} agency={agencyName(agencies.get(invoice.agencyId), ctx.locale)} payments={payments} refunds={refunds} canRefund={hasRole(principal, FINANCE_OFFICER, invoice.agencyId)} canDecide={canDecide} {...refused} />;
      return sendPage(reply, ctx, { title: ctx.t('payments.invoice.title'), body }, status);
    };

    app.get('/payments/invoices/:id', {
      config: { access: RULES.staff },
      schema: { summary: 'An invoice for staff: payments, receipts, refunds, and asking for a refund', tags: ['web'], params: Type.Object({ id: Uuid }, { additionalProperties: false }) },
      handler: async (request, reply) => renderInvoice(request, reply, request.params.id),
    });

    app.post('/payments/refunds', {
      config: { access: RULES.financeOfficers },
      schema: { summary: 'Ask for a refund of a payment (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), paymentId: Uuid, amount: FormText(20), reason: FormText(1000) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { paymentId, amount = '', reason = '' } = request.body;
        try {
          const refund = await requestRefund(deps, { paymentId, amount, reason, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(`/payments/invoices/${refund.invoiceId}`, 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status !== 400) throw err;
          const payment = await findPayment(db, paymentId);
          if (!payment) throw err;
          return renderInvoice(request, reply, payment.invoiceId, { errors: paymentErrors(ctxOf(request, reply), err.errors), values: { paymentId, amount, reason } }, 400);
        }
      },
    });

    app.get('/payments/refunds', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'Refunds to decide, and those decided', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const principal = requirePrincipal(request);
        const refunds = await listRefunds(db, { agencyIds: agencyFilter(request, FINANCE_READERS), limit: 200 });
        const canDecide = (r: StoredRefund) => r.requestedById !== principal.id && mayDecideRefunds(request, r.agencyId);
        const body = (
          <>
            <h1>{ctx.t('payments.refunds.title')}</h1>
            <PaymentsNav ctx={ctx} />
            <p>{ctx.t('payments.refunds.lead')}</p>
            {refunds.length === 0 ? <p>{ctx.t('payments.refunds.none')}</p> : <RefundsTable ctx={ctx} refunds={refunds} decide={canDecide} />}
          </>
        );
        return sendPage(reply, ctx, { title: ctx.t('payments.refunds.title'), body });
      },
    });

    app.post('/payments/refunds/:id/decision', {
      config: { access: RULES.refundDeciders },
      schema: {
        summary: 'Approve or refuse a refund (form)',
        tags: ['web'],
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        body: Type.Object({ _csrf: FormText(200), decision: Type.Union([Type.Literal('approve'), Type.Literal('refuse')]), note: FormText(1000) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const refund = await decideRefund(deps, { refundId: request.params.id, decision: request.body.decision, note: request.body.note, principal: requirePrincipal(request), requestId: request.id });
        return reply.redirect(`/payments/invoices/${refund.invoiceId}`, 303);
      },
    });

    const renderDesk = async (request: FastifyRequest, reply: FastifyReply, shown: { reference?: string; found?: StoredInvoice; recorded?: DeskView['recorded']; errors?: FieldErrors; message?: string; tendered?: string }, status = 200) => {
      const ctx = ctxOf(request, reply);
      const principal = requirePrincipal(request);
      const day = utcDay();
      const agencies = await agenciesActedFor(db, principal, [CASHIER]);
      const [entries, closeouts] = await Promise.all([cashEntries(db, principal.id, day), closeoutsOf(db, principal.id, day)]);
      const withEntries = new Set(entries.map((e) => e.agencyId));
      // A cashier of a ministry reaches its departments too: a close-out form for each agency worked today, or their own.
      const desk = agencies.filter((a) => withEntries.has(a.id) || principal.roles.some((g) => g.role === CASHIER && g.agencyId === a.id));
      const taken = new Map(await Promise.all(desk.map(async (a) => [a.id, await cashTaken(db, a.id, principal.id, day)] as const)));
      const view: DeskView = { found: shown.found, agencies: desk, entries, closeouts, taken, recorded: shown.recorded };
      return sendPage(reply, ctx, { title: ctx.t('payments.cash.title'), body: <CashDeskPage ctx={ctx} view={view} reference={shown.reference} errors={shown.errors} message={shown.message} tendered={shown.tendered} /> }, status);
    };

    app.get('/payments/cash', {
      config: { access: RULES.cashiers },
      schema: {
        summary: 'The cash desk: find an invoice by reference, take cash, close the day',
        tags: ['web'],
        querystring: Type.Object({ reference: Type.Optional(Type.String({ maxLength: 40 })), recorded: Type.Optional(Uuid), lang: Lang }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const principal = requirePrincipal(request);
        const { reference: typed, recorded: recordedId } = request.query;
        let recorded: DeskView['recorded'];
        if (recordedId) {
          const payment = await findPayment(db, recordedId);
          const invoice = payment && payment.cashierId === principal.id ? await findInvoice(db, payment.invoiceId) : undefined;
          if (payment && invoice) recorded = { receiptNumber: payment.receiptNumber!, amount: payment.amount, change: payment.changeGiven!, currency: payment.currency, decimals: invoice.decimals };
        }
        if (!typed) return renderDesk(request, reply, { recorded });
        const reference = parseReference(typed);
        if (!reference) return renderDesk(request, reply, { reference: typed, errors: { reference: ctx.t('payments.errors.reference') } }, 400);
        const found = await findInvoiceByReference(db, reference);
        if (!found || !hasRole(principal, CASHIER, found.agencyId)) return renderDesk(request, reply, { reference: typed, errors: { reference: ctx.t('payments.errors.unknownReference') } }, 404);
        return renderDesk(request, reply, { reference: typed, found });
      },
    });

    app.post('/payments/cash', {
      config: { access: RULES.cashiers },
      schema: { summary: 'Take cash for an invoice (form): the receipt number and the change to give', tags: ['web'], body: Type.Object({ _csrf: FormText(200), invoiceId: Uuid, tendered: FormText(20) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const tendered = request.body.tendered ?? '';
        try {
          const recorded = await recordCash(deps, { invoiceId: request.body.invoiceId, tendered, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(`/payments/cash?recorded=${recorded.paymentId}`, 303);
        } catch (err) {
          if (!(err instanceof Problem) || ![400, 409].includes(err.status)) throw err;
          const ctx = ctxOf(request, reply);
          const found = await findInvoice(db, request.body.invoiceId);
          const message = err.status === 409 ? err.detail : undefined;
          return renderDesk(request, reply, { found, reference: found?.reference, tendered, errors: paymentErrors(ctx, err.errors), message }, err.status);
        }
      },
    });

    app.post('/payments/cash/close', {
      config: { access: RULES.cashiers },
      schema: {
        summary: 'Close the day’s cash (form): counted against expected, final',
        tags: ['web'],
        body: Type.Object(
          {
            _csrf: FormText(200),
            agency: AgencyCode,
            currency: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{3}$' }), Type.Array(Type.String({ pattern: '^[A-Z]{3}$' }), { maxItems: 10 })])),
            counted: Type.Union([FormText(20), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10 })]),
            note: FormText(1000),
          },
          { additionalProperties: false },
        ),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const currencies = request.body.currency === undefined ? [] : [request.body.currency].flat();
        const amounts = [request.body.counted ?? ''].flat();
        const counted = currencies.map((currency, i) => ({ currency, amount: amounts[i] ?? '' }));
        try {
          const agency = await chosenAgency(db, principal, [CASHIER], request.body.agency, '/body/agency');
          await closeCashDay(deps, { agencyId: agency.id, counted, note: request.body.note, principal, requestId: request.id });
          return reply.redirect('/payments/cash', 303);
        } catch (err) {
          if (!(err instanceof Problem) || ![400, 409].includes(err.status)) throw err;
          const ctx = ctxOf(request, reply);
          return renderDesk(request, reply, { errors: paymentErrors(ctx, err.errors, () => 'counted'), message: err.status === 409 ? err.detail : undefined }, err.status);
        }
      },
    });

    app.get('/payments/reports', {
      config: { access: RULES.financeReaders },
      schema: { summary: 'An agency’s payments of a day, and its bank statements against them', tags: ['web'], querystring: Type.Object({ agency: Type.Optional(AgencyCode), day: Type.Optional(Day), lang: Lang }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const principal = requirePrincipal(request);
        const agencies = await agenciesActedFor(db, principal, FINANCE_READERS);
        const agency = request.query.agency ? await chosenAgency(db, principal, FINANCE_READERS, request.query.agency, '/query/agency') : agencies.find((a) => principal.roles.some((g) => g.agencyId === a.id)) ?? agencies[0];
        if (!agency) throw Problem.forbidden('You read the finances of no agency.');
        const day = dayOf(request.query.day, '/query/day');
        const report = await dailyReport(db, agency.id, day);
        return sendPage(reply, ctx, { title: ctx.t('payments.reports.title'), body: <ReportPage ctx={ctx} agencies={agencies} agency={agency} day={day} reports={report.currencies} /> });
      },
    });
  };
}
