import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CookieJar, csrfFrom } from './app.ts';
import { DAFTARI_BIN } from './cli.ts';
import pg from 'pg';
import { postmasterPid, queryEmbedded } from './embedded-postgres.ts';
import { freePort } from './ports.ts';

/**
 * Submissions under fire: citizens keep submitting applications over real HTTP while the app
 * process (or its embedded PostgreSQL) is killed with SIGKILL at random moments and started
 * again. Every request whose answer was lost is retried with its idempotency key once the node is
 * back, as a client following the API's advice would. What the node acknowledged must be there
 * afterwards, exactly once, under the id it gave.
 */
export interface CrashRunOptions {
  dataDir: string;
  /** A database with the demo data; without it the node runs its embedded PostgreSQL (and seeds it). */
  databaseUrl?: string;
  rounds: number;
  clients: number;
  /** What SIGKILL hits each round: the app, or the embedded PostgreSQL under it (then the app too). */
  kill: 'app' | 'postgres';
  /** The longest a round runs before the kill, in ms (each kill lands at a random moment up to it). */
  maxRoundMs?: number;
  random?: () => number;
}

export interface CrashRunReport {
  submitted: number;
  acknowledged: Map<string, string>;
  /** Requests whose answer never arrived (connection cut, or a 5xx while the node went down). */
  retried: number;
  /** Keys acknowledged once and answered with another id on a retry. */
  changedOnRetry: string[];
  /** `GET /api/audit/verification` as the administrator, after the last restart. */
  audit: { valid: boolean; unlinked: number; firstProblem: unknown };
  /** What the database holds afterwards for the keys the run sent. */
  stored: StoredApplication[];
  node: Node;
}

export interface StoredApplication {
  id: string;
  idempotency_key: string;
  has_case: boolean;
  audited: boolean;
}

/** Each crash-run application, with whether its case and audit entry were committed with it. */
const STORED_SQL = `
  SELECT a.id::text, a.idempotency_key,
    EXISTS (SELECT 1 FROM workflow_cases c WHERE c.id = a.id) AS has_case,
    EXISTS (SELECT 1 FROM audit_entries e WHERE e.subject_id = a.id::text) AS audited
  FROM registration_applications a WHERE a.idempotency_key LIKE 'crash-%'`;

async function storedApplications(opts: CrashRunOptions, node: Node): Promise<StoredApplication[]> {
  if (!opts.databaseUrl) return queryEmbedded<StoredApplication>(opts.dataDir, node.embeddedPgPort, STORED_SQL);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    return (await client.query<StoredApplication>(STORED_SQL)).rows;
  } finally {
    await client.end();
  }
}

/** Every way the run broke a promise; empty when nothing acknowledged was lost or doubled. */
export function brokenPromises(report: CrashRunReport): string[] {
  const problems: string[] = [];
  if (report.acknowledged.size === 0) problems.push('no submission was acknowledged');
  for (const key of report.changedOnRetry) problems.push(`${key} was answered with another application on a retry`);
  const byKey = new Map<string, StoredApplication[]>();
  for (const row of report.stored) byKey.set(row.idempotency_key, [...(byKey.get(row.idempotency_key) ?? []), row]);
  for (const [key, id] of report.acknowledged) {
    const found = byKey.get(key) ?? [];
    if (found.length !== 1) problems.push(`acknowledged ${key} is stored ${found.length} times`);
    else if (found[0]!.id !== id) problems.push(`${key} was acknowledged as ${id} but is stored as ${found[0]!.id}`);
  }
  const unacknowledged = report.stored.filter((r) => !report.acknowledged.has(r.idempotency_key));
  if (unacknowledged.length > 0) problems.push(`${unacknowledged.length} stored applications were never acknowledged`);
  const halfWritten = report.stored.filter((r) => !r.has_case || !r.audited);
  if (halfWritten.length > 0) problems.push(`${halfWritten.length} applications lack their case or audit entry`);
  if (!report.audit.valid) problems.push(`the audit chain does not verify: ${JSON.stringify(report.audit.firstProblem)}`);
  if (report.audit.unlinked > 0) problems.push(`${report.audit.unlinked} audit entries were never linked`);
  return problems;
}

const PASSWORD = 'daftari-demo-2026';

export class Node {
  private child: ChildProcess | null = null;
  readonly url: string;

