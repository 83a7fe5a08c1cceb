import { sql, type Generated, type Selectable } from 'kysely';
import { tablesOf, type Executor } from '../../platform/db/database.ts';
import type { Channel } from './recipients.ts';

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';
/** Why a message failed: refused for good, out of attempts, no gateway to send it, or reported undelivered. */
export type Failure = 'rejected' | 'exhausted' | 'unconfigured' | 'reported';
export type EventKind = 'queued' | 'attempt-failed' | 'sent' | 'delivered' | 'failed' | 'requeued';

export const STATUSES: readonly MessageStatus[] = ['queued', 'sent', 'delivered', 'failed'];

interface MessageTable {
  id: string;
  channel: Channel;
  recipient: string;
  user_id: string | null;
  locale: string;
  subject: string | null;
  body: string;
  template: string | null;
  about_type: string | null;
  about_id: string | null;
  agency_id: string | null;
  actor_type: string;
  actor_id: string | null;
  status: MessageStatus;
  failure: Failure | null;
  provider_message_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  requeues: Generated<number>;
  dedupe_key: string | null;
  /** The body is kept with its secrets (one-time codes) masked; the text sent waits in messaging_sealed_bodies. */
  redacted: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

interface EventTable {
  id: Generated<number>;
  message_id: string;
  kind: EventKind;
  detail: string | null;
  occurred_at: Generated<Date>;
}

interface CallbackTable {
  id: Generated<number>;
  request_uid: string;
  client_id: string;
  meta: string | null;
  content: string | null;
  received_at: Generated<Date>;
}

interface SealedBodyTable {
  message_id: string;
  body: string;
}

interface MessagingTables {
  messaging_messages: MessageTable;
  messaging_sealed_bodies: SealedBodyTable;
  messaging_events: EventTable;
  messaging_callbacks: CallbackTable;
}

export type MessageRow = Selectable<MessageTable>;
export type EventRow = Selectable<EventTable>;
export type NewMessageRow = Omit<MessageTable, 'attempts' | 'requeues' | 'redacted' | 'created_at' | 'updated_at' | 'provider_message_id' | 'last_error' | 'failure' | 'status'>;

export const messagingDb = (executor: Executor) => tablesOf<MessagingTables>(executor);

const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, failed: 2 };

/** Statuses only move forward, queued < sent < delivered | failed: a late or repeated report cannot undo a later one. */
export function movesForward(from: MessageStatus, to: MessageStatus): boolean {
  return RANK[to] > RANK[from];
}

