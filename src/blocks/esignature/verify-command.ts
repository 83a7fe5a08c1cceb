import { readFile } from 'node:fs/promises';
import { checkSealedPdf, type SealProblem } from './seal.ts';

/** `daftari verify`'s exit codes. */
export const GENUINE = 0;
export const NOT_GENUINE = 1;
export const USAGE = 2;

export class VerifyUsageError extends Error {}

const PROBLEMS: Record<SealProblem, string> = {
  'not-sealed': 'it carries no Daftari signature (it was not issued by Daftari, was cut short, or was saved again by another program)',
  malformed: 'its embedded signature is malformed',
  'unknown-key': 'it is signed with a key the JWKS does not hold',
  'wrong-agency': 'it is signed with a key of another agency than the one it names',
  'bad-signature': 'its signature does not match its signed data',
  'content-altered': 'its content was changed after it was signed',
};

async function readJwks(source: string): Promise<{ kid?: string }[]> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const response = await fetch(source, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) }).catch((err: Error) => {
      throw new VerifyUsageError(`Could not fetch the public keys from ${source}: ${err.message}`);
    });
    if (!response.ok) throw new VerifyUsageError(`Could not fetch the public keys from ${source}: HTTP ${response.status}`);
    text = await response.text();
  } else {
    text = await readFile(source, 'utf8').catch((err: Error) => {
      throw new VerifyUsageError(`Could not read the public keys from ${source}: ${err.message}`);
    });
  }
  let keys: unknown;
  try {
    keys = (JSON.parse(text) as { keys?: unknown }).keys;
  } catch {
    keys = undefined;
  }
  if (!Array.isArray(keys)) throw new VerifyUsageError(`${source} is not a JWKS (a JSON object with a "keys" list)`);
  return keys as { kid?: string }[];
}

/** Signed text can hold what an applicant typed: never let it drive the terminal (escape sequences). */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');

/**
 * Check a signed PDF offline against the agencies' published keys, and say what it is. Whether
 * the document has been revoked since is only known online: the output says where to look.
 */
export async function verifyFile(file: string, jwksSource: string, print: (line: string) => void): Promise<number> {
  const bytes = await readFile(file).catch((err: Error) => {
    throw new VerifyUsageError(`Could not read ${file}: ${err.message}`);
  });
  const keys = await readJwks(jwksSource);
  const check = await checkSealedPdf(bytes, keys);
  if (!check.valid) {
    print(`NOT GENUINE: ${file}: ${PROBLEMS[check.problem]}.`);
    return NOT_GENUINE;
  }
  const { payload } = check;
  print(`GENUINE: ${file} is document ${printable(payload.id)}, issued by ${printable(payload.agency)} and signed with its key ${printable(check.kid)}.`);
  print(`  Title: ${printable(payload.title)}`);
  if (payload.holder) print(`  Issued to: ${printable(payload.holder)}`);
  print(`  Issued at: ${printable(payload.issuedAt)}`);
  print(`  Valid until: ${payload.validUntil ? printable(payload.validUntil) : 'no end date'}`);
  for (const fact of payload.facts) print(`  ${printable(fact.label)}: ${printable(fact.value)}`);
  print(`Whether it has been revoked since is shown at the issuer's /verify/${printable(payload.id)}.`);
  return GENUINE;
}
