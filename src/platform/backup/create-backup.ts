import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { sha256Hex } from '../files/blob-store.ts';
import { copyTree } from './file-trees.ts';
import {
  BACKUP_FORMAT, copyOutQuery, CopyDigest, inTransaction, MANIFEST_FILE, qualified, sequencesToCopy, tablesToCopy,
  type Manifest, type SequenceSnapshot, type TableSnapshot,
} from './snapshot.ts';

export interface BackupOptions {
  pool: pg.Pool;
  /** The node's DATA_DIR: its blob store and keys are part of the backup. */
  dataDir: string;
  /** A new directory; the backup holds the node's private keys, so it is made readable by its owner only. */
  target: string;
}

/**
 * Writes the whole database as one consistent snapshot (every table read in a single
 * repeatable-read transaction while the app keeps running), then the blob store and the keys.
 * Blobs are never deleted or changed, so copying them after the snapshot includes every blob the
 * snapshot refers to. COPY text is portable across PostgreSQL versions, and needs no pg_dump of the
 * server's major version on the machine.
 */
export async function createBackup(opts: BackupOptions): Promise<Manifest> {
  await fs.mkdir(opts.target, { mode: 0o700 });
  await fs.mkdir(path.join(opts.target, 'tables'), { mode: 0o700 });
  const { serverVersion, migrations, tables, sequences } = await inTransaction(opts.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
    const tables: TableSnapshot[] = [];
    const sequences: SequenceSnapshot[] = [];
    const serverVersion = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const migrations = (await client.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name')).rows.map((r) => r.name);
    for (const table of await tablesToCopy(client)) {
      const file = `tables/${table.schema}.${table.name}.copy.gz`;
      const digest = new CopyDigest();
      await pipeline(client.query(copyTo(copyOutQuery(table))), digest.tap(), createGzip(), createWriteStream(path.join(opts.target, file), { flags: 'wx', mode: 0o600 }));
      tables.push({ schema: table.schema, name: table.name, columns: table.columns, file, rows: digest.rows, sha256: digest.digest() });
    }
    for (const seq of await sequencesToCopy(client)) {
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${qualified(seq)}`);
      sequences.push({ ...seq, lastValue: Number(rows[0]!.last_value), isCalled: rows[0]!.is_called });
    }
    return { serverVersion, migrations, tables, sequences };
  });
  const blobs = await copyTree(path.join(opts.dataDir, 'blobs'), path.join(opts.target, 'blobs'), { check: checkBlob });
  const keys = await copyTree(path.join(opts.dataDir, 'keys'), path.join(opts.target, 'keys'));
  const manifest: Manifest = { format: BACKUP_FORMAT, createdAt: new Date().toISOString(), serverVersion, migrations, tables, sequences, blobs, keys };
  await fs.writeFile(path.join(opts.target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return manifest;
}

/** A blob is stored under its own hash: one that no longer matches it is damage, not data. */
export function checkBlob(relative: string, bytes: Buffer): void {
  if (path.basename(relative) !== sha256Hex(bytes)) throw new Error(`blob ${relative} does not match its hash`);
}
