/**
 * Queuing and sending e-mail: a message goes if and only if the transaction that queued it
 * commits, once however often its caller retries, and an SMTP server that is down delays mail
 * without losing any. Mail arrives at a real SMTP server (test/support/smtp-inbox.ts), reached
 * through a relay the tests switch off and on to take the mail server "down".
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { signInDemo, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { freePort } from '../../../test/support/ports.ts';
import { startSmtpInbox, type SmtpInbox } from '../../../test/support/smtp-inbox.ts';
import { findUserByLogin } from '../identity/index.ts';
import type { Problem } from '../../platform/http/problem.ts';
import { messagesAbout, requeueMessage, SEND_ATTEMPTS, SEND_TASK, type OutgoingMessage } from './index.ts';
import { eventsOf, findMessage } from './store.ts';

/** A TCP relay to the inbox on a fixed port: while it is off, the mail server is unreachable. */
class SmtpRelay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly target: number) {}

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

let inbox: SmtpInbox;
let relay: SmtpRelay;
let app: TestApp;
let counter = 0;

before(async () => {
  inbox = await startSmtpInbox();
  relay = new SmtpRelay(await freePort(), Number(new URL(inbox.url).port));
  await relay.up();
  app = await startTestApp({ env: { SMTP_URL: relay.url, BASE_URL: 'http://daftari.test' } });
});
after(async () => {
  await relay?.down();
  await inbox?.close();
  await app?.stop();
});

function email(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  const n = ++counter;
  return { channel: 'email', to: `person${n}@example.org`, locale: 'en', subject: `Message ${n}`, body: `Body of message ${n}.`, template: 'test.message', ...overrides };
}

/** Make the send jobs that wait for their backoff due now, as time passing would. */
async function backoffElapses(): Promise<void> {
  await sql`UPDATE platform_jobs SET run_at = now() WHERE task = ${SEND_TASK} AND state = 'pending'`.execute(app.database.db);
}

async function eventKinds(id: string): Promise<string[]> {
  return ((await eventsOf(app.database.db, [id])).get(id) ?? []).map((e) => e.kind);
}

