import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Each test file gets its own database, cloned from a template that scripts/run-tests.ts
 * prepared on the run's one PostgreSQL server: migrated and empty, or with the demo data too.
 */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests with "npm test" (scripts/run-tests.ts), which prepares the database server`);
  return value;
}

export function serverUrl(database: string): string {
  const url = new URL(env('DAFTARI_TEST_SERVER_URL'));
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(opts: { demo?: boolean } = {}): Promise<TestDatabase> {
  const template = env(opts.demo ? 'DAFTARI_TEST_DEMO_TEMPLATE' : 'DAFTARI_TEST_TEMPLATE');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return {
    url: serverUrl(name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl('postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
