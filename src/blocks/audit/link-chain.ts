import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';

export const GENESIS_HASH = '0'.repeat(64);
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
export async function linkChain(db: Db, keys: NodeKeys, batchSize = 5000): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const locked = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${LINKER_LOCK}) AS ok`.execute(trx);
    if (!locked.rows[0]?.ok) return 0;
    const head = await sql<{ chain_seq: number; hash: string }>`
      SELECT chain_seq, hash FROM audit_entries WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1`.execute(trx);
    let seq = head.rows[0]?.chain_seq ?? 0;
    let prev = head.rows[0]?.hash ?? GENESIS_HASH;
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
    return pending.rows.length;
  });
}

/** Link until nothing is left; used by `audit verify` and tests. */
export async function linkAll(db: Db, keys: NodeKeys): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await linkChain(db, keys);
    total += n;
    if (n === 0) return total;
  }
}