export async function findMessage(executor: Executor, id: string, opts: { forUpdate?: boolean } = {}): Promise<MessageRow | undefined> {
  const query = messagingDb(executor).selectFrom('messaging_messages').selectAll().where('id', '=', id);
  return (opts.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/**
 * Insert a message, or find the one already queued under its dedupe key. A second transaction
 * with the same key waits on the unique index until the first commits, then finds its message.
 */
export async function insertMessage(executor: Executor, row: NewMessageRow): Promise<{ id: string; inserted: boolean }> {
  const inserted = await messagingDb(executor)
    .insertInto('messaging_messages')
    .values({ ...row, status: 'queued', failure: null, provider_message_id: null, last_error: null })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, inserted: true };
  const existing = await messagingDb(executor).selectFrom('messaging_messages').select('id').where('dedupe_key', '=', row.dedupe_key!).executeTakeFirstOrThrow();
  return { id: existing.id, inserted: false };
}

export async function sealBody(executor: Executor, messageId: string, body: string): Promise<void> {
  await messagingDb(executor).insertInto('messaging_sealed_bodies').values({ message_id: messageId, body }).execute();
  await messagingDb(executor).updateTable('messaging_messages').set({ redacted: true }).where('id', '=', messageId).execute();
}

/** The text to send of a redacted message, while it waits to be sent. */
export async function sealedBody(executor: Executor, messageId: string): Promise<string | undefined> {
  return (await messagingDb(executor).selectFrom('messaging_sealed_bodies').select('body').where('message_id', '=', messageId).executeTakeFirst())?.body;
}

export async function dropSealedBody(executor: Executor, messageId: string): Promise<void> {
  await messagingDb(executor).deleteFrom('messaging_sealed_bodies').where('message_id', '=', messageId).execute();
}

export async function addEvent(executor: Executor, messageId: string, kind: EventKind, detail: string | null = null): Promise<void> {
  await messagingDb(executor).insertInto('messaging_events').values({ message_id: messageId, kind, detail }).execute();
}

/** Each message's events, oldest first. */
export async function eventsOf(executor: Executor, messageIds: string[]): Promise<Map<string, EventRow[]>> {
  const byMessage = new Map<string, EventRow[]>(messageIds.map((id) => [id, []]));
  if (messageIds.length === 0) return byMessage;
  const rows = await messagingDb(executor).selectFrom('messaging_events').selectAll().where('message_id', 'in', messageIds).orderBy('id').execute();
  for (const row of rows) byMessage.get(row.message_id)!.push(row);
  return byMessage;
}

export interface MessageFilter {
  /** Only messages to this account; undefined for all. */
  userId?: string;
  channel?: Channel;
  status?: MessageStatus;
  /** Keyset pagination: messages older than this one. */
  before?: string;
  limit: number;
}

/** Newest first. */
export async function listMessages(executor: Executor, filter: MessageFilter): Promise<MessageRow[]> {
  let query = messagingDb(executor).selectFrom('messaging_messages as m').selectAll('m');
  if (filter.userId !== undefined) query = query.where('m.user_id', '=', filter.userId);
  if (filter.channel) query = query.where('m.channel', '=', filter.channel);
  if (filter.status) query = query.where('m.status', '=', filter.status);
  if (filter.before) query = query.where(sql<boolean>`(m.created_at, m.id) < (SELECT b.created_at, b.id FROM messaging_messages b WHERE b.id = ${filter.before})`);
  return query.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(filter.limit).execute();
}

export async function messagesAboutRows(executor: Executor, type: string, id: string): Promise<MessageRow[]> {
  return messagingDb(executor).selectFrom('messaging_messages').selectAll().where('about_type', '=', type).where('about_id', '=', id).orderBy('created_at').orderBy('id').execute();
}

export async function countByStatus(executor: Executor): Promise<Record<MessageStatus, number>> {
  const result = await sql<{ status: MessageStatus; n: number }>`SELECT status, count(*)::int AS n FROM messaging_messages GROUP BY status`.execute(executor);
  const counts: Record<MessageStatus, number> = { queued: 0, sent: 0, delivered: 0, failed: 0 };
  for (const row of result.rows) counts[row.status] = row.n;
  return counts;
}

export interface TallyRow {
  status: MessageStatus;
  failure: Failure | null;
  /** A queued message some attempt already failed for: it waits to be tried again. */
  retrying: boolean;
  n: number;
}

/** How the messages about one subject that one actor queued stand, for a status report. */
export async function tallyAbout(executor: Executor, about: { type: string; id: string }, actorId: string): Promise<TallyRow[]> {
  const result = await sql<TallyRow>`
    SELECT status, failure, (status = 'queued' AND attempts > 0) AS retrying, count(*)::int AS n
    FROM messaging_messages
    WHERE about_type = ${about.type} AND about_id = ${about.id} AND actor_id = ${actorId}
    GROUP BY 1, 2, 3`.execute(executor);
  return result.rows;
}

export async function recordCallback(executor: Executor, callback: { requestUid: string; clientId: string; meta: string | null; content: string | null }): Promise<number> {
  const row = await messagingDb(executor)
    .insertInto('messaging_callbacks')
    .values({ request_uid: callback.requestUid, client_id: callback.clientId, meta: callback.meta, content: callback.content })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
