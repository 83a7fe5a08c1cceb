import type { ProviderStatus } from './mobile-money-protocol.ts';

export type { ProviderStatus };

/** What Daftari asks an online provider to collect. */
export interface CollectionRequest {
  reference: string;
  amount: string;
  currency: string;
  /** The payer's account at the provider: a phone number for mobile money. */
  account: string;
  payee: string;
  description: string;
  callbackUrl: string;
  returnUrl: string;
}

/** Where a payment stands, as the provider reports it (answering a query, or calling back). */
export interface ProviderReport {
  providerPaymentId: string;
  status: ProviderStatus;
  reference: string;
  amount: string;
  currency: string;
  reason?: string;
}

/** The provider would not take the request (unknown account, limits…): the payer can try another way. */
export class ProviderRefused extends Error {}
/** The provider could not be reached or answered nonsense: try again later. */
export class ProviderUnavailable extends Error {}
/** A callback that is not the provider's, or not now: refused without looking further. */
export class CallbackRefused extends Error {
  constructor(readonly why: 'missing' | 'forged' | 'stale' | 'malformed', message: string) {
    super(message);
  }
}

/**
 * An online payment provider: the payer is sent to it, it tells Daftari the outcome by a signed
 * callback, and it can be asked. Mobile money is the one shipped; a card acquirer would be
 * another. Bank transfers and cash at the counter need no provider: their money is seen on the
 * bank statement and at the cash desk.
 */
export interface PaymentProvider {
  readonly method: 'mobile-money';
  /** Ask for a payment; the payer confirms it at `confirmUrl`. */
  start(request: CollectionRequest): Promise<{ providerPaymentId: string; confirmUrl: string }>;
  queryStatus(providerPaymentId: string): Promise<ProviderReport>;
  /** Verify a callback's signature and freshness and read it; throws CallbackRefused. */
  readCallback(headers: Record<string, string | string[] | undefined>, rawBody: Buffer, now?: Date): ProviderReport;
}