describe('queuing in the caller’s transaction', () => {
  it('sends an e-mail queued in a transaction that commits, with its subject, body and language', async () => {
    const message = email({ to: 'hawa@example.org', locale: 'ar', subject: 'تم استلام طلبك', body: 'شكراً لك، حوا.\nرقم التتبع: BL-2026-0042' });
    const id = await app.database.db.transaction().execute((trx) => app.messenger.queue(trx, message));
    assert.equal((await findMessage(app.database.db, id))?.status, 'queued');
    await app.jobs.drain();
    const [mail, ...more] = inbox.to('hawa@example.org');
    assert.equal(more.length, 0);
    assert.equal(mail?.subject, 'تم استلام طلبك');
    assert.equal(mail?.text.trim(), 'شكراً لك، حوا.\nرقم التتبع: BL-2026-0042');
    const stored = (await findMessage(app.database.db, id))!;
    assert.equal(stored.status, 'sent');
    assert.equal(stored.locale, 'ar');
    assert.equal(stored.provider_message_id, `<${id}@daftari.test>`, 'the Message-ID is the message’s own, the same on every attempt');
    assert.deepEqual(await eventKinds(id), ['queued', 'sent']);
  });

  it('sends nothing when the transaction rolls back', async () => {
    const message = email();
    await assert.rejects(
      app.database.db.transaction().execute(async (trx) => {
        await app.messenger.queue(trx, message);
        throw new Error('the use case failed after queuing');
      }),
      /the use case failed/,
    );
    await app.jobs.drain();
    assert.deepEqual(inbox.to(message.to), []);
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messaging_messages WHERE recipient = ${message.to}`.execute(app.database.db);
    assert.equal(rows.rows[0]!.n, 0);
  });

  it('queues one message when a retried caller queues it again with the same dedupe key', async () => {
    const message = email({ dedupeKey: `application-42:acknowledgement:${counter}` });
    const first = await app.database.db.transaction().execute((trx) => app.messenger.queue(trx, message));
    const second = await app.database.db.transaction().execute((trx) => app.messenger.queue(trx, message));
    assert.equal(second, first);
    await app.jobs.drain();
    await app.jobs.drain();
    assert.equal(inbox.to(message.to).length, 1);
  });

  it('queues in a transaction of its own when given the pool', async () => {
    const message = email();
    await app.messenger.queue(app.database.db, message);
    await app.jobs.drain();
    assert.equal(inbox.to(message.to).length, 1);
  });

  it('refuses a message it could never send, before anything is written', async () => {
    await assert.rejects(app.messenger.queue(app.database.db, email({ to: 'not an address' })), /\/to is not an e-mail address/);
    await assert.rejects(app.messenger.queue(app.database.db, email({ subject: ' ' })), /\/subject an e-mail needs a subject/);
    await assert.rejects(app.messenger.queue(app.database.db, { channel: 'sms', to: '0777 12 34 56', locale: 'fr', body: 'Bonjour' }), /E\.164/);
  });

  it('files a message to a known address under that person’s account, and shows it in the delivery log of what it is about', async () => {
    const amina = (await findUserByLogin(app.database.db, 'amina'))!;
    const id = await app.messenger.queue(app.database.db, email({ to: amina.email!, about: { type: 'application', id: 'app-1' } }));
    assert.equal((await findMessage(app.database.db, id))?.user_id, amina.id);
    await app.jobs.drain();
    const log = await messagesAbout(app.database.db, 'application', 'app-1');
    assert.deepEqual(log.map((m) => [m.id, m.channel, m.to, m.status]), [[id, 'email', amina.email, 'sent']]);
  });
});

describe('when the mail server is down', () => {
  it('delays the mail, then delivers it once the server is back, exactly once', async () => {
    await relay.down();
    const message = email();
    const id = await app.messenger.queue(app.database.db, message);
    await app.jobs.drain();
    const waiting = (await findMessage(app.database.db, id))!;
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.attempts, 1);
    assert.match(waiting.last_error ?? '', /ECONNREFUSED|connect/i);
    assert.deepEqual(await eventKinds(id), ['queued', 'attempt-failed']);

    await relay.up();
    await backoffElapses();
    await app.jobs.drain();
    await backoffElapses();
    await app.jobs.drain();
    assert.equal(inbox.to(message.to).length, 1);
    const sent = (await findMessage(app.database.db, id))!;
    assert.equal(sent.status, 'sent');
    assert.equal(sent.attempts, 2);
    assert.equal(sent.last_error, null);
  });

  it('marks the message failed after its last attempt; an administrator sends it again from the failed-messages list', async () => {
    await relay.down();
    const message = email();
    const id = await app.messenger.queue(app.database.db, message);
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
      await app.jobs.drain();
      await backoffElapses();
    }
    const failed = (await findMessage(app.database.db, id))!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure, 'exhausted');
    assert.equal(failed.attempts, SEND_ATTEMPTS);
    const jobs = await sql<{ state: string }>`SELECT state FROM platform_jobs WHERE dedupe_key = ${`${SEND_TASK}:${id}:0`}`.execute(app.database.db);
    assert.deepEqual(jobs.rows, [{ state: 'done' }], 'the message, not the job, waits for the administrator');

    const [admin] = await signInDemo(app, 'admin');
    const list = await app.app.inject({ method: 'GET', url: '/admin/messages', headers: { cookie: admin.cookie() } });
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(`/admin/messages/${id}/retry`), 'the failed message is listed with a retry button');

    await relay.up();
    const retried = await app.app.inject({
      method: 'POST',
      url: `/admin/messages/${id}/retry`,
      headers: { cookie: admin.cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: admin.csrf }).toString(),
    });
    assert.equal(retried.statusCode, 303);
    assert.equal(retried.headers.location, '/admin/messages?done=retried');
    await app.jobs.drain();
    assert.equal(inbox.to(message.to).length, 1);
    assert.equal((await findMessage(app.database.db, id))?.status, 'sent');
    assert.deepEqual((await eventKinds(id)).filter((k) => k !== 'attempt-failed'), ['queued', 'failed', 'requeued', 'sent']);
    const audit = await sql<{ action: string; actor_name: string }>`SELECT action, actor_name FROM audit_entries WHERE subject_type = 'message' AND subject_id = ${id} ORDER BY id`.execute(app.database.db);
    assert.deepEqual(audit.rows.map((r) => r.action), ['messaging.queue-message', 'messaging.fail-message', 'messaging.requeue-message', 'messaging.send-message']);
    assert.equal(audit.rows[2]!.actor_name, 'Platform Administrator');

    const again = await app.app.inject({
      method: 'POST',
      url: `/admin/messages/${id}/retry`,
      headers: { cookie: admin.cookie(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: new URLSearchParams({ _csrf: admin.csrf }).toString(),
    });
    assert.equal(again.statusCode, 409, 'a message that did not fail is not sent again');
  });
});

describe('when the mail server refuses a message for good', () => {
  it('fails it at once instead of trying again', async () => {
    const refusing = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('5.1.1 No such mailbox'), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const port = (refusing.server.address() as net.AddressInfo).port;
    const other = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
    try {
      const id = await other.messenger.queue(other.database.db, email({ to: 'nobody@example.org' }));
      await other.jobs.drain();
      const failed = (await findMessage(other.database.db, id))!;
      assert.equal(failed.status, 'failed');
      assert.equal(failed.failure, 'rejected');
      assert.equal(failed.attempts, 1);
      assert.match(failed.last_error ?? '', /No such mailbox/);
    } finally {
      await other.stop();
      await new Promise<void>((resolve) => refusing.close(resolve));
    }
  });
});

describe('text messages without an SMS gateway', () => {
  it('fail at once, saying that no gateway is configured', async () => {
    const id = await app.messenger.queue(app.database.db, { channel: 'sms', to: '+25377123456', locale: 'fr', body: 'Votre demande est reçue.' });
    await app.jobs.drain();
    const failed = (await findMessage(app.database.db, id))!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure, 'unconfigured');
    assert.match(failed.last_error ?? '', /no SMS gateway configured/);
  });
});

describe('a message carrying a one-time code', () => {
  it('is logged with the code masked, and once it has failed cannot be sent again, its text being gone', async () => {
    const id = await app.messenger.queue(app.database.db, { channel: 'sms', to: '+25377100200', locale: 'en', body: 'Your Daftari code: 482913. Do not share it.', secrets: ['482913'], template: 'identity.phone-link-code' });
    const queued = await findMessage(app.database.db, id);
    assert.equal(queued?.body, 'Your Daftari code: ••••••. Do not share it.');
    assert.equal(queued?.redacted, true);
    await app.jobs.drain();
    assert.equal((await findMessage(app.database.db, id))?.status, 'failed', 'no SMS gateway is configured here');
    const sealed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messaging_sealed_bodies WHERE message_id = ${id}`.execute(app.database.db);
    assert.equal(sealed.rows[0]!.n, 0);
    await assert.rejects(requeueMessage(app.database.db, app.jobs, id, { actor: { type: 'system', id: null, name: 'test' }, requestId: null }), (err: Problem) => err.status === 409);
  });
});
