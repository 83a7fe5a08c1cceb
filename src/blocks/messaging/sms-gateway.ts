import type { GatewayConfig } from '../../config.ts';
import { signatureHeaders } from '../../platform/http/signed-calls.ts';

/** A send that will never succeed as it stands: retrying it only delays the failure. */
export class PermanentFailure extends Error {
  constructor(readonly failure: 'rejected' | 'unconfigured', message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

export interface OutgoingSms {
  /** E.164. */
  to: string;
  text: string;
  /** Our message id: the gateway returns it in delivery reports, and a repeated reference is one message. */
  reference: string;
  /** Where the gateway posts its signed delivery reports. */
  callbackUrl: string;
}

/** Whatever carries text messages to phones. */
export interface SmsGateway {
  /** Hand a text to the gateway; resolves to the gateway's id for it once the gateway accepts it. */
  send(sms: OutgoingSms): Promise<string>;
}

const TIMEOUT_MS = 10_000;

/**
 * A gateway over HTTP: `POST <url>/messages` with the JSON of an OutgoingSms, signed with the
 * shared secret (src/platform/http/signed-calls.ts), answered with `{ "id": "…" }`. A 4xx answer refuses the
 * message for good (a number the gateway will not serve), except those that may pass with time
 * (timeouts, rate limits) or with configuration (a secret being rotated).
 */
export function httpSmsGateway(config: GatewayConfig): SmsGateway {
  return {
    async send(sms) {
      const body = JSON.stringify(sms);
      let response: Response;
      try {
        response = await fetch(`${config.url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signatureHeaders(config.secret, body) },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
        throw new Error(`the SMS gateway could not be reached: ${cause}`);
      }
      const text = await response.text().catch(() => '');
      if (response.status >= 400 && response.status < 500 && ![401, 403, 408, 429].includes(response.status)) {
        throw new PermanentFailure('rejected', `the SMS gateway refused the message (HTTP ${response.status}): ${text.slice(0, 300)}`);
      }
      if (!response.ok) throw new Error(`the SMS gateway answered HTTP ${response.status}: ${text.slice(0, 300)}`);
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new Error('the SMS gateway accepted the message without giving its id');
      return id;
    },
  };
}