  private constructor(private readonly env: Record<string, string>, port: number) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** `env` is what the operator sets besides (an SMTP server, a base URL). */
  static async create(opts: { dataDir: string; databaseUrl?: string; env?: Record<string, string> }): Promise<Node> {
    const port = await freePort();
    const env: Record<string, string> = { DATA_DIR: opts.dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', AUDIT_LINK_INTERVAL_SECONDS: '1', ...opts.env };
    if (opts.databaseUrl) Object.assign(env, { DATABASE_URL: opts.databaseUrl });
    else Object.assign(env, { DATABASE_URL: '', EMBEDDED_PG_PORT: String(await freePort()) });
    return new Node(env, port);
  }

  get embeddedPgPort(): number {
    return Number(this.env.EMBEDDED_PG_PORT);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [DAFTARI_BIN, 'serve'], { env: { ...process.env, ...this.env }, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
    this.child = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    for (;;) {
      if (exited) throw new Error('daftari serve exited while starting');
      const ready = await fetch(`${this.url}/ready`).then((r) => r.ok, () => false);
      if (ready) return;
      await sleep(100);
    }
  }

  /** SIGKILL to the app's process group: no shutdown hook runs, nothing is flushed. */
  async killApp(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exit = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGKILL');
    await exit;
    this.child = null;
  }

  killPostgres(): void {
    const pid = postmasterPid(this.env.DATA_DIR!);
    if (pid) process.kill(pid, 'SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exit;
    this.child = null;
  }

  /** Signs in through the form; the session lives in the database, so it outlives a crash. */
  async signIn(username: string): Promise<Record<string, string>> {
    const jar = new CookieJar();
    const form = await fetch(`${this.url}/sign-in`);
    jar.store(form);
    const body = new URLSearchParams({ _csrf: csrfFrom(await form.text()), username, password: PASSWORD, next: '/account' });
    const signedIn = await fetch(`${this.url}/sign-in`, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body });
    if (signedIn.status !== 303) throw new Error(`sign-in as ${username} failed: ${signedIn.status}`);
    jar.store(signedIn);
    const account = await fetch(`${this.url}/account`, { headers: { cookie: jar.header() } });
    jar.store(account);
    return { cookie: jar.header(), 'x-csrf-token': csrfFrom(await account.text()) };
  }
}

type Outcome = { kind: 'acknowledged'; id: string } | { kind: 'lost' } | { kind: 'refused'; status: number; body: string };

async function submit(node: Node, headers: Record<string, string>, key: string): Promise<Outcome> {
  try {
    const response = await fetch(`${node.url}/api/registration/applications`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ serviceId: 'public-complaint', idempotencyKey: key, data: { agency: 'commerce', subject: `Queue at the counter (${key})`, details: 'The counter was closed for two hours during opening time.' } }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status === 200 || response.status === 201) return { kind: 'acknowledged', id: (JSON.parse(text) as { id: string }).id };
    if (response.status >= 500) return { kind: 'lost' };
    return { kind: 'refused', status: response.status, body: text };
  } catch {
    return { kind: 'lost' };
  }
}

export async function runCrashRounds(opts: CrashRunOptions): Promise<CrashRunReport> {
  const random = opts.random ?? Math.random;
  const node = await Node.create(opts);
  await node.start();
  const citizen = await node.signIn('amina');
  const acknowledged = new Map<string, string>();
  const changedOnRetry: string[] = [];
  let submitted = 0;
  let retried = 0;
  const record = (key: string, outcome: Outcome, pending: Set<string>) => {
    if (outcome.kind === 'refused') throw new Error(`submission ${key} refused with ${outcome.status}: ${outcome.body}`);
    if (outcome.kind === 'lost') {
      pending.add(key);
      return;
    }
    pending.delete(key);
    const earlier = acknowledged.get(key);
    if (earlier !== undefined && earlier !== outcome.id) changedOnRetry.push(key);
    acknowledged.set(key, outcome.id);
  };

  for (let round = 0; round < opts.rounds; round++) {
    const pending = new Set<string>();
    let firing = true;
    const clients = Array.from({ length: opts.clients }, async (_, client) => {
      for (let n = 0; firing; n++) {
        const key = `crash-${round}-${client}-${n}`;
        submitted++;
        record(key, await submit(node, citizen, key), pending);
      }
    });
    await sleep(200 + random() * (opts.maxRoundMs ?? 1500));
    if (opts.kill === 'postgres') {
      node.killPostgres();
      // Requests in flight meet the dead server before the app goes too.
      await sleep(200);
    }
    await node.killApp();
    firing = false;
    await Promise.all(clients);
    await node.start();
    for (const key of [...pending]) {
      retried++;
      record(key, await submit(node, citizen, key), pending);
    }
    if (pending.size > 0) throw new Error(`${pending.size} submissions still fail after the restart`);
    // A retry of something acknowledged must give the same application, not a second one.
    const sample = [...acknowledged.keys()].filter(() => random() < 0.2).slice(0, 10);
    for (const key of sample) record(key, await submit(node, citizen, key), pending);
  }

  const admin = await node.signIn('admin');
  // The linker runs every second: wait until every entry has its place in the chain.
  let audit: CrashRunReport['audit'];
  for (let attempt = 0; ; attempt++) {
    audit = (await (await fetch(`${node.url}/api/audit/verification`, { headers: admin })).json()) as CrashRunReport['audit'];
    if (!audit.valid || audit.unlinked === 0 || attempt === 50) break;
    await sleep(200);
  }
  return { submitted, acknowledged, retried, changedOnRetry, audit, stored: await storedApplications(opts, node), node };
}
