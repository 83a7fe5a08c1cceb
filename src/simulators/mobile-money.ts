import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { checkSignature, PaymentRequestBody, signedHeaders, type PaymentResource, type ProviderStatus } from '../blocks/payments/providers/mobile-money-protocol.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';

/**
 * A mobile-money provider for demos and tests, speaking Daftari's protocol
 * (src/blocks/payments/providers/mobile-money-protocol.ts) on a port of its own:
 *
 *   POST /payments              (signed) ask for a payment; answers 201 with its id and confirmUrl
 *   GET  /payments/{id}         (signed) where a payment stands
 *   GET  /pay/{id}              the payer's "phone": Confirm or Decline, a plain form
 *   POST /pay/{id}              the payer's answer; calls Daftari back, then sends the payer to returnUrl
 *   POST /payments/{id}/confirm the same answer without the page, for tests: {"decision": "confirm" | "decline"}
 *
 * The payer's number picks a behaviour, so every path can be shown without a real network:
 *
 *   …0001  the payment fails whatever the payer answers (insufficient funds)
 *   …0002  the payment completes, but the callback is never sent (lost): Daftari's status query finds it
 *   …0003  the callback is sent twice
 *   …0004  "completed" is called back, then a stray "failed" after it (out of order)
 *   …0009  the provider refuses the request (unknown account)
 *   other  completes when confirmed, fails when declined, one callback
 */
interface SimulatedPayment extends PaymentResource {
  phone: string;
  payee: string;
  description: string;
  callbackUrl: string;
  returnUrl: string;
}

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  if (response.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(text);
}

function resource(p: SimulatedPayment): PaymentResource {
  return { id: p.id, status: p.status, reference: p.reference, amount: p.amount, currency: p.currency, ...(p.reason ? { reason: p.reason } : {}) };
}

function amountText(p: SimulatedPayment): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: p.currency }).format(p.amount as Intl.StringNumericLiteral);
  } catch {
    return `${p.amount} ${p.currency}`;
  }
}

const printed = (reference: string) => reference.replace(/(.{4})(?=.)/g, '$1 ');

function phonePage(p: SimulatedPayment, payUrl: string): string {
  const decided = p.status !== 'pending';
  return `<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm payment · Mobile money simulator</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f3f3f3;color:#111}
main{max-width:22rem;margin:2rem auto;background:#fff;border:2px solid #111;border-radius:1.5rem;padding:1.5rem}
h1{font-size:1.3rem}
.question{font-size:1.1rem;font-weight:600}
.ref{font-family:ui-monospace,monospace;white-space:nowrap}
button{font:inherit;font-weight:600;padding:.6rem 1.2rem;margin-inline-end:.5rem;border:2px solid #0b5a1d;background:#0b5a1d;color:#fff;cursor:pointer}
button.decline{background:#fff;color:#8a1010;border-color:#8a1010}
</style>
</head>
<body>
<main>
<h1>Mobile money</h1>
<p>Simulator · ${escapeHtml(p.phone)}</p>
${
  decided
    ? `<p class="question">This payment is ${escapeHtml(p.status)}.</p><p><a href="${escapeHtml(p.returnUrl)}">Back to ${escapeHtml(p.payee)}</a></p>`
    : `<p class="question">Pay ${escapeHtml(amountText(p))} to ${escapeHtml(p.payee)}, reference <span class="ref">${escapeHtml(printed(p.reference))}</span>?</p>
<p>${escapeHtml(p.description)}</p>
<form method="post" action="${escapeHtml(payUrl)}">
<button type="submit" name="decision" value="confirm">Confirm</button>
<button type="submit" name="decision" value="decline" class="decline">Decline</button>
</form>`
}
</main>
</body>
</html>`;
}

