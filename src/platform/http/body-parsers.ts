import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { Problem } from './problem.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw Problem.badRequest('The request body is not valid UTF-8.');
  }
}

function checkCharset(contentType: string | undefined): void {
  const charset = /;\s*charset=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new Problem(415, `Only UTF-8 request bodies are accepted, not ${charset}.`);
  }
}

/**
 * Form fields as an object; a repeated name becomes an array. Malformed percent-escapes and
 * invalid UTF-8 are refused rather than silently replaced, so what we store is what was sent.
 */
export function parseFormBody(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  if (text.length === 0) return fields;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw Problem.badRequest(`The form field "${rawName.slice(0, 40)}" is not correctly encoded.`);
    }
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
      throw Problem.invalidField(`/body/${name}`, 'this field name is not allowed');
    }
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else fields[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { ...fields };
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json$/i, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      checkCharset(request.headers['content-type']);
      const text = decodeUtf8(body as Buffer);
      if (text.trim() === '') throw Problem.badRequest('The request body is empty; send a JSON document.');
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      if (err instanceof Problem) return done(err);
      const message = err instanceof Error ? err.message : 'unreadable';
      done(Problem.badRequest(`The request body is not valid JSON: ${message}.`));
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      checkCharset(request.headers['content-type']);
      done(null, parseFormBody(decodeUtf8(body as Buffer)));
    } catch (err) {
      done(err as Error);
    }
  });
}
