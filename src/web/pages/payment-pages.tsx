import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { agencyIndex, agencyName } from '../../blocks/payments/agencies.ts';
import { RULES, type PageDeps } from '../../blocks/payments/http.ts';
import { invoiceForViewer, isPayer, outstanding } from '../../blocks/payments/invoices.ts';
import { Decimal } from '../../blocks/payments/money.ts';
import { receiptPdfPath } from '../../blocks/payments/receipts.ts';
import { formatReference } from '../../blocks/payments/reference.ts';
import { startMobileMoneyPayment } from '../../blocks/payments/start-mobile-money.ts';
import { latestMobileRequest, paymentsOfInvoice, type MobileRequest, type StoredInvoice, type StoredPayment } from '../../blocks/payments/store.ts';
import { requirePrincipal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDate, formatMoney } from '../../platform/i18n/index.ts';
import { CsrfField, ErrorSummary, Field, FormText, lastSegment, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

/** Field errors of a refused payments request in the reader's language (`payments.errors.<code>`, else its English reason). */
export function paymentErrors(ctx: PageContext, errors: InvalidParam[] | undefined, idOf: (pointer: string) => string = lastSegment): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors ?? []) out[idOf(e.pointer)] ??= e.code ? ctx.t(`payments.errors.${e.code}`, { ...e.params, defaultValue: e.reason }) : e.reason;
  return out;
}

export const money = (ctx: PageContext, amount: string, currency: string, decimals: number) => formatMoney(ctx.locale, amount, currency, decimals);

export function StateTag({ ctx, state }: { ctx: PageContext; state: string }) {
  return <span class={`tag payment-state payment-state-${state}`}>{ctx.t(`payments.states.${state}`)}</span>;
}

/** The reference as printed, kept left to right and unbroken inside any sentence. */
export function Reference({ reference }: { reference: string }) {
  return <span class="tracking">{formatReference(reference)}</span>;
}

