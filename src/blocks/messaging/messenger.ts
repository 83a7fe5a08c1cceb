import { randomUUID } from 'node:crypto';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from '../audit/index.ts';
import { findUserByContact } from '../identity/index.ts';
import { isDeliverable, maskRecipient } from './recipients.ts';
import { SEND_ATTEMPTS, SEND_TASK } from './send-message.ts';
import { addEvent, findMessage, insertMessage, messagingDb, sealBody, type MessageRow } from './store.ts';
import { MAX_PARTS as SMS_MAX_PARTS, splitSms } from './sms-parts.ts';

export interface OutgoingMessage {
  channel: 'email' | 'sms';
  /** An e-mail address or an E.164 phone number. */
  to: string;
  locale: string;
  /** E-mail only. */
  subject?: string;
  body: string;
  /** What the message is about (e.g. `application` + id): its delivery log shows there. */
  about?: { type: string; id: string };
  agencyId?: string | null;
  /** The template or event it came from, for the log and the reports. */
  template?: string;
  /** The same key twice queues one message. */
  dedupeKey?: string;
  /** The account it is for, whose outbox shows it; by default the account the address belongs to. */
  userId?: string | null;
  /**
   * Parts of the body that must not be kept (a one-time code): the message log and the audit
   * chain show them masked, while the message sent carries them.
   */
  secrets?: string[];
  /** Who caused it, for the audit log; by default the system. */
  actor?: AuditActor;
  requestId?: string | null;
}

export interface MessageView {
  id: string;
  channel: 'email' | 'sms';
  to: string;
  subject: string | null;
  template: string | null;
  status: 'queued' | 'sent' | 'delivered' | 'failed';
  createdAt: Date;
  updatedAt: Date;
  error: string | null;
}

export interface Messenger {
  /** Queue a message in the caller's transaction: it is sent if and only if that commits. */
  queue(executor: Executor, message: OutgoingMessage): Promise<string>;
}

export function viewOf(row: MessageRow): MessageView {
  return {
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    subject: row.subject,
    template: row.template,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    error: row.last_error,
  };
}

const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const BODY_MAX = 100_000;

function checked(message: OutgoingMessage): void {
  const problems: [string, string][] = [];
  if (!isDeliverable(message.channel, message.to)) problems.push(['/to', message.channel === 'email' ? 'is not an e-mail address' : 'is not a mobile number in E.164 form, like +25377123456']);
  if (!LOCALE.test(message.locale)) problems.push(['/locale', 'is not a language tag']);
  if (message.channel === 'email' && !message.subject?.trim()) problems.push(['/subject', 'an e-mail needs a subject']);
  if ((message.subject?.length ?? 0) > 500) problems.push(['/subject', 'is longer than 500 characters']);
  if (!message.body.trim()) problems.push(['/body', 'is empty']);
  if (message.channel === 'sms') {
    // Parts, not characters, are the limit: Cyrillic or Arabic text reaches it in 670 characters, Latin text in 1,530.
    const sms = splitSms(message.body);
    if (sms.parts.length > SMS_MAX_PARTS) problems.push(['/body', `needs ${sms.parts.length} SMS parts (${sms.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'}); at most ${SMS_MAX_PARTS} are sent`]);
  } else if (message.body.length > BODY_MAX) problems.push(['/body', `is longer than ${BODY_MAX} characters`]);
  if (problems.length > 0) throw Problem.badRequest(`The message cannot be sent: ${problems.map(([p, r]) => `${p} ${r}`).join('; ')}.`, problems.map(([pointer, reason]) => ({ pointer, reason })));
}

/** Each send job of a message has its own key: one for the first send, one per time an administrator queues it again. */
function enqueueSend(jobs: JobQueue, executor: Executor, messageId: string, requeues: number): Promise<void> {
  return jobs.enqueue(executor, SEND_TASK, { messageId }, { dedupeKey: `${SEND_TASK}:${messageId}:${requeues}`, maxAttempts: SEND_ATTEMPTS });
}

/** Run in the caller's transaction, or in one of our own when given the pool, so the message and its job go together. */
function inTransaction<T>(executor: Executor, work: (trx: Tx) => Promise<T>): Promise<T> {
  return executor.isTransaction ? work(executor as Tx) : (executor as Db).transaction().execute(work);
}

const MASK = '•';

/** The body as it may be kept: each secret masked, its length kept so the log still reads like the message. */
export function redact(body: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((text, secret) => text.split(secret).join(MASK.repeat(secret.length)), body);
}

export async function queueMessage(jobs: JobQueue, executor: Executor, message: OutgoingMessage): Promise<string> {
  checked(message);
  const kept = message.secrets?.length ? redact(message.body, message.secrets) : message.body;
  return inTransaction(executor, async (trx) => {
    const userId = message.userId !== undefined ? message.userId : ((await findUserByContact(trx, message.channel, message.to))?.id ?? null);
    const actor = message.actor ?? SYSTEM_ACTOR;
    const { id, inserted } = await insertMessage(trx, {
      id: randomUUID(),
      channel: message.channel,
      recipient: message.to,
      user_id: userId,
      locale: message.locale,
      subject: message.subject ?? null,
      body: kept,
      template: message.template ?? null,
      about_type: message.about?.type ?? null,
      about_id: message.about?.id ?? null,
      agency_id: message.agencyId ?? null,
      actor_type: actor.type,
      actor_id: actor.id,
      dedupe_key: message.dedupeKey ?? null,
    });
    if (!inserted) return id;
    if (kept !== message.body) await sealBody(trx, id, message.body);
    await addEvent(trx, id, 'queued');
    await recordAudit(trx, {
      actor,
      agencyId: message.agencyId ?? null,
      action: 'messaging.queue-message',
      subjectType: 'message',
      subjectId: id,
      requestId: message.requestId ?? null,
      details: { channel: message.channel, to: maskRecipient(message.to), template: message.template ?? null },
      change: { to: message.to, subject: message.subject ?? null, body: kept },
    });
    await enqueueSend(jobs, trx, id, 0);
    return id;
  });
}

/** An administrator sends a failed message again: a fresh set of attempts. */
export async function requeueMessage(db: Db, jobs: JobQueue, messageId: string, acting: { actor: AuditActor; requestId: string | null }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const message = await findMessage(trx, messageId, { forUpdate: true });
    if (!message) throw Problem.notFound('No message has this id.');
    if (message.status !== 'failed') throw Problem.conflict('Only a failed message can be sent again.');
    // Its text was not kept, and the code it carried is as good as expired: the person asks for a new one.
    if (message.redacted) throw Problem.conflict('This message carried a one-time code, which is not kept: it cannot be sent again.');
    const requeues = message.requeues + 1;
    await messagingDb(trx)
      .updateTable('messaging_messages')
      .set({ status: 'queued', failure: null, last_error: null, requeues, updated_at: new Date() })
      .where('id', '=', messageId)
      .execute();
    await addEvent(trx, messageId, 'requeued');
    await recordAudit(trx, { actor: acting.actor, agencyId: message.agency_id, action: 'messaging.requeue-message', subjectType: 'message', subjectId: messageId, requestId: acting.requestId, details: { channel: message.channel, to: maskRecipient(message.recipient) } });
    await enqueueSend(jobs, trx, messageId, requeues);
  });
}