export async function startMobileMoneySimulator(opts: SimulatorOptions): Promise<Simulator> {
  const payments = new Map<string, SimulatedPayment>();
  const host = opts.host ?? '127.0.0.1';
  let url = '';

  const requireSignature = (request: http.IncomingMessage, body: Buffer) => {
    const verdict = checkSignature(opts.secret, request.headers, body);
    if (verdict !== 'valid') throw new HttpError(401, `the request is ${verdict === 'missing' ? 'not signed' : verdict}`);
  };

  const paymentOf = (id: string): SimulatedPayment => {
    const payment = payments.get(id);
    if (!payment) throw new HttpError(404, 'no such payment');
    return payment;
  };

  async function callBack(payment: SimulatedPayment, status: ProviderStatus, reason?: string): Promise<void> {
    const body = JSON.stringify({ ...resource(payment), status, ...(reason ? { reason } : {}) });
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const response = await fetch(payment.callbackUrl, { method: 'POST', headers: signedHeaders(opts.secret, body), body, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer().catch(() => undefined);
        if (response.status < 500) return;
      } catch {
        // Daftari is unreachable just now: a real provider retries, and so do we, a little.
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }

  /** The payer's answer: the outcome their number dictates, then the callbacks it calls for. */
  async function decide(payment: SimulatedPayment, decision: string): Promise<void> {
    if (payment.status !== 'pending') throw new HttpError(409, `the payment is already ${payment.status}`);
    if (decision !== 'confirm' && decision !== 'decline') throw new HttpError(400, 'decision must be confirm or decline');
    const ending = payment.phone.slice(-4);
    if (decision === 'decline') Object.assign(payment, { status: 'failed', reason: 'declined by the payer' });
    else if (ending === '0001') Object.assign(payment, { status: 'failed', reason: 'insufficient funds' });
    else payment.status = 'completed';
    if (ending === '0002' && payment.status === 'completed') return;
    await callBack(payment, payment.status, payment.reason);
    if (ending === '0003') await callBack(payment, payment.status, payment.reason);
    if (ending === '0004' && payment.status === 'completed') await callBack(payment, 'failed', 'a late, stray failure');
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', 'http://simulator');
    const body = await readBody(request);
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);

    if (request.method === 'POST' && pathname === '/payments') {
      requireSignature(request, body);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new HttpError(400, 'the body is not JSON');
      }
      if (!Value.Check(PaymentRequestBody, json)) throw new HttpError(400, 'the body is not a payment request');
      if (json.phone.endsWith('0009')) throw new HttpError(400, 'no mobile-money account has this number');
      const payment: SimulatedPayment = { id: `mm_${randomUUID()}`, status: 'pending', ...json };
      payments.set(payment.id, payment);
      return send(response, 201, { ...resource(payment), confirmUrl: `${url}/pay/${payment.id}` });
    }
    if (request.method === 'GET' && parts.length === 2 && parts[0] === 'payments') {
      requireSignature(request, body);
      return send(response, 200, resource(paymentOf(parts[1]!)));
    }
    if (request.method === 'POST' && parts.length === 3 && parts[0] === 'payments' && parts[2] === 'confirm') {
      const payment = paymentOf(parts[1]!);
      let decision = 'confirm';
      if (body.length > 0) {
        try {
          const given = (JSON.parse(body.toString('utf8')) as { decision?: unknown }).decision;
          if (given !== undefined) decision = String(given);
        } catch {
          throw new HttpError(400, 'the body is not JSON');
        }
      }
      await decide(payment, decision);
      return send(response, 200, { ...resource(payment), returnUrl: payment.returnUrl });
    }
    if (parts.length === 2 && parts[0] === 'pay') {
      const payment = paymentOf(parts[1]!);
      if (request.method === 'GET') return send(response, 200, phonePage(payment, `/pay/${encodeURIComponent(payment.id)}`), 'text/html');
      if (request.method === 'POST') {
        await decide(payment, new URLSearchParams(body.toString('utf8')).get('decision') ?? '');
        response.writeHead(303, { location: payment.returnUrl });
        response.end();
        return;
      }
    }
    throw new HttpError(404, 'nothing here');
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      send(response, status, { status, detail: err instanceof Error ? err.message : 'failed' });
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  url = `http://${shownHost}:${port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
