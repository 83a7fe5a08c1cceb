import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';

// Money and counts come back as strings unless told otherwise; bigint ids fit in a JS number
// for the lifetime of any realistic deployment, numeric money stays a string on purpose.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * The platform hands every block the same connection. A block's store narrows it to its own
 * tables with `tablesOf<BlockTables>(db)`, so a block cannot query another block's tables
 * without saying so in its types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tx = Transaction<any>;
export type Executor = Db | Tx;

export function tablesOf<T>(db: Executor): Kysely<T> {
  return db as unknown as Kysely<T>;
}

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function openDatabase(url: string, opts: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'daftari',
    idleTimeoutMillis: 30_000,
  });
  // A client losing its connection (server restart or crash) must not crash the process: an idle
  // one is reported here, and one checked out (inside a transaction, between two statements) emits
  // 'error' on itself, which the statement in flight also sees and the request answers with 503.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }) as Db;
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close() {
      closed ??= db.destroy();
      return closed;
    },
  };
}
