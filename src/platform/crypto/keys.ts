import fs from 'node:fs/promises';
import path from 'node:path';
import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The node's Ed25519 signing key. It lives in DATA_DIR/keys (never in the repository or the
 * database), so someone who can rewrite the database still cannot forge the node's signatures.
 */
export interface NodeKeys {
  keyId: string;
  publicJwk: JWK;
  /** Public keys this node has used, current first: signatures by retired keys stay checkable. */
  knownPublicKeys(): JWK[];
  sign(payload: Uint8Array, contentType?: string): Promise<string>;
  verify(jws: string): Promise<{ payload: Uint8Array; keyId: string }>;
}

const ALG = 'EdDSA';

export class MissingNodeKey extends Error {}

/**
 * The node's key, created on first use. A checker (`audit verify`) passes `create: false`: run
 * against the wrong DATA_DIR it must say so, not make a fresh key and call every signature forged.
 */
export async function loadNodeKeys(dataDir: string, opts: { create?: boolean } = {}): Promise<NodeKeys> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, 'node-signing-key.jwk.json');
  if (opts.create !== false) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(await fs.readFile(file, 'utf8')) as JWK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (opts.create === false) throw new MissingNodeKey(`There is no node signing key in ${dir}. Run this with the DATA_DIR of the node whose audit log you are checking.`);
    const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    privateJwk = await exportJWK(privateKey);
    privateJwk.kid = await calculateJwkThumbprint(privateJwk);
    // Two processes may race to create the key: 'wx' lets exactly one win, the other reads it.
    await fs.writeFile(file, JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      privateJwk = JSON.parse(await fs.readFile(file, 'utf8')) as JWK;
    });
  }
  const { d: _secret, ...publicJwk } = privateJwk;
  const keyId = privateJwk.kid!;
  const retired = await readRetiredKeys(dir);
  const privateKey = await importJWK({ ...privateJwk, alg: ALG }, ALG);
  const all = [publicJwk, ...retired];
  return {
    keyId,
    publicJwk: { ...publicJwk, alg: ALG, use: 'sig' },
    knownPublicKeys: () => all,
    async sign(payload, contentType) {
      return new CompactSign(payload).setProtectedHeader({ alg: ALG, kid: keyId, ...(contentType ? { cty: contentType } : {}) }).sign(privateKey);
    },
    async verify(jws) {
      const result = await compactVerify(jws, async (header) => {
        const jwk = all.find((k) => k.kid === header.kid);
        if (!jwk) throw new Error(`unknown signing key ${header.kid}`);
        return importJWK({ ...jwk, alg: ALG }, ALG);
      });
      return { payload: result.payload, keyId: result.protectedHeader.kid ?? '' };
    },
  };
}

async function readRetiredKeys(dir: string): Promise<JWK[]> {
  const retiredDir = path.join(dir, 'retired');
  const names = await fs.readdir(retiredDir).catch(() => [] as string[]);
  const keys: JWK[] = [];
  for (const name of names.filter((n) => n.endsWith('.jwk.json'))) {
    const { d: _secret, ...pub } = JSON.parse(await fs.readFile(path.join(retiredDir, name), 'utf8')) as JWK;
    keys.push(pub);
  }
  return keys;
}
