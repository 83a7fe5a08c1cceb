import { Type } from '@sinclair/typebox';
import { Decimal } from 'decimal.js';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { keepRawBody, requireGatewaySignature } from '../../platform/http/signed-calls.ts';
import { findUserByContact, findUserById, normaliseMobile, principalForUser } from '../identity/index.ts';
import type { InvoiceView, Payments } from '../payments/index.ts';
import { caseForPhone } from '../registration/index.ts';
import { nextScreen, type MenuDeps, type PayOutcome } from './menu.ts';

export const USSD_PATH = '/ussd';

const UssdRequest = Type.Object(
  {
    sessionId: Type.String({ minLength: 1, maxLength: 100 }),
    serviceCode: Type.String({ minLength: 1, maxLength: 40 }),
    phoneNumber: Type.String({ minLength: 5, maxLength: 30 }),
    text: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: true },
);

/** The invoice of an application still awaiting money, if any, and how much is left on it. */
async function openInvoiceOf(db: Db, payments: Payments, applicationId: string): Promise<{ invoice: InvoiceView; due: string } | null> {
  for (const invoice of await payments.invoicesFor(db, 'application', applicationId)) {
    if (invoice.state !== 'open' && invoice.state !== 'partly-paid') continue;
    const due = new Decimal(invoice.amount).minus(invoice.paidAmount);
    if (due.greaterThan(0)) return { invoice, due: due.toFixed(invoice.decimals) };
  }
  return null;
}

/** How the payments block's refusals read on a phone. */
function outcomeOf(err: unknown): PayOutcome {
  if (!(err instanceof Problem)) throw err;
  if (err.status === 404) return 'not-offered';
  if (err.status === 409) return 'nothing-due';
  if (err.status === 422) return 'refused';
  if (err.status === 503) return 'unavailable';
  throw err;
}

function menuDeps(db: Db, payments: Payments, requestId: string): MenuDeps {
  return {
    async caseFor(trackingNumber, phone) {
      const found = await caseForPhone(db, trackingNumber, phone);
      if (!found) return null;
      const open = await openInvoiceOf(db, payments, found.applicationId);
      return { status: found.text, next: found.next, owed: open ? { amount: open.due, currency: open.invoice.currency, decimals: open.invoice.decimals } : null };
    },
    async pay(trackingNumber, phone) {
      const found = await caseForPhone(db, trackingNumber, phone);
      const open = found ? await openInvoiceOf(db, payments, found.applicationId) : null;
      const principal = found && open ? await principalForUser(db, found.userId, null) : null;
      if (!open || !principal) return 'nothing-due';
      // The very request the invoice's web page makes, so the provider's callback settles it the same way, once.
      return payments.startMobileMoney({ invoiceId: open.invoice.id, phone, principal, requestId }).then(() => 'started' as const, outcomeOf);
    },
  };
}

/**
 * The USSD gateway's callback: a form POST per screen, signed with the shared secret like the SMS
 * gateway's calls (HMAC of `<timestamp>.<body>`), answered in text/plain with `CON …` or `END …`.
 */
export function ussdRoutes({ db, payments, secret }: { db: Db; payments: Payments; secret: string | undefined }) {
  return async (app: App) => {
    app.post(USSD_PATH, {
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 8 * 1024,
      schema: {
        summary: 'A USSD gateway asks for the next screen of a session (sessionId, serviceCode, phoneNumber, text = the inputs so far joined by *); signed with the shared secret',
        tags: ['ussd'],
        body: UssdRequest,
        response: { 200: Type.String({ description: 'CON <screen> to wait for input, END <screen> to close' }), ...Problems },
      },
      preParsing: keepRawBody,
      preValidation: requireGatewaySignature(secret, 'USSD request'),
      handler: async (request, reply) => {
        const phone = normaliseMobile(request.body.phoneNumber);
        if (!phone) throw Problem.invalidField('/body/phoneNumber', 'is not an international mobile number');
        const holder = await findUserByContact(db, 'sms', phone);
        const linkedLocale = holder ? ((await findUserById(db, holder.id))?.locale ?? null) : null;
        const body = await nextScreen(menuDeps(db, payments, request.id), { phone, text: request.body.text, linkedLocale });
        return reply.type('text/plain; charset=utf-8').send(body);
      },
    });
  };
}
