import { createHmac, timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Problem } from './problem.ts';

/**
 * Calls between Daftari and an outside gateway (SMS, mobile money), both ways, carry an
 * HMAC-SHA256 of `<timestamp>.<body>` under the shared secret, and the timestamp (Unix seconds)
 * it covers. The timestamp makes a captured call useless after the freshness window; within it,
 * a replay changes nothing, because what a callback reports only ever moves a status forward.
 */
export const SIGNATURE_HEADER = 'x-daftari-signature';
export const TIMESTAMP_HEADER = 'x-daftari-timestamp';
export const FRESHNESS_SECONDS = 300;

function digest(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export function signatureHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${digest(secret, timestamp, body)}` };
}

export type SignatureCheck = 'valid' | 'missing' | 'stale' | 'forged';

/** Checks the signature of a call as received: its raw body and its headers (lower-case names, as Node gives them). */
export function checkSignature(secret: string, headers: Record<string, string | string[] | undefined>, body: Buffer, now = Date.now()): SignatureCheck {
  const timestamp = headers[TIMESTAMP_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > FRESHNESS_SECONDS) return 'stale';
  const expected = Buffer.from(`sha256=${digest(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  // The expected length is public (a hex SHA-256), so comparing lengths first leaks nothing.
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'forged';
}

/** The bodies as they arrived, byte for byte: a signature covers these bytes, not our parse of them. */
const rawBodies = new WeakMap<FastifyRequest, Buffer[]>();

/** A route's `preParsing` hook: keep a copy of the body as it streams past the JSON parser. */
export async function keepRawBody(request: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream) {
  const chunks: Buffer[] = [];
  rawBodies.set(request, chunks);
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done(null, chunk);
    },
  });
  payload.on('error', (err) => copy.destroy(err));
  return payload.pipe(copy);
}

/** The body `keepRawBody` kept for this request. */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return Buffer.concat(rawBodies.get(request) ?? []);
}

const REFUSALS: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  missing: 'A call from the gateway must be signed: send the x-daftari-timestamp and x-daftari-signature headers.',
  stale: 'The call is signed at a time too far from now; sign it afresh.',
  forged: 'The signature does not match the content of the call.',
};

/**
 * A preValidation hook (with `preParsing: keepRawBody`) refusing, with 401, a call not signed with
 * the secret; before the body is validated, so whoever cannot sign learns nothing of what we expect.
 */
export function requireGatewaySignature(secret: string | undefined, what: string) {
  return async (request: FastifyRequest) => {
    if (!secret) throw Problem.unauthorized(`No gateway is configured here, so no ${what} can be verified.`);
    const check = checkSignature(secret, request.headers, rawBodyOf(request));
    if (check !== 'valid') {
      request.log.warn({ check, ip: request.ip }, `${what} refused`);
      throw Problem.unauthorized(REFUSALS[check]);
    }
  };
}

