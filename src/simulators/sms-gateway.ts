import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSignature, signatureHeaders } from '../platform/http/signed-calls.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';

/**
 * An SMS gateway for demos and tests, speaking the protocol of the messaging block's
 * httpSmsGateway: `POST /messages` {to, text, reference, callbackUrl}, signed with the shared
 * secret, answered with the gateway's id; shortly after, a signed delivery report posted to the
 * callbackUrl. Numbers ending in 0000 are reported failed, so a demo can show a failure. What it
 * received is on `GET /` (a phone's inbox) and `GET /messages.json`.
 */

export interface ReceivedSms {
  id: string;
  to: string;
  text: string;
  reference: string;
  callbackUrl: string;
  receivedAt: string;
  /** What the delivery report said, and how the callback went. */
  report: { status: 'delivered' | 'failed'; callback: 'pending' | 'answered' | 'unreachable'; answeredWith: number | null };
}

const BODY_LIMIT = 64 * 1024;
const REPORT_DELAY_MS = 250;
const CALLBACK_TRIES = 5;
const KEEP = 1000;
const E164 = /^\+[1-9][0-9]{6,14}$/;

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The body, up to the limit; past it the rest is read and dropped, so the client still gets its 413. */
function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    request.on('end', () => (size > BODY_LIMIT ? reject(new Refusal(413, 'the body is larger than 64 KiB')) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}

function parseSms(body: Buffer): Pick<ReceivedSms, 'to' | 'text' | 'reference' | 'callbackUrl'> {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Refusal(400, 'the body is not JSON');
  }
  const { to, text, reference, callbackUrl } = (input ?? {}) as Record<string, unknown>;
  if (typeof to !== 'string' || !E164.test(to)) throw new Refusal(400, '"to" must be a phone number in E.164 form');
  if (typeof text !== 'string' || text.length === 0 || text.length > 1600) throw new Refusal(400, '"text" must be 1 to 1600 characters');
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 100) throw new Refusal(400, '"reference" must be 1 to 100 characters');
  if (typeof callbackUrl !== 'string' || !/^https?:\/\//.test(callbackUrl) || !URL.canParse(callbackUrl)) throw new Refusal(400, '"callbackUrl" must be an http(s) URL');
  return { to, text, reference, callbackUrl };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function inboxPage(messages: ReceivedSms[]): string {
  const items = [...messages]
    .reverse()
    .map((m) => `<li><p><strong>${escapeHtml(m.to)}</strong> · <time datetime="${m.receivedAt}">${escapeHtml(m.receivedAt.replace('T', ' ').slice(0, 19))} UTC</time> · ${m.report.status}</p><p dir="auto">${escapeHtml(m.text)}</p></li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="5"><title>Simulated phone · SMS gateway simulator</title>
<style>body{font-family:system-ui,sans-serif;max-inline-size:30rem;margin:auto;padding:1rem}ol{list-style:none;padding:0}li{border:1px solid #999;border-radius:1rem;padding:.25rem 1rem;margin-block:.75rem}li p{white-space:pre-wrap;margin:.4rem 0}</style></head>
<body><h1>Simulated phone</h1><p>Text messages the SMS gateway simulator received, newest first. Numbers ending in 0000 are reported undelivered.</p>
${messages.length === 0 ? '<p>No text message yet.</p>' : `<ol>${items}</ol>`}</body></html>`;
}

export async function startSmsGatewaySimulator(opts: SimulatorOptions & { inboundUrl?: string }): Promise<Simulator> {
  const received: ReceivedSms[] = [];
  const byReference = new Map<string, ReceivedSms>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new AbortController();

  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  };

  /** Post the signed report, trying again a few times if Daftari cannot be reached. */
  const report = (sms: ReceivedSms, tryNumber = 1): void => {
    const body = JSON.stringify({
      reference: sms.reference,
      messageId: sms.id,
      status: sms.report.status,
      ...(sms.report.status === 'failed' ? { error: 'the handset did not acknowledge the message (simulated failure: the number ends in 0000)' } : {}),
      occurredAt: new Date().toISOString(),
    });
    fetch(sms.callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureHeaders(opts.secret, body) }, body, signal: inFlight.signal })
      .then(async (response) => {
        await response.arrayBuffer().catch(() => undefined);
        sms.report.callback = 'answered';
        sms.report.answeredWith = response.status;
        if (response.status >= 500 && tryNumber < CALLBACK_TRIES) later(REPORT_DELAY_MS * 2 ** tryNumber, () => report(sms, tryNumber + 1));
      })
      .catch(() => {
        if (inFlight.signal.aborted) return;
        if (tryNumber < CALLBACK_TRIES) later(REPORT_DELAY_MS * 2 ** tryNumber, () => report(sms, tryNumber + 1));
        else sms.report.callback = 'unreachable';
      });
  };

  const accept = async (request: http.IncomingMessage): Promise<{ id: string }> => {
    const body = await readBody(request);
    if (checkSignature(opts.secret, request.headers, body) !== 'valid') throw new Refusal(401, 'the signature is missing, stale or wrong');
    const sms = parseSms(body);
    // The same reference again is a retry by Daftari, not a second text to the phone.
    const known = byReference.get(sms.reference);
    if (known) return { id: known.id };
    const entry: ReceivedSms = { id: randomUUID(), ...sms, receivedAt: new Date().toISOString(), report: { status: sms.to.endsWith('0000') ? 'failed' : 'delivered', callback: 'pending', answeredWith: null } };
    received.push(entry);
    byReference.set(entry.reference, entry);
    if (received.length > KEEP) byReference.delete(received.shift()!.reference);
    later(REPORT_DELAY_MS, () => report(entry));
    return { id: entry.id };
  };

  /**
   * A phone texts the platform's number: `POST /phone` {from, text, deliverTo?}, forwarded signed to
   * Daftari's inbound path (deliverTo, else the inboundUrl the simulator was started with).
   */
  const fromPhone = async (request: http.IncomingMessage): Promise<{ id: string; answeredWith: number }> => {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse((await readBody(request)).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new Refusal(400, 'the body is not JSON');
    }
    const { from, text, deliverTo = opts.inboundUrl } = input;
    if (typeof from !== 'string' || !E164.test(from)) throw new Refusal(400, '"from" must be a phone number in E.164 form');
    if (typeof text !== 'string' || text.length === 0 || text.length > 1600) throw new Refusal(400, '"text" must be 1 to 1600 characters');
    if (typeof deliverTo !== 'string' || !/^https?:\/\//.test(deliverTo)) throw new Refusal(400, 'say where Daftari listens: "deliverTo" or the inboundUrl option');
    const id = randomUUID();
    const body = JSON.stringify({ from, text, id });
    const response = await fetch(deliverTo, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureHeaders(opts.secret, body) }, body, signal: inFlight.signal });
    await response.arrayBuffer().catch(() => undefined);
    return { id, answeredWith: response.status };
  };

  const server = http.createServer((request, response) => {
    const send = (status: number, type: string, body: string) => {
      if (response.headersSent) return;
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      response.end(body);
    };
    const json = (status: number, value: unknown) => send(status, 'application/json; charset=utf-8', JSON.stringify(value));
    const path = (request.url ?? '/').split('?')[0];
    const handle = async () => {
      if (path === '/messages' && request.method === 'POST') return json(202, { ...(await accept(request)), status: 'accepted' });
      if (path === '/messages.json' && request.method === 'GET') return json(200, received);
      if (path === '/phone' && request.method === 'POST') return json(200, await fromPhone(request));
      if (path === '/' && request.method === 'GET') return send(200, 'text/html; charset=utf-8', inboxPage(received));
      if (['/', '/messages', '/messages.json'].includes(path ?? '')) throw new Refusal(405, 'method not allowed');
      throw new Refusal(404, 'not found');
    };
    handle().catch((err: unknown) => json(err instanceof Refusal ? err.status : 500, { error: err instanceof Refusal ? err.message : 'the simulator failed' }));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    async close() {
      inFlight.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
