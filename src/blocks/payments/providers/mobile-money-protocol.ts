import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkSignature, signatureHeaders } from '../../../platform/http/signed-calls.ts';

/**
 * The mobile-money wire protocol Daftari speaks (docs/payments.md), shared by the provider client
 * and the simulator. Every call, in both directions, is JSON signed with the shared secret the way
 * Daftari signs all calls with gateways (signatureHeaders / checkSignature of src/platform/http/signed-calls.ts):
 *
 *   X-Daftari-Timestamp: <Unix seconds>
 *   X-Daftari-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">
 *
 * Signing the timestamp with the body means a captured call cannot be replayed later under a
 * fresh timestamp; the receiver refuses timestamps outside a few minutes of its own clock, and
 * within them a replay changes nothing, because a payment's state only moves forward.
 */
const Amount = Type.String({ pattern: '^\\d{1,14}(\\.\\d{1,4})?$', description: 'An exact decimal amount, e.g. "15000" or "12.50"' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
const HttpUrl = Type.String({ pattern: '^https?://', maxLength: 2000 });

/** Daftari → provider: `POST /payments`. */
export const PaymentRequestBody = Type.Object(
  {
    reference: Type.String({ minLength: 1, maxLength: 35 }),
    amount: Amount,
    currency: Currency,
    phone: Type.String({ pattern: '^\\+?[0-9]{8,15}$' }),
    /** Who is paid, as the payer's phone shows it. */
    payee: Type.String({ maxLength: 200 }),
    description: Type.String({ maxLength: 500 }),
    callbackUrl: HttpUrl,
    returnUrl: HttpUrl,
  },
  { additionalProperties: false },
);
export type PaymentRequestBody = Static<typeof PaymentRequestBody>;

export const ProviderStatus = Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')]);
export type ProviderStatus = Static<typeof ProviderStatus>;

/** Provider → Daftari: the answer to `POST /payments` and `GET /payments/{id}`, and the body of a callback. */
export const PaymentResource = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$' }),
  status: ProviderStatus,
  reference: Type.String({ maxLength: 35 }),
  amount: Amount,
  currency: Currency,
  /** Why a payment failed, when it did. */
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  /** Where the payer confirms; in the answer to `POST /payments`. */
  confirmUrl: Type.Optional(HttpUrl),
});
export type PaymentResource = Static<typeof PaymentResource>;

/** The resource, when `value` is one. */
export function readPaymentResource(value: unknown): PaymentResource | null {
  return Value.Check(PaymentResource, value) ? value : null;
}

/** Headers of a signed JSON call. */
export function signedHeaders(secret: string, body: string, now = new Date()): Record<string, string> {
  return { 'content-type': 'application/json', ...signatureHeaders(secret, body, now.getTime()) };
}

export { checkSignature };