export function ReceiptsTable({ ctx, invoice, payments }: { ctx: PageContext; invoice: StoredInvoice; payments: StoredPayment[] }) {
  const { t } = ctx;
  return (
    <TableRegion label={t('payments.receipts.title')}>
      <table>
        <caption>{t('payments.receipts.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('payments.receipt.number')}</th>
            <th scope="col">{t('payments.receipt.date')}</th>
            <th scope="col">{t('payments.receipt.method')}</th>
            <th scope="col" class="amount">{t('payments.receipt.amount')}</th>
          </tr>
        </thead>
        <tbody>
          {payments.map((p) => (
            <tr>
              <td>
                {p.receiptId && p.receiptDocumentId ? (
                  <a href={receiptPdfPath(p.receiptId)}>
                    {p.receiptNumber} <span class="visually-hidden">{t('payments.receipts.pdf')}</span>
                  </a>
                ) : (
                  <>
                    {p.receiptNumber} <span class="muted">{t('payments.receipts.signing')}</span>
                  </>
                )}
              </td>
              <td>{formatDate(ctx.locale, p.receivedAt)}</td>
              <td>{t(`payments.methods.${p.method}`)}</td>
              <td class="amount">{money(ctx, p.amount, p.currency, invoice.decimals)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/** Who is paid, how much, for what, and where it stands: the head of every invoice page. */
export function InvoiceFacts({ ctx, invoice, agency }: { ctx: PageContext; invoice: StoredInvoice; agency: string }) {
  const { t } = ctx;
  const amount = (value: string) => money(ctx, value, invoice.currency, invoice.decimals);
  return (
    <>
      <dl class="facts">
        <dt>{t('payments.invoice.state')}</dt>
        <dd><StateTag ctx={ctx} state={invoice.state} /></dd>
        <dt>{t('payments.invoice.agency')}</dt>
        <dd>{agency}</dd>
        <dt>{t('payments.invoice.payer')}</dt>
        <dd>{invoice.payerName}</dd>
        <dt>{t('payments.invoice.reference')}</dt>
        <dd><Reference reference={invoice.reference} /></dd>
        <dt>{t('payments.invoice.amount')}</dt>
        <dd>{amount(invoice.amount)}</dd>
        <dt>{t('payments.invoice.paid')}</dt>
        <dd>{amount(invoice.paidAmount)}</dd>
        {!new Decimal(invoice.refundedAmount).isZero() && (
          <>
            <dt>{t('payments.invoice.refunded')}</dt>
            <dd>{amount(invoice.refundedAmount)}</dd>
          </>
        )}
        <dt>{t('payments.invoice.due')}</dt>
        <dd>{formatDate(ctx.locale, invoice.dueAt)}</dd>
      </dl>
      <TableRegion label={t('payments.invoice.lines')}>
        <table class="fees">
          <caption>{t('payments.invoice.lines')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('payments.invoice.item')}</th>
              <th scope="col" class="amount">{t('payments.invoice.amount')}</th>
            </tr>
          </thead>
          <tbody>
            {invoice.lines.map((line) => (
              <tr>
                <td>{line.label[ctx.locale] ?? line.label.en ?? line.id}</td>
                <td class="amount">{amount(line.amount)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t('payments.invoice.total')}</th>
              <td class="amount">{amount(invoice.amount)}</td>
            </tr>
          </tfoot>
        </table>
      </TableRegion>
    </>
  );
}

function MobileMoneyStatus({ ctx, request, decimals }: { ctx: PageContext; request: MobileRequest; decimals: number }) {
  const { t } = ctx;
  const amount = money(ctx, request.amount, request.currency, decimals);
  const messages: Record<string, string> = {
    requested: t('payments.pay.mobile.pending', { amount, phone: request.phoneHint }),
    pending: t('payments.pay.mobile.pending', { amount, phone: request.phoneHint }),
    failed: t('payments.pay.mobile.failed', { phone: request.phoneHint }),
    expired: t('payments.pay.mobile.expired', { phone: request.phoneHint }),
  };
  const message = messages[request.state];
  return message ? <p class="notice" role="status">{message}</p> : null;
}

interface PayView {
  invoice: StoredInvoice;
  agency: string;
  payments: StoredPayment[];
  lastRequest: MobileRequest | undefined;
  /** The payer may pay; staff only look. */
  payer: boolean;
  mobileMoney: boolean;
  bankAccount: string;
}

function PayPage({ ctx, view, errors = {}, message, phone }: { ctx: PageContext; view: PayView; errors?: FieldErrors; message?: string; phone?: string }) {
  const { t } = ctx;
  const { invoice } = view;
  const due = outstanding(invoice);
  const dueText = money(ctx, due.toFixed(), invoice.currency, invoice.decimals);
  const payable = view.payer && due.gt(0);
  return (
    <>
      <h1>{t('payments.pay.title')}</h1>
      {invoice.state === 'paid' && (
        <div class="panel" role="status">
          <p>{t('payments.pay.paid')}</p>
        </div>
      )}
      {view.lastRequest && invoice.state !== 'paid' && <MobileMoneyStatus ctx={ctx} request={view.lastRequest} decimals={invoice.decimals} />}
      <ErrorSummary ctx={ctx} message={message} errors={errors} labels={{ phone: t('payments.pay.mobile.phone') }} />
      <InvoiceFacts ctx={ctx} invoice={invoice} agency={view.agency} />
      {due.gt(0) && <p class="lead">{t('payments.pay.due', { amount: dueText })}</p>}
      {payable && (
        <>
          {view.mobileMoney && (
            <section aria-labelledby="by-mobile">
              <h2 id="by-mobile">{t('payments.pay.mobile.title')}</h2>
              <p>{t('payments.pay.mobile.help', { agency: view.agency })}</p>
              <form class="stack" method="post" action={`/pay/${invoice.id}/mobile-money`}>
                <CsrfField ctx={ctx} />
                <Field name="phone" label={t('payments.pay.mobile.phone')} hint={t('payments.pay.mobile.phoneHint')} type="tel" inputMode="tel" autocomplete="tel" value={phone} error={errors.phone} maxLength={30} required />
                <div><button type="submit">{t('payments.pay.mobile.submit', { amount: dueText })}</button></div>
              </form>
            </section>
          )}
          <section aria-labelledby="by-bank">
            <h2 id="by-bank">{t('payments.pay.bank.title')}</h2>
            <dl class="facts">
              <dt>{t('payments.pay.bank.account')}</dt>
              <dd>{view.bankAccount}</dd>
              <dt>{t('payments.invoice.reference')}</dt>
              <dd><Reference reference={invoice.reference} /></dd>
              <dt>{t('payments.pay.bank.amount')}</dt>
              <dd>{dueText}</dd>
            </dl>
            <p>{t('payments.pay.bank.help')}</p>
          </section>
          <section aria-labelledby="by-cash">
            <h2 id="by-cash">{t('payments.pay.cash.title')}</h2>
            <p>{t('payments.pay.cash.help', { agency: view.agency })}</p>
          </section>
        </>
      )}
      {view.payments.length > 0 && <ReceiptsTable ctx={ctx} invoice={invoice} payments={view.payments} />}
    </>
  );
}

/** The payer's page of an invoice: where it stands, the three ways to pay, the receipts. */
export function paymentPages(deps: PageDeps) {
  const { db, provider } = deps;
  return async (app: App) => {
    const PayParams = Type.Object({ id: Uuid }, { additionalProperties: false });

    const renderPay = async (request: FastifyRequest, reply: FastifyReply, id: string, refused?: { errors?: FieldErrors; message?: string; phone?: string }, status = 200) => {
      const principal = requirePrincipal(request);
      const invoice = await invoiceForViewer(db, principal, id);
      const ctx = pageContext(request, reply, deps.oidcLabel);
      const [payments, lastRequest, agencies] = await Promise.all([paymentsOfInvoice(db, invoice.id), latestMobileRequest(db, invoice.id), agencyIndex(db)]);
      const view: PayView = { invoice, agency: agencyName(agencies.get(invoice.agencyId), ctx.locale), payments, lastRequest, payer: isPayer(principal, invoice), mobileMoney: provider !== null, bankAccount: deps.bankAccount };
      if (provider && deps.mobileMoney) {
        // The phone form's answer sends the browser on to the provider: the page's policy must let the form go there.
        const policy = String(reply.getHeader('content-security-policy') ?? '');
        reply.header('content-security-policy', policy.replace("form-action 'self'", `form-action 'self' ${new URL(deps.mobileMoney.url).origin}`));
      }
      return sendPage(reply, ctx, { title: ctx.t('payments.pay.title'), body: <PayPage ctx={ctx} view={view} {...refused} /> }, status);
    };

    app.get('/pay/:id', {
      config: { access: RULES.payerOrStaff },
      schema: { summary: 'Pay an invoice: what is due, by mobile money, bank transfer or at the counter, and the receipts', tags: ['web'], params: PayParams },
      handler: async (request, reply) => renderPay(request, reply, request.params.id),
    });

    app.post('/pay/:id/mobile-money', {
      config: { access: RULES.citizens },
      schema: { summary: 'Pay by mobile money (form): on to the provider to confirm', tags: ['web'], params: PayParams, body: Type.Object({ _csrf: FormText(200), phone: FormText(30) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, deps.oidcLabel);
        const phone = request.body.phone ?? '';
        if (!provider) return renderPay(request, reply, request.params.id, { message: ctx.t('payments.pay.mobile.unavailable'), phone }, 404);
        try {
          const started = await startMobileMoneyPayment(deps, provider, { invoiceId: request.params.id, phone, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(started.confirmUrl, 303);
        } catch (err) {
          // A refusal the payer can act on is shown on the page; anything else is an error page.
          if (!(err instanceof Problem) || err.status === 404 || (err.status >= 500 && err.status !== 503)) throw err;
          const code = err.extensions.code;
          const message = code === 'provider-refused' ? ctx.t('payments.pay.mobile.refused') : code === 'provider-unavailable' ? ctx.t('payments.pay.mobile.unavailable') : err.status === 409 ? ctx.t('payments.pay.nothingDue') : undefined;
          return renderPay(request, reply, request.params.id, { errors: paymentErrors(ctx, err.errors), message, phone }, err.status);
        }
      },
    });
  };
}
