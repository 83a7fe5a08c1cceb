import type { GatewayConfig } from '../../../config.ts';
import { checkSignature, readPaymentResource, signedHeaders, type PaymentRequestBody, type PaymentResource } from './mobile-money-protocol.ts';
import { CallbackRefused, ProviderRefused, ProviderUnavailable, type PaymentProvider, type ProviderReport } from './provider.ts';

const TIMEOUT_MS = 10_000;

function report(resource: PaymentResource): ProviderReport {
  return { providerPaymentId: resource.id, status: resource.status, reference: resource.reference, amount: resource.amount, currency: resource.currency, ...(resource.reason ? { reason: resource.reason } : {}) };
}

/** The mobile-money provider at `config.url`, every call signed with `config.secret` (the protocol is in mobile-money-protocol.ts). */
export function mobileMoneyProvider(config: GatewayConfig): PaymentProvider {
  async function call(method: 'GET' | 'POST', path: string, payload?: PaymentRequestBody): Promise<{ status: number; json: unknown }> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    let response: Response;
    try {
      response = await fetch(`${config.url}${path}`, { method, headers: signedHeaders(config.secret, body), body: payload === undefined ? undefined : body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new ProviderUnavailable(`the mobile-money provider could not be reached: ${(err as Error).message}`);
    }
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // A non-JSON answer is judged by its status below.
    }
    if (response.status >= 500) throw new ProviderUnavailable(`the mobile-money provider answered ${response.status}`);
    return { status: response.status, json };
  }

  const detailOf = (json: unknown) => (json && typeof json === 'object' && 'detail' in json ? String((json as { detail: unknown }).detail).slice(0, 300) : 'no reason given');

  return {
    method: 'mobile-money',

    async start(request) {
      const { status, json } = await call('POST', '/payments', {
        reference: request.reference,
        amount: request.amount,
        currency: request.currency,
        phone: request.account,
        payee: request.payee,
        description: request.description,
        callbackUrl: request.callbackUrl,
        returnUrl: request.returnUrl,
      });
      if (status >= 400) throw new ProviderRefused(detailOf(json));
      const resource = readPaymentResource(json);
      if (status !== 201 || !resource?.confirmUrl) throw new ProviderUnavailable(`the mobile-money provider answered ${status} without a payment to confirm`);
      return { providerPaymentId: resource.id, confirmUrl: resource.confirmUrl };
    },

    async queryStatus(providerPaymentId) {
      const { status, json } = await call('GET', `/payments/${encodeURIComponent(providerPaymentId)}`);
      const resource = readPaymentResource(json);
      if (status !== 200 || !resource || resource.id !== providerPaymentId) throw new ProviderUnavailable(`the mobile-money provider answered ${status} to a status query`);
      return report(resource);
    },

    readCallback(headers, rawBody, now = new Date()) {
      const verdict = checkSignature(config.secret, headers, rawBody, now.getTime());
      if (verdict !== 'valid') throw new CallbackRefused(verdict, `the callback is ${verdict === 'missing' ? 'not signed' : verdict === 'stale' ? 'signed too long ago (or too far ahead)' : 'not signed with our shared secret'}`);
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new CallbackRefused('malformed', 'the callback is not JSON');
      }
      const resource = readPaymentResource(json);
      if (!resource) throw new CallbackRefused('malformed', 'the callback is not a payment resource');
      return report(resource);
    },
  };
}
