import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { checkBlob } from './create-backup.ts';
import { copyTree } from './file-trees.ts';
import { BACKUP_FORMAT, copyOutQuery, CopyDigest, inTransaction, MANIFEST_FILE, qualified, quoteIdent, tablesToCopy, type Manifest, type TableSnapshot } from './snapshot.ts';

export class BackupRefused extends Error {}

export interface RestoreOptions {
  pool: pg.Pool;
  /** The DATA_DIR of the node being restored: blobs and keys go back there. */
  dataDir: string;
  source: string;
  /** Migration names the running code knows, in order: the backup must have been made at the same point. */
  migrations: string[];
}

async function readManifest(source: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(source, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (err) {
    throw new BackupRefused(`${source} is not a Daftari backup: ${(err as Error).message}`);
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupRefused(`backup format ${String(manifest.format)} is not supported (expected ${BACKUP_FORMAT})`);
  return manifest;
}

async function digestOf(...streams: [NodeJS.ReadableStream, ...NodeJS.ReadWriteStream[]]): Promise<CopyDigest> {
  const digest = new CopyDigest();
  await pipeline([...streams, digest.sink()]);
  return digest;
}

function mismatch(table: TableSnapshot, what: string, digest: CopyDigest): string | null {
  const sha = digest.digest();
  if (digest.rows !== table.rows) return `${qualified(table)} ${what} ${digest.rows} rows, the manifest says ${table.rows}`;
  if (sha !== table.sha256) return `${qualified(table)} ${what} data whose hash differs from the manifest`;
  return null;
}

/**
 * Restores a backup into a migrated, empty database, all or nothing: every file is checked against
 * the manifest before anything is written, the rows are loaded in one transaction (foreign keys and
 * triggers held off, as the rows were consistent when read), and each table is hashed again before
 * commit.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<Manifest> {
  const manifest = await readManifest(opts.source);
  if (manifest.migrations.join('\n') !== opts.migrations.join('\n')) {
    throw new BackupRefused('the backup was made by another version of Daftari (its migrations differ from this one\'s): restore it with the version that made it, then upgrade');
  }
  for (const table of manifest.tables) {
    const problem = mismatch(table, 'file holds', await digestOf(createReadStream(path.join(opts.source, table.file)), createGunzip()));
    if (problem) throw new BackupRefused(`the backup is damaged: ${problem}`);
  }
  await inTransaction(opts.pool, 'BEGIN', async (client) => {
    const present = new Map((await tablesToCopy(client)).map((t) => [`${t.schema}.${t.name}`, t]));
    for (const table of manifest.tables) {
      if (!present.has(`${table.schema}.${table.name}`)) throw new BackupRefused(`this database has no table ${qualified(table)}`);
    }
    for (const table of present.values()) {
      const { rowCount } = await client.query(`SELECT 1 FROM ${qualified(table)} LIMIT 1`);
      if (rowCount) throw new BackupRefused(`the database is not empty (${qualified(table)} has rows): restore into a new database`);
    }
    // Files first: both trees only ever gain files, and a key that would replace another stops
    // the restore before the database is touched.
    await copyTree(path.join(opts.source, 'keys'), path.join(opts.dataDir, 'keys'));
    await copyTree(path.join(opts.source, 'blobs'), path.join(opts.dataDir, 'blobs'), { check: checkBlob });

    // Rows go in table by table, not in the order of their references: hold off the checks that
    // would see a half-loaded database (superuser only, as restoring a whole node is).
    await client.query('SET LOCAL session_replication_role = replica');
    for (const table of manifest.tables) {
      const columns = table.columns.map(quoteIdent).join(', ');
      await pipeline(createReadStream(path.join(opts.source, table.file)), createGunzip(), client.query(copyFrom(`COPY ${qualified(table)} (${columns}) FROM STDIN`)));
      const problem = mismatch(table, 'restored with', await digestOf(client.query(copyTo(copyOutQuery({ ...table, primaryKey: present.get(`${table.schema}.${table.name}`)!.primaryKey })))));
      if (problem) throw new BackupRefused(`the restore did not reproduce the backup: ${problem}`);
    }
    for (const seq of manifest.sequences) {
      await client.query('SELECT setval($1::regclass, $2, $3)', [qualified(seq), seq.lastValue, seq.isCalled]);
    }
  });
  return manifest;
}
