/**
 * Two app processes on one database, as behind a load balancer: each runs its own job workers
 * and timers. Work that reaches either one (applications, then the deadlines they run past) must
 * be done once in all: one e-mail per recipient and subject, each job finished once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { DEADLINE_TASK } from '../src/blocks/workflow/index.ts';
import { Node } from './support/crash-run.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { startSmtpInbox, type SmtpInbox } from './support/smtp-inbox.ts';

const COMPLAINTS = 12;

let database: TestDatabase;
let inbox: SmtpInbox;
let client: pg.Client;
const nodes: Node[] = [];
const dataDirs: string[] = [];

before(async () => {
  database = await createTestDatabase({ demo: true });
  inbox = await startSmtpInbox();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  for (const name of ['a', 'b']) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `daftari-node-${name}-`));
    dataDirs.push(dataDir);
    const node = await Node.create({ dataDir, databaseUrl: database.url, env: { SMTP_URL: inbox.url, BASE_URL: 'http://daftari.test', DEMO: 'false' } });
    await node.start();
    nodes.push(node);
  }
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await client?.end();
  await inbox?.close();
  await database?.drop();
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Until no job is due or running: each node's workers have had their chance at all of them. */
async function quiet(): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ n: string | number }>(`SELECT count(*) AS n FROM platform_jobs WHERE state = 'running' OR (state = 'pending' AND run_at <= now())`);
    if (Number(rows[0]!.n) === 0) return;
    await sleep(200);
  }
}

it('sends each notification and escalation once, whichever node took the work', async () => {
  const citizens = await Promise.all(nodes.map((n) => n.signIn('amina')));
  const ids: string[] = [];
  const tracking: string[] = [];
  await Promise.all(
    Array.from({ length: COMPLAINTS }, async (_, i) => {
      const node = nodes[i % 2]!;
      const response = await fetch(`${node.url}/api/registration/applications`, {
        method: 'POST',
        headers: { ...citizens[i % 2]!, 'content-type': 'application/json' },
        body: JSON.stringify({ serviceId: 'public-complaint', data: { agency: 'commerce', subject: `Office closed (${i})`, details: 'Closed three days in a row.' }, idempotencyKey: `two-nodes-${randomUUID()}` }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      const { id, trackingNumber } = (await response.json()) as { id: string; trackingNumber: string };
      ids.push(id);
      tracking.push(trackingNumber);
    }),
  );
  await quiet();
  const received = inbox.mail.length;
  assert.ok(received >= COMPLAINTS, `each complaint sends at least one e-mail (got ${received})`);

  // The deadlines come due now: both nodes' timers see them at once.
  await client.query(`UPDATE workflow_cases SET state_due_at = now() - interval '1 hour' WHERE id = ANY($1)`, [ids]);
  const due = await client.query(`UPDATE platform_jobs SET run_at = now() WHERE task = $1 AND state = 'pending' AND payload->>'caseId' = ANY($2)`, [DEADLINE_TASK, ids]);
  assert.equal(due.rowCount, COMPLAINTS, 'each complaint has one deadline timer');
  await quiet();

  const overdue = inbox.mail.slice(received).filter((m) => m.subject.startsWith('Overdue: '));
  assert.deepEqual(overdue.map((m) => m.subject.slice('Overdue: '.length).split(' ')[0]).sort(), [...tracking].sort(), 'one escalation per complaint');

  const counts = new Map<string, number>();
  for (const mail of inbox.mail) for (const to of mail.to) counts.set(`${to} | ${mail.subject}`, (counts.get(`${to} | ${mail.subject}`) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n !== 1), [], 'no e-mail reached its recipient twice');

  const jobs = await client.query<{ state: string; attempts: number; task: string }>(`SELECT task, state, attempts FROM platform_jobs WHERE finished_at IS NOT NULL OR state = 'running'`);
  assert.deepEqual(jobs.rows.filter((j) => j.state !== 'done' || j.attempts !== 1), [], 'every job finished, at its first attempt');
  const deadlines = jobs.rows.filter((j) => j.task === DEADLINE_TASK);
  assert.equal(deadlines.length, COMPLAINTS, 'each deadline timer ran');
});
