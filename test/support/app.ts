import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildDaftari, type Daftari } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/platform/log.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { freePort } from './ports.ts';

import { DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';

export { DEMO_PASSWORD };

export interface TestApp extends Daftari {
  config: Config;
  testDb: TestDatabase;
  /** Base URL when started with `listen: true`. */
  url: string;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment, as an operator would set it. */
  env?: Record<string, string>;
  /** Start from the demo data: agencies, accounts, services, registries (default true; seeded once per run). */
  seed?: boolean;
  /** Listen on a real port (browser, OIDC and multi-process tests); otherwise use inject(). */
  listen?: boolean;
  /** Reuse a database (e.g. a second app process on the same data). */
  database?: TestDatabase;
  /** Log here instead (e.g. to capture the lines); by default a logger at TEST_LOG_LEVEL. */
  log?: Logger;
}

/** A whole Daftari on its own fresh database, demo data included; no background timers unless started. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const seeded = opts.seed !== false && !opts.database;
  const testDb = opts.database ?? (await createTestDatabase({ demo: seeded }));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-test-'));
  // A listening app knows its address before it starts, so callbacks from gateways (BASE_URL) reach it.
  const port = opts.listen ? await freePort() : 0;
  const listenAt = { PORT: String(port), ...(opts.listen ? { BASE_URL: `http://127.0.0.1:${port}` } : {}) };
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: testDb.url, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...listenAt, ...opts.env });
  const log = opts.log ?? createLogger(config.logLevel);
  const daftari = await buildDaftari({ config, log, databaseUrl: testDb.url, migrate: false });

  let url = '';
  if (opts.listen) {
    await daftari.app.listen({ port, host: '127.0.0.1' });
    url = `http://127.0.0.1:${port}`;
  }
  return {
    ...daftari,
    config,
    testDb,
    url,
    async stop() {
      await daftari.close();
      if (!opts.database) await testDb.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Cookies a browser would hold, carried from response to request. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: LightMyRequestResponse | Response): void {
    const headers = 'cookies' in response
      ? response.cookies.map((c) => ({ name: c.name, value: c.value, gone: c.maxAge === 0 || (c.expires !== undefined && new Date(c.expires).getTime() < Date.now()) }))
      : (response.headers.getSetCookie?.() ?? []).map((line) => {
          const [pair = ''] = line.split(';');
          const [name = '', ...rest] = pair.split('=');
          return { name: name.trim(), value: rest.join('='), gone: /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) };
        });
    for (const c of headers) {
      if (c.gone || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A signed-in browser session against an app: cookies plus the CSRF token pages carry. */
export interface Session {
  jar: CookieJar;
  csrf: string;
  cookie(): string;
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('page has no CSRF field');
  return match[1]!;
}

/** Sign in through the HTML form, as a person would. */
export async function signIn(app: TestApp, username: string, password: string): Promise<Session> {
  const jar = new CookieJar();
  const page = await app.app.inject({ method: 'GET', url: '/sign-in' });
  jar.store(page);
  const csrf = csrfFrom(page.body);
  const response = await app.app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, username, password, next: '/account' }).toString(),
  });
  if (response.statusCode !== 303) throw new Error(`sign-in as ${username} failed: ${response.statusCode} ${response.body.slice(0, 300)}`);
  jar.store(response);
  const account = await app.app.inject({ method: 'GET', url: '/account', headers: { cookie: jar.header() } });
  jar.store(account);
  return { jar, csrf: csrfFrom(account.body), cookie: () => jar.header() };
}

/** Headers for a JSON call made with a session: cookie and CSRF token. */
export function asSession(session: Session): Record<string, string> {
  return { cookie: session.cookie(), 'x-csrf-token': session.csrf };
}

/** Demo accounts signed in at once (each with the demo password). */
export function signInDemo<const U extends readonly string[]>(app: TestApp, ...usernames: U): Promise<{ [K in keyof U]: Session }> {
  return Promise.all(usernames.map((username) => signIn(app, username, DEMO_PASSWORD))) as Promise<{ [K in keyof U]: Session }>;
}

/** A new citizen, as one opens an account, signed in: someone who is no party to the demo's cases. */
export async function registerCitizen(app: TestApp, username: string, displayName: string): Promise<Session> {
  const password = 'another-long-passphrase';
  const registered = await app.app.inject({ method: 'POST', url: '/api/identity/registrations', payload: { username, displayName, email: `${username}@example.org`, password } });
  if (registered.statusCode !== 201) throw new Error(`registering ${username} failed: ${registered.statusCode} ${registered.body}`);
  return signIn(app, username, password);
}
