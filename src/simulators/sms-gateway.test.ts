/**
 * The SMS gateway simulator, on its own: it takes only signed messages, answers anything else
 * with an error rather than falling over, sends each reference once, and reports delivery to the
 * callback URL with a signature Daftari can check.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { checkSignature, signatureHeaders } from '../platform/http/signed-calls.ts';
import { startSmsGatewaySimulator, type ReceivedSms } from './sms-gateway.ts';
import type { Simulator } from './simulator.ts';

const SECRET = 'simulator-test-secret-0123456789';

interface Report {
  body: Record<string, unknown>;
  signature: string;
}

/** Daftari's side of the callbacks: keeps each report with the outcome of checking its signature. */
let callbacks: http.Server;
let callbackUrl: string;
const reports: Report[] = [];
let simulator: Simulator;

before(async () => {
  callbacks = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      reports.push({ body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, signature: checkSignature(SECRET, request.headers, raw) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => callbacks.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/reports`;
  simulator = await startSmsGatewaySimulator({ secret: SECRET });
});
after(async () => {
  await simulator?.close();
  await new Promise<void>((resolve) => callbacks.close(() => resolve()));
});

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function send(sms: Record<string, unknown>, secret = SECRET) {
  const body = JSON.stringify(sms);
  return post('/messages', body, signatureHeaders(secret, body));
}

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting until ${what}`);
}

const inbox = async () => (await (await fetch(`${simulator.url}/messages.json`)).json()) as ReceivedSms[];

describe('the SMS gateway simulator', () => {
  it('listens on 127.0.0.1 by default and names itself by that address', () => {
    assert.match(simulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('accepts a signed message, answers with its id, and reports it delivered to the callback URL, signed', async () => {
    const response = await send({ to: '+25377123456', text: 'Bonjour Amina', reference: 'ref-1', callbackUrl });
    assert.equal(response.status, 202);
    const { id } = (await response.json()) as { id: string };
    const report = await until('the report arrives', () => reports.find((r) => r.body.reference === 'ref-1'));
    assert.equal(report.signature, 'valid');
    assert.equal(report.body.messageId, id);
    assert.equal(report.body.status, 'delivered');
    const [received] = (await inbox()).filter((sms) => sms.reference === 'ref-1');
    assert.equal(received?.text, 'Bonjour Amina');
  });

  it('reports a number ending in 0000 failed', async () => {
    await send({ to: '+25377120000', text: 'Test', reference: 'ref-2', callbackUrl });
    const report = await until('the report arrives', () => reports.find((r) => r.body.reference === 'ref-2'));
    assert.equal(report.body.status, 'failed');
    assert.match(String(report.body.error), /0000/);
  });

  it('treats the same reference again as a retry: same id, one text, one report', async () => {
    const first = (await (await send({ to: '+25377123457', text: 'Once', reference: 'ref-3', callbackUrl })).json()) as { id: string };
    const second = (await (await send({ to: '+25377123457', text: 'Once', reference: 'ref-3', callbackUrl })).json()) as { id: string };
    assert.equal(second.id, first.id);
    await until('the report arrives', () => reports.find((r) => r.body.reference === 'ref-3'));
    assert.equal((await inbox()).filter((sms) => sms.reference === 'ref-3').length, 1);
    assert.equal(reports.filter((r) => r.body.reference === 'ref-3').length, 1);
  });

  it('refuses a message that is unsigned, signed with another secret, or signed too long ago', async () => {
    const body = JSON.stringify({ to: '+25377123458', text: 'x', reference: 'ref-4', callbackUrl });
    assert.equal((await post('/messages', body)).status, 401);
    assert.equal((await send(JSON.parse(body) as Record<string, unknown>, 'another-secret-entirely')).status, 401);
    assert.equal((await post('/messages', body, signatureHeaders(SECRET, body, Date.now() - 3_600_000))).status, 401);
    assert.equal((await inbox()).some((sms) => sms.reference === 'ref-4'), false);
  });

  it('refuses a signed message it cannot send, saying why', async () => {
    for (const bad of [{ to: '0777', text: 'x', reference: 'r', callbackUrl }, { to: '+25377123456', text: '', reference: 'r', callbackUrl }, { to: '+25377123456', text: 'x', reference: 'r', callbackUrl: 'file:///etc/passwd' }]) {
      const response = await send(bad);
      assert.equal(response.status, 400);
      assert.ok(((await response.json()) as { error: string }).error);
    }
  });

  it('never falls over, whatever it is sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/messages', '/', '/messages.json', '/nowhere'), fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), fc.boolean(), async (path, body, signed) => {
        const response = await post(path, body, signed ? signatureHeaders(SECRET, body) : {});
        assert.ok(response.status >= 400 && response.status < 500, `${path} → ${response.status}`);
      }),
      { numRuns: 60 },
    );
    assert.equal((await post('/messages', 'x'.repeat(100_000), signatureHeaders(SECRET, 'x'))).status, 413);
    assert.equal((await fetch(`${simulator.url}/`)).status, 200, 'and still answers');
  });

  it('shows what it received as a phone inbox, the texts escaped', async () => {
    await send({ to: '+25377123459', text: '<script>alert(1)</script> & bonjour', reference: 'ref-5', callbackUrl });
    const page = await fetch(`${simulator.url}/`);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62; &#38; bonjour'));
    assert.ok(!html.includes('<script>'));
  });

  it('names itself by localhost when it listens on every interface', async () => {
    const everywhere = await startSmsGatewaySimulator({ secret: SECRET, host: '0.0.0.0' });
    try {
      assert.match(everywhere.url, /^http:\/\/localhost:\d+$/);
      assert.equal((await fetch(`${everywhere.url.replace('localhost', '127.0.0.1')}/messages.json`)).status, 200);
    } finally {
      await everywhere.close();
    }
  });
});
