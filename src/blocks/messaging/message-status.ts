import type { Db } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from '../audit/index.ts';
import { maskRecipient } from './recipients.ts';
import { addEvent, findMessage, messagingDb, movesForward, type Failure, type MessageRow, type MessageStatus } from './store.ts';

/**
 * Every change of a message's status, each in one transaction with its event in the delivery log
 * and its audit entry. The row is locked first, so a delivery report and the send job finishing at
 * the same moment apply one after the other, and a status only ever moves forward.
 */

const GATEWAY_ACTOR: AuditActor = { type: 'system', id: null, name: 'sms-gateway' };

const auditDetails = (message: MessageRow, extra: Record<string, unknown> = {}) => ({ channel: message.channel, to: maskRecipient(message.recipient), template: message.template, ...extra });

/** The mail server or the gateway accepted the message. A report that already moved it further stands. */
export async function markSent(db: Db, messageId: string, providerMessageId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const message = await findMessage(trx, messageId, { forUpdate: true });
    if (!message) return;
    const advances = movesForward(message.status, 'sent');
    await messagingDb(trx)
      .updateTable('messaging_messages')
      .set((eb) => ({
        status: advances ? 'sent' : message.status,
        provider_message_id: message.provider_message_id ?? providerMessageId,
        attempts: eb('attempts', '+', 1),
        last_error: null,
        updated_at: new Date(),
      }))
      .where('id', '=', messageId)
      .execute();
    if (!advances) return;
    await addEvent(trx, messageId, 'sent');
    await recordAudit(trx, { actor: SYSTEM_ACTOR, agencyId: message.agency_id, action: 'messaging.send-message', subjectType: 'message', subjectId: messageId, details: auditDetails(message) });
  });
}

/** One attempt failed; the job queue will try again. */
export async function recordFailedAttempt(db: Db, messageId: string, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await messagingDb(trx)
      .updateTable('messaging_messages')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error, updated_at: new Date() }))
      .where('id', '=', messageId)
      .execute();
    await addEvent(trx, messageId, 'attempt-failed', error);
  });
}

/** No attempt will be made any more: it waits for an administrator on the failed-messages list. */
export async function markFailed(db: Db, messageId: string, failure: Exclude<Failure, 'reported'>, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const message = await findMessage(trx, messageId, { forUpdate: true });
    if (!message || !movesForward(message.status, 'failed')) return;
    await messagingDb(trx)
      .updateTable('messaging_messages')
      .set((eb) => ({ status: 'failed', failure, attempts: eb('attempts', '+', 1), last_error: error, updated_at: new Date() }))
      .where('id', '=', messageId)
      .execute();
    await addEvent(trx, messageId, 'failed', error);
    await recordAudit(trx, { actor: SYSTEM_ACTOR, agencyId: message.agency_id, action: 'messaging.fail-message', subjectType: 'message', subjectId: messageId, details: auditDetails(message, { failure }) });
  });
}

export interface DeliveryReport {
  /** Our message id, as we gave it to the gateway. */
  reference: string;
  /** The gateway's id for the message. */
  messageId: string;
  status: 'sent' | 'delivered' | 'failed';
  error?: string;
}

/**
 * A gateway's report on a text message. A report that would move the status back, or repeats
 * the current one, changes nothing (`changed: false`); one naming a message the gateway never
 * gave that id is refused.
 */
export async function applyDeliveryReport(db: Db, report: DeliveryReport): Promise<{ status: MessageStatus; changed: boolean }> {
  return db.transaction().execute(async (trx) => {
    const message = await findMessage(trx, report.reference, { forUpdate: true });
    if (!message || message.channel !== 'sms') throw Problem.notFound('No text message has this reference.');
    if (message.provider_message_id !== null && message.provider_message_id !== report.messageId) {
      throw Problem.conflict('This report names a gateway message id other than the one the gateway gave this message.');
    }
    if (!movesForward(message.status, report.status)) return { status: message.status, changed: false };
    const failed = report.status === 'failed';
    const error = failed ? (report.error ?? 'the gateway reported the message undelivered') : null;
    await messagingDb(trx)
      .updateTable('messaging_messages')
      .set({ status: report.status, failure: failed ? 'reported' : null, provider_message_id: report.messageId, last_error: error, updated_at: new Date() })
      .where('id', '=', message.id)
      .execute();
    await addEvent(trx, message.id, report.status, error);
    const action = { sent: 'messaging.send-message', delivered: 'messaging.deliver-message', failed: 'messaging.fail-message' }[report.status];
    await recordAudit(trx, { actor: GATEWAY_ACTOR, agencyId: message.agency_id, action, subjectType: 'message', subjectId: message.id, details: auditDetails(message, failed ? { failure: 'reported' } : {}) });
    return { status: report.status, changed: true };
  });
}
