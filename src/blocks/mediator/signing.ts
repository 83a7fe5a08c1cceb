import { createHash } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';

/** The headers of an exchange, as X-Road names them; Node gives them lower-case. */
export const HEADERS = {
  client: 'x-road-client',
  service: 'x-road-service',
  id: 'x-road-id',
  userId: 'x-road-userid',
  issue: 'x-road-issue',
  requestTime: 'x-road-request-time',
  signature: 'x-road-signature',
} as const;

export const FRESHNESS_SECONDS = 300;
export const REQUEST_CTY = 'daftari-mediator-request';
export const RESPONSE_CTY = 'daftari-mediator-response';

export interface RequestFacts {
  method: string;
  path: string;
  bodySha256: string;
  client: string;
  service: string;
  id: string;
  userId: string;
  issue: string;
  requestTime: string;
}

export interface ResponseFacts {
  id: string;
  status: number;
  bodySha256: string;
}

export function sha256(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Fixed key order: both sides must produce the same bytes. */
export function requestPayload(f: RequestFacts): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([f.method, f.path, f.bodySha256, f.client, f.service, f.id, f.userId, f.issue, f.requestTime]));
}

export function responsePayload(f: ResponseFacts): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([f.id, f.status, f.bodySha256]));
}

/** True when `jws` is a signature by `jwk` over exactly `payload`, with the expected content type. */
export async function verifiedBy(jwk: JWK, jws: string, payload: Uint8Array, cty: string): Promise<boolean> {
  try {
    const key = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
    const result = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    return result.protectedHeader.cty === cty && Buffer.from(result.payload).equals(Buffer.from(payload));
  } catch {
    return false;
  }
}
