import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CookieJar, csrfFrom } from '../test/support/app.ts';
import { postgresProcessesOf, queryEmbedded } from '../test/support/embedded-postgres.ts';
import { freePort } from '../test/support/ports.ts';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo/seed-demo.ts';
import { ECABINET_DEMO_ACCOUNTS } from './usecases/ecabinet/index.ts';

const CLI = path.resolve(import.meta.dirname, '../bin/daftari.js');

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** `npm start` as an operator runs it: its own process group, JSON logs on standard output. */
class Serve {
  readonly logs: LogLine[] = [];
  readonly child: ChildProcess;
  private readonly waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  private readonly exit: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      for (const text of lines.filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        this.logs.push(line);
        for (const waiter of this.waiters.filter((w) => w.match(line))) waiter.resolve(line);
      }
    });
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves with the first log line (past or future) that matches; rejects if the process exits first. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiters.push({ match, resolve });
      void this.exit.then((code) => reject(new Error(`daftari serve exited with ${code} before logging what the test waited for`)));
    });
  }

  exited(): Promise<number | null> {
    return this.exit;
  }
}

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-serve-'));
const port = await freePort();
const pgPort = await freePort();
const origin = `http://127.0.0.1:${port}`;
const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(pgPort), DATABASE_URL: '', LOG_LEVEL: 'info' };
const started: Serve[] = [];

function serve(): Serve {
  const server = new Serve(env);
  started.push(server);
  return server;
}

const serving = (line: LogLine) => line.msg.startsWith('Daftari is serving at');

/** GET /sign-in for the CSRF cookie and token, as a browser loading the form would. */
async function openSignInForm(): Promise<{ jar: CookieJar; csrf: string }> {
  const jar = new CookieJar();
  const page = await fetch(`${origin}/sign-in`);
  jar.store(page);
  return { jar, csrf: csrfFrom(await page.text()) };
}

function signInForm(csrf: string, username: string): string {
  return new URLSearchParams({ _csrf: csrf, username, password: DEMO_PASSWORD, next: '/account' }).toString();
}

/**
 * Posts the sign-in form but holds back the end of the body until `meanwhile` has run, so the
 * request is certainly in flight (the server has logged it) while `meanwhile` happens.
 */
async function signInAround(server: Serve, username: string, meanwhile: () => Promise<void>): Promise<{ status: number; location: string | undefined }> {
  const { jar, csrf } = await openSignInForm();
  const body = signInForm(csrf, username);
  const requestId = `in-flight-${username}`;
  const request = http.request(`${origin}/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie: jar.header(), 'x-request-id': requestId },
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  request.write(body.slice(0, 10));
  await server.waitForLog((line) => line.reqId === requestId && line.msg === 'incoming request');
  await meanwhile();
  request.end(body.slice(10));
  const res = await response;
  res.resume();
  return { status: res.statusCode!, location: res.headers.location };
}

describe('npm start (daftari serve) with the embedded database', () => {
  before(async () => {
    // A first start initialises the cluster, migrates and seeds; later tests build on that DATA_DIR.
    await serve().waitForLog(serving);
  });

  after(async () => {
    for (const server of started.filter((s) => s.child.exitCode === null && s.child.signalCode === null)) {
      server.child.kill('SIGTERM');
      await server.exited();
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('serves the portal, /health and /ready', async () => {
    const home = await fetch(`${origin}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/);

    const health = await fetch(`${origin}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });

    const ready = await fetch(`${origin}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
  });

  test('logs the URL it serves and every demo account with the shared password', async () => {
    const [first] = started;
    assert.ok(first!.logs.some((line) => line.msg === `Daftari is serving at http://localhost:${port}`));
    const accounts = first!.logs.find((line) => line.msg.startsWith('demo accounts'));
    assert.ok(accounts, 'a log line lists the demo accounts');
    assert.ok(accounts.msg.includes(DEMO_PASSWORD));
    const listed = accounts.accounts as string[];
    for (const account of [...DEMO_ACCOUNTS, ...ECABINET_DEMO_ACCOUNTS]) {
      assert.ok(listed.some((entry) => entry.startsWith(`${account.username} (`)), `${account.username} is listed`);
    }
  });

  test('a demo account signs in through the HTML form', async () => {
    const { jar, csrf } = await openSignInForm();

    const signedIn = await fetch(`${origin}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: signInForm(csrf, 'amina'),
    });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/account');
    jar.store(signedIn);

    const account = await fetch(`${origin}/account`, { headers: { cookie: jar.header() }, redirect: 'manual' });
    assert.equal(account.status, 200);
    assert.match(await account.text(), /Amina Said/);
  });

  test('on SIGTERM it finishes the request in flight, stops PostgreSQL and exits 0', async () => {
    const [first] = started;

    const response = await signInAround(first!, 'officer.permits', async () => {
      first!.child.kill('SIGTERM');
      await first!.waitForLog((line) => line.msg.startsWith('shutting down'));
    });

    assert.deepEqual(response, { status: 303, location: '/account' });
    assert.equal(await first!.exited(), 0);
    assert.deepEqual(await postgresProcessesOf(dataDir), []);
  });

  test('a second start on the same DATA_DIR seeds nothing new', async () => {
    const second = serve();
    await second.waitForLog(serving);

    assert.ok(!second.logs.some((line) => line.msg === 'demo data seeded'));
    const users = await queryEmbedded<{ username: string }>(dataDir, pgPort, 'SELECT username FROM identity_users ORDER BY username');
    assert.deepEqual(users.map((u) => u.username), [...DEMO_ACCOUNTS, ...ECABINET_DEMO_ACCOUNTS].map((a) => a.username).sort());
  });

  test('Ctrl-C in its terminal (SIGINT to the whole process group) lets the request in flight finish before PostgreSQL stops', async () => {
    const second = started.at(-1)!;

    const response = await signInAround(second, 'auditor', async () => {
      process.kill(-second.child.pid!, 'SIGINT');
      await second.waitForLog((line) => line.msg.startsWith('shutting down'));
    });

    assert.deepEqual(response, { status: 303, location: '/account' });
    assert.equal(await second.exited(), 0);
    assert.deepEqual(await postgresProcessesOf(dataDir), []);
  });
});
