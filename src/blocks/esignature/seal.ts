import { base64url, CompactSign, decodeProtectedHeader, flattenedVerify, importJWK, type JWK } from 'jose';
import { sha256Hex } from '../../platform/files/blob-store.ts';
import { appendInfoUpdate, readInfoUpdate } from '../../platform/pdf/index.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { DocumentFact } from './index.ts';

/**
 * The seal of an issued document, the part of this block that needs no database: the payload an
 * agency signs, the detached JWS over it, and how both travel inside the PDF. docs/esignature.md
 * describes the format for anyone writing their own checker.
 */

export const ALG = 'EdDSA';
/** Entries of the PDF's information dictionary that carry the seal. */
export const PAYLOAD_ENTRY = 'DaftariPayload';
export const SIGNATURE_ENTRY = 'DaftariSignature';

/** What the agency signs: canonical JSON of this, exactly as embedded. */
export interface DocumentPayload {
  v: 1;
  id: string;
  kind: string;
  /** The issuing agency's code; the signing key must be published for that agency. */
  agency: string;
  issuedAt: string;
  validUntil: string | null;
  title: string;
  holder: string | null;
  locale: string;
  facts: DocumentFact[];
  /** SHA-256 (hex) of the PDF's bytes before the update that carries the seal. */
  pdfSha256: string;
}

/** The public half of an Ed25519 key, as a JWK. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
}

/** A public key as /.well-known/jwks.json publishes it: a JWK, with the agency it signs for. */
export interface AgencyJwk extends PublicJwk {
  kid: string;
  alg: string;
  use: string;
  daftari_agency: string;
  daftari_status: 'current' | 'retired';
}

const encoder = new TextEncoder();

export type SigningKey = Parameters<CompactSign['sign']>[0];

/** A JWS in compact form with its payload left out (RFC 7515 appendix F): `header..signature`. */
export async function signDetached(payloadText: string, key: SigningKey, kid: string): Promise<string> {
  const jws = await new CompactSign(encoder.encode(payloadText)).setProtectedHeader({ alg: ALG, kid }).sign(key);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

export function payloadText(payload: DocumentPayload): string {
  return canonicalJson(payload);
}

/** The final file: the rendered PDF, with the payload and its JWS appended as an incremental update. */
export function sealPdf(content: Buffer, text: string, jws: string): Buffer {
  return appendInfoUpdate(content, { [PAYLOAD_ENTRY]: text, [SIGNATURE_ENTRY]: jws });
}

export type SealProblem =
  /** No seal this block writes: not issued here, cut short, or saved again by some program. */
  | 'not-sealed'
  | 'malformed'
  /** Signed with a key the JWKS does not hold. */
  | 'unknown-key'
  /** The key is published for another agency than the payload names. */
  | 'wrong-agency'
  | 'bad-signature'
  /** The signature holds, but the PDF content is not what was signed. */
  | 'content-altered';

export type SealCheck =
  | { valid: true; payload: DocumentPayload; kid: string }
  | { valid: false; problem: SealProblem; payload?: DocumentPayload };

function parsePayload(text: string): DocumentPayload | null {
  try {
    const value = JSON.parse(text) as DocumentPayload;
    const wellFormed =
      value !== null && typeof value === 'object' && value.v === 1 && typeof value.id === 'string' && typeof value.agency === 'string' &&
      typeof value.kind === 'string' && typeof value.issuedAt === 'string' && typeof value.title === 'string' && Array.isArray(value.facts) &&
      typeof value.pdfSha256 === 'string' && /^[0-9a-f]{64}$/.test(value.pdfSha256);
    return wellFormed ? value : null;
  } catch {
    return null;
  }
}

/** Does `jws` sign `text` with a key in `keys` published for the agency the payload names? */
export async function verifyPayload(text: string, jws: string, keys: readonly { kid?: string }[]): Promise<SealCheck> {
  const payload = parsePayload(text);
  const parts = jws.split('.');
  if (!payload || parts.length !== 3 || parts[1] !== '') return { valid: false, problem: 'malformed' };
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    return { valid: false, problem: 'malformed', payload };
  }
  const jwk = keys.find((k) => k.kid === kid) as Partial<AgencyJwk> | undefined;
  if (!kid || !jwk) return { valid: false, problem: 'unknown-key', payload };
  if (jwk.daftari_agency !== payload.agency) return { valid: false, problem: 'wrong-agency', payload };
  try {
    const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, alg: ALG } as JWK, ALG);
    await flattenedVerify({ protected: parts[0]!, payload: base64url.encode(encoder.encode(text)), signature: parts[2]! }, key, { algorithms: [ALG] });
  } catch {
    return { valid: false, problem: 'bad-signature', payload };
  }
  return { valid: true, payload, kid };
}

/**
 * Check a file offline: it must end in the seal's update, the JWS must verify with the agency's
 * published key, and the bytes before the update must hash to what the payload says.
 */
export async function checkSealedPdf(file: Buffer, keys: readonly { kid?: string }[]): Promise<SealCheck> {
  const update = readInfoUpdate(file);
  const text = update?.info[PAYLOAD_ENTRY];
  const jws = update?.info[SIGNATURE_ENTRY];
  if (!update || text === undefined || jws === undefined) return { valid: false, problem: 'not-sealed' };
  const check = await verifyPayload(text, jws, keys);
  if (!check.valid) return check;
  if (sha256Hex(update.original) !== check.payload.pdfSha256) return { valid: false, problem: 'content-altered', payload: check.payload };
  return check;
}
