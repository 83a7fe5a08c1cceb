import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import { chainHash, checkpointPayload, GENESIS_HASH, readSignedHead, type SignedHead } from './link-chain.ts';
import { entryDigest, type StoredEntryFields } from './record-entry.ts';

export interface ChainProblem {
  entryId: number | null;
  chainSeq: number | null;
  reason: string;
}

export interface ChainReport {
  valid: boolean;
  linked: number;
  unlinked: number;
  checkpoints: number;
  headSeq: number;
  /** The first thing found wrong, walking the chain from its start. */
  firstProblem: ChainProblem | null;
}

interface Row extends StoredEntryFields {
  id: number;
  entry_digest: string;
  chain_seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

const BATCH = 5000;

/**
 * Walk the whole chain and name the first bad entry: an edited entry no longer matches its
 * digest, a deleted, inserted or reordered one breaks the links, and a rewrite of the whole table
 * (every hash recomputed) no longer matches the checkpoints signed with the node key.
 */
export async function verifyChain(db: Db, keys: NodeKeys, opts: { headFile?: string } = {}): Promise<ChainReport> {
  // The linker keeps running while the chain is walked: entries, checkpoints and heads must come
  // from one snapshot, or a checkpoint signed meanwhile would look like deleted entries. The head
  // file is written after its checkpoint commits, so read before the snapshot it is never ahead of it.
  const signedHead = opts.headFile ? await readSignedHead(opts.headFile) : null;
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute((trx) => verifySnapshot(trx, keys, signedHead));
}

async function verifySnapshot(db: Tx, keys: NodeKeys, signedHead: SignedHead | null): Promise<ChainReport> {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let linked = 0;
  let firstProblem: ChainProblem | null = null;
  const note = (problem: ChainProblem) => {
    firstProblem ??= problem;
  };

  for (;;) {
    const { rows } = await sql<Row>`
      SELECT * FROM audit_entries WHERE chain_seq >= ${expectedSeq} ORDER BY chain_seq LIMIT ${BATCH}`.execute(db);
    for (const row of rows) {
      if (row.chain_seq !== expectedSeq) {
        note({ entryId: row.id, chainSeq: row.chain_seq, reason: `chain position ${expectedSeq} is missing (entry deleted?)` });
      } else if (entryDigest(row) !== row.entry_digest) {
        note({ entryId: row.id, chainSeq: row.chain_seq, reason: 'the entry was changed after it was written (digest mismatch)' });
      } else if (row.prev_hash !== prev) {
        note({ entryId: row.id, chainSeq: row.chain_seq, reason: 'the link to the previous entry is broken (entry inserted, deleted or reordered)' });
      } else if (row.hash !== chainHash(prev, row.entry_digest, row.chain_seq)) {
        note({ entryId: row.id, chainSeq: row.chain_seq, reason: 'the entry hash is wrong' });
      }
      if (firstProblem) break;
      prev = row.hash!;
      expectedSeq = row.chain_seq! + 1;
      linked += 1;
    }
    if (firstProblem || rows.length < BATCH) break;
  }
  const headSeq = expectedSeq - 1;

  const unlinkedRows = await sql<Row>`SELECT * FROM audit_entries WHERE chain_seq IS NULL ORDER BY id`.execute(db);
  for (const row of unlinkedRows.rows) {
    if (entryDigest(row) !== row.entry_digest) {
      note({ entryId: row.id, chainSeq: null, reason: 'an entry awaiting linking was changed (digest mismatch)' });
      break;
    }
  }

  const checkpoints = await sql<{ chain_seq: number; hash: string; signature: string }>`
    SELECT chain_seq, hash, signature FROM audit_checkpoints ORDER BY chain_seq`.execute(db);
  if (!firstProblem) {
    const hashesAt = await checkpointHashes(db, checkpoints.rows.map((c) => c.chain_seq));
    for (const checkpoint of checkpoints.rows) {
      const expectedPayload = new TextDecoder().decode(checkpointPayload(checkpoint.chain_seq, checkpoint.hash));
      let signedPayload: string;
      try {
        signedPayload = new TextDecoder().decode((await keys.verify(checkpoint.signature)).payload);
      } catch {
        note({ entryId: null, chainSeq: checkpoint.chain_seq, reason: 'a checkpoint signature is not valid for this node’s keys' });
        break;
      }
      if (signedPayload !== expectedPayload) {
        note({ entryId: null, chainSeq: checkpoint.chain_seq, reason: 'a checkpoint does not match what was signed' });
        break;
      }
      if (checkpoint.chain_seq > headSeq) {
        note({ entryId: null, chainSeq: checkpoint.chain_seq, reason: `entries up to position ${checkpoint.chain_seq} were signed but the chain ends at ${headSeq} (entries deleted)` });
        break;
      }
      if (hashesAt.get(checkpoint.chain_seq) !== checkpoint.hash) {
        note({ entryId: null, chainSeq: checkpoint.chain_seq, reason: 'the chain was rewritten: it no longer matches a signed checkpoint' });
        break;
      }
    }
  }

  // The linker signs its new head in the same transaction, so linked entries past the newest
  // checkpoint can only have been added by hand.
  const newest = checkpoints.rows[checkpoints.rows.length - 1];
  if (!firstProblem && newest && headSeq > newest.chain_seq) {
    const extra = await sql<{ id: number }>`SELECT id FROM audit_entries WHERE chain_seq = ${newest.chain_seq + 1}`.execute(db);
    note({ entryId: extra.rows[0]?.id ?? null, chainSeq: newest.chain_seq + 1, reason: 'entries were linked after the newest signed checkpoint (inserted by hand)' });
  }
  if (!firstProblem && linked > 0 && !newest) note({ entryId: null, chainSeq: 1, reason: 'linked entries have no signed checkpoint (checkpoints deleted)' });
  if (!firstProblem && signedHead) {
    let trusted = false;
    try {
      const payload = new TextDecoder().decode((await keys.verify(signedHead.signature)).payload);
      trusted = payload === new TextDecoder().decode(checkpointPayload(signedHead.chainSeq, signedHead.hash));
    } catch {
      trusted = false;
    }
    if (!trusted) note({ entryId: null, chainSeq: signedHead.chainSeq, reason: 'the head kept outside the database is not signed by this node' });
    else if (signedHead.chainSeq > headSeq) note({ entryId: null, chainSeq: signedHead.chainSeq, reason: `the chain once reached position ${signedHead.chainSeq} but now ends at ${headSeq} (newest entries and their checkpoints deleted)` });
    else if ((await checkpointHashes(db, [signedHead.chainSeq])).get(signedHead.chainSeq) !== signedHead.hash) note({ entryId: null, chainSeq: signedHead.chainSeq, reason: 'the chain no longer matches the head kept outside the database (rewritten)' });
  }

  return {
    valid: firstProblem === null,
    linked,
    unlinked: unlinkedRows.rows.length,
    checkpoints: checkpoints.rows.length,
    headSeq,
    firstProblem,
  };
}

async function checkpointHashes(db: Executor, seqs: number[]): Promise<Map<number, string>> {
  if (seqs.length === 0) return new Map();
  const { rows } = await sql<{ chain_seq: number; hash: string }>`
    SELECT chain_seq, hash FROM audit_entries WHERE chain_seq = ANY(${seqs}::bigint[])`.execute(db);
  return new Map(rows.map((r) => [r.chain_seq, r.hash]));
}
