import { createInterface } from 'node:readline/promises';
import { randomUUID } from 'node:crypto';
import { signatureHeaders } from '../platform/http/signed-calls.ts';

/**
 * A basic phone dialling a USSD code, in a terminal: it plays the USSD gateway, posting each
 * screen's request to Daftari signed with the shared secret, and shows the screens; a line typed
 * is a keypress answer. The session ends on an `END` screen or at the end of input.
 */
export async function runUssdPhone(opts: { url: string; secret: string; phone: string; serviceCode: string; input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): Promise<string[]> {
  const sessionId = randomUUID();
  const inputs: string[] = [];
  const screens: string[] = [];
  const lines = createInterface({ input: opts.input, terminal: false })[Symbol.asyncIterator]();
  for (;;) {
    const body = new URLSearchParams({ sessionId, serviceCode: opts.serviceCode, phoneNumber: opts.phone, text: inputs.join('*') }).toString();
    const response = await fetch(opts.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signatureHeaders(opts.secret, body) }, body });
    const screen = await response.text();
    if (!response.ok) throw new Error(`Daftari answered HTTP ${response.status}: ${screen.slice(0, 300)}`);
    screens.push(screen);
    opts.output.write(`\n${screen.slice(4)}\n`);
    if (!screen.startsWith('CON ')) return screens;
    opts.output.write('> ');
    const next = await lines.next();
    if (next.done) return screens;
    inputs.push(next.value.trim());
  }
}
