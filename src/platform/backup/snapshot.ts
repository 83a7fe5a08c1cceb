import { createHash } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import type pg from 'pg';

/**
 * What a backup holds and how a table is read: shared by `daftari backup` and `daftari restore`,
 * so the bytes hashed when a table is written out are produced the same way when it is checked
 * back in.
 */
export const BACKUP_FORMAT = 1;
export const MANIFEST_FILE = 'manifest.json';

export interface TableSnapshot {
  schema: string;
  name: string;
  /** Stored columns in table order; generated columns are recomputed on restore. */
  columns: string[];
  /** COPY text rows, gzip-compressed, relative to the backup directory. */
  file: string;
  rows: number;
  /** sha256 of the uncompressed COPY text. */
  sha256: string;
}

export interface SequenceSnapshot {
  schema: string;
  name: string;
  lastValue: number;
  isCalled: boolean;
}

export interface FileTreeSnapshot {
  files: number;
  bytes: number;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  serverVersion: string;
  migrations: string[];
  tables: TableSnapshot[];
  sequences: SequenceSnapshot[];
  blobs: FileTreeSnapshot;
  keys: FileTreeSnapshot;
}

/** Migration bookkeeping belongs to the code that restores, not to the backup's data. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const qualified = (t: { schema: string; name: string }) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;

export interface TableShape {
  schema: string;
  name: string;
  columns: string[];
  primaryKey: string[];
}

/** Every ordinary table the platform's migrations made, outside PostgreSQL's own schemas. */
export async function tablesToCopy(client: pg.ClientBase): Promise<TableShape[]> {
  const { rows } = await client.query<{ schema: string; name: string; columns: string[]; primary_key: string[] | null }>(`
    SELECT n.nspname AS schema, c.relname AS name,
      array(SELECT a.attname::text FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attnum) AS columns,
      (SELECT array_agg(a.attname::text ORDER BY k.ord)
         FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY n.nspname, c.relname`);
  return rows
    .filter((r) => !MIGRATION_TABLES.has(r.name))
    .map((r) => ({ schema: r.schema, name: r.name, columns: r.columns, primaryKey: r.primary_key ?? [] }));
}

/**
 * A table's rows in a stable order (by primary key where it has one), so the same data always
 * gives the same bytes and a restored table can be compared with its backup by hash.
 */
export function copyOutQuery(table: TableShape): string {
  const order = table.primaryKey.length > 0 ? ` ORDER BY ${table.primaryKey.map(quoteIdent).join(', ')}` : '';
  return `COPY (SELECT ${table.columns.map(quoteIdent).join(', ')} FROM ${qualified(table)}${order}) TO STDOUT`;
}

/** Hashes COPY text as it streams past and counts its rows (one newline each in text format). */
export class CopyDigest {
  private readonly hash = createHash('sha256');
  rows = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /** Passes the stream on, digesting it on the way. */
  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.update(chunk);
        done(null, chunk);
      },
    });
  }

  /** The end of a pipeline that only digests. */
  sink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.update(chunk);
        done();
      },
    });
  }
}

/** One connection, one transaction begun as asked, committed when the work succeeds and rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function sequencesToCopy(client: pg.ClientBase): Promise<Array<{ schema: string; name: string }>> {
  const { rows } = await client.query<{ schema: string; name: string }>(`
    SELECT schemaname AS schema, sequencename AS name FROM pg_sequences
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`);
  return rows;
}
