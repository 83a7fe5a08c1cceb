import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { ALG, type AgencyJwk, type SigningKey } from './seal.ts';
import { currentKeyOf, insertKey, listKeys, retireCurrentKey, type KeyRow } from './store.ts';

/**
 * Each agency signs with its own Ed25519 key, made the first time the agency issues a document.
 * The private key is kept in the database sealed with AES-256-GCM under a key-encryption key (KEK)
 * in DATA_DIR/keys/esignature-kek.json, created on first use: app processes sharing DATA_DIR/keys
 * (as they share it for the audit key) all sign with the same agency keys, and someone holding
 * only a copy of the database signs nothing.
 */

interface Kek {
  id: string;
  key: Buffer;
}

const KEK_FILE = 'esignature-kek.json';
const SEAL_VERSION = 'v1';

export class MissingKeyEncryptionKey extends Error {}

async function loadKek(dataDir: string): Promise<Kek> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, KEK_FILE);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const read = async () => JSON.parse(await fs.readFile(file, 'utf8')) as { k: string };
  let stored: { k: string };
  try {
    stored = await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    stored = { k: randomBytes(32).toString('base64url') };
    // Two processes may race to create it: 'wx' lets exactly one win, the other reads the winner's.
    await fs.writeFile(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      stored = await read();
    });
  }
  const key = Buffer.from(stored.k, 'base64url');
  if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

/** The private key bound to its key id (as additional data), so a sealed key cannot be passed off as another. */
function seal(kek: Kek, kid: string, privateJwk: JWK): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(Buffer.from(`daftari-esignature-key:${kid}`));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final()]);
  return [SEAL_VERSION, iv, sealed, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

function unseal(kek: Kek, row: KeyRow): JWK {
  if (row.kekId !== kek.id) {
    throw new MissingKeyEncryptionKey(`The signing key ${row.kid} was sealed under key-encryption key ${row.kekId}, but DATA_DIR/keys/${KEK_FILE} holds ${kek.id}: give every process the same DATA_DIR/keys.`);
  }
  const [version, iv, sealed, tag] = (row.sealedPrivateKey ?? '').split('.');
  if (version !== SEAL_VERSION || !iv || !sealed || !tag) throw new Error(`The signing key ${row.kid} is sealed in an unknown format`);
  const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(`daftari-esignature-key:${row.kid}`));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8')) as JWK;
}

export interface Agency {
  id: string;
  code: string;
}

export class AgencyKeys {
  private kek: Promise<Kek> | undefined;
  /** Unsealed private keys by key id: a key never changes once made. */
  private readonly unsealed = new Map<string, SigningKey>();

  constructor(private readonly dataDir: string) {}

  private keyEncryptionKey(): Promise<Kek> {
    this.kek ??= loadKek(this.dataDir).catch((err: unknown) => {
      this.kek = undefined;
      throw err;
    });
    return this.kek;
  }

  /** A new current key for the agency; undefined when another transaction made one first. */
  private async create(trx: Tx, agency: Agency): Promise<KeyRow | undefined> {
    const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const publicJwk = { kty: privateJwk.kty!, crv: privateJwk.crv!, x: privateJwk.x! };
    const kid = await calculateJwkThumbprint(publicJwk);
    const kek = await this.keyEncryptionKey();
    return insertKey(trx, { kid, agencyId: agency.id, agencyCode: agency.code, publicJwk, sealedPrivateKey: seal(kek, kid, privateJwk), kekId: kek.id });
  }

  /** The agency's current key, made (and audited) in the caller's transaction if it has none. */
  async signingKey(trx: Tx, agency: Agency, actor: AuditActor, requestId: string | null): Promise<{ kid: string; key: SigningKey }> {
    let row = await currentKeyOf(trx, agency.id);
    if (!row) {
      const created = await this.create(trx, agency);
      if (created) {
        await recordAudit(trx, { actor, agencyId: agency.id, action: 'esignature.create-key', subjectType: 'signing-key', subjectId: created.kid, requestId, details: { agency: agency.code } });
      }
      row = created ?? (await currentKeyOf(trx, agency.id));
    }
    if (!row) throw new Error(`agency ${agency.code} has no signing key`);
    return { kid: row.kid, key: await this.privateKey(row) };
  }

  private async privateKey(row: KeyRow): Promise<SigningKey> {
    let key = this.unsealed.get(row.kid);
    if (!key) {
      key = await importJWK({ ...unseal(await this.keyEncryptionKey(), row), alg: ALG }, ALG);
      this.unsealed.set(row.kid, key);
    }
    return key;
  }

  /** Retire the agency's current key (its public half still verifies what it signed; its private half is erased) and make a new one. */
  async rotate(trx: Tx, agency: Agency, actor: AuditActor, requestId: string | null): Promise<{ kid: string; retired: string[]; createdAt: Date }> {
    const retired = await retireCurrentKey(trx, agency.id);
    const row = await this.create(trx, agency);
    if (!row) throw Problem.conflict(`The key of ${agency.code} was just rotated by another request.`);
    await recordAudit(trx, { actor, agencyId: agency.id, action: 'esignature.rotate-key', subjectType: 'signing-key', subjectId: row.kid, requestId, details: { agency: agency.code, retired } });
    return { kid: row.kid, retired, createdAt: row.createdAt };
  }
}

/** Every agency key, current and retired, as a JWKS publishes them: retired keys still verify old documents. */
export async function publishedKeys(executor: Executor): Promise<AgencyJwk[]> {
  return (await listKeys(executor)).map(agencyJwk);
}

export function agencyJwk(row: KeyRow): AgencyJwk {
  return {
    kty: row.publicJwk.kty,
    crv: row.publicJwk.crv,
    x: row.publicJwk.x,
    kid: row.kid,
    alg: ALG,
    use: 'sig',
    daftari_agency: row.agencyCode,
    daftari_status: row.retiredAt ? 'retired' : 'current',
  };
}
