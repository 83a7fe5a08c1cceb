import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Where a node keeps its newest signed audit head, beside its signing key. */
export function auditHeadFile(dataDir: string): string {
  return `${dataDir}/keys/audit-head.json`;
}
// pg_advisory lock key: one linker across all app processes on this database.
const LINKER_LOCK = 7_262_001;

export function chainHash(prevHash: string, entryDigest: string, chainSeq: number): string {
  return createHash('sha256').update(`${prevHash}\n${entryDigest}\n${chainSeq}`).digest('hex');
}

export function checkpointPayload(chainSeq: number, hash: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ typ: 'daftari-audit-checkpoint', chainSeq, hash }));
}

/**
 * Give committed, unlinked entries the next positions in the chain (in id order among those
 * visible now; an entry whose transaction commits later simply gets a later position), then sign
 * a checkpoint of the new head with the node key. Returns how many entries were linked.
 */
export interface SignedHead {
  chainSeq: number;
  hash: string;
  signature: string;
}

export interface LinkOptions {
  /**
   * A file outside the database (in DATA_DIR) that keeps the newest signed head, so deleting the
   * newest entries together with their checkpoints is still caught.
   */
  headFile?: string;
  batchSize?: number;
}

export async function linkChain(db: Db, keys: NodeKeys, opts: LinkOptions = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 5000;
  let head: SignedHead | null = null;
  const linked = await db.transaction().execute(async (trx) => {
    const locked = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${LINKER_LOCK}) AS ok`.execute(trx);
    if (!locked.rows[0]?.ok) return 0;
    const last = await sql<{ chain_seq: number; hash: string }>`
      SELECT chain_seq, hash FROM audit_entries WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1`.execute(trx);
    let seq = last.rows[0]?.chain_seq ?? 0;
    let prev = last.rows[0]?.hash ?? GENESIS_HASH;
    const pending = await sql<{ id: number; entry_digest: string }>`
      SELECT id, entry_digest FROM audit_entries WHERE chain_seq IS NULL ORDER BY id LIMIT ${batchSize}`.execute(trx);
    if (pending.rows.length === 0) return 0;
    const ids: number[] = [];
    const seqs: number[] = [];
    const prevs: string[] = [];
    const hashes: string[] = [];
    for (const row of pending.rows) {
      seq += 1;
      const hash = chainHash(prev, row.entry_digest, seq);
      ids.push(row.id);
      seqs.push(seq);
      prevs.push(prev);
      hashes.push(hash);
      prev = hash;
    }
    await sql`
      UPDATE audit_entries AS e SET chain_seq = v.seq, prev_hash = v.prev, hash = v.hash
      FROM unnest(${ids}::bigint[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[]) AS v(id, seq, prev, hash)
      WHERE e.id = v.id`.execute(trx);
    const signature = await keys.sign(checkpointPayload(seq, prev), 'daftari-audit-checkpoint');
    await sql`INSERT INTO audit_checkpoints (chain_seq, hash, key_id, signature) VALUES (${seq}, ${prev}, ${keys.keyId}, ${signature})`.execute(trx);
    head = { chainSeq: seq, hash: prev, signature };
    return pending.rows.length;
  });
  if (head && opts.headFile) await keepNewestHead(opts.headFile, head);
  return linked;
}

async function keepNewestHead(file: string, head: SignedHead): Promise<void> {
  const current = await readSignedHead(file);
  if (current && current.chainSeq >= head.chainSeq) return;
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(head), { mode: 0o600 });
  await fs.rename(temporary, file);
}

export async function readSignedHead(file: string): Promise<SignedHead | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SignedHead;
  } catch {
    return null;
  }
}

/** Link until nothing is left; used by `audit verify` and tests. */
export async function linkAll(db: Db, keys: NodeKeys, opts: LinkOptions = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await linkChain(db, keys, opts);
    total += n;
    if (n === 0) return total;
  }
}
