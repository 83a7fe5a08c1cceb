import type { Db } from '../../platform/db/database.ts';
import type { JobHandler } from '../../platform/jobs/queue.ts';
import type { Mailer } from '../../platform/mail/mailer.ts';
import { markFailed, markSent, recordFailedAttempt } from './message-status.ts';
import { maskRecipient } from './recipients.ts';
import { PermanentFailure, type SmsGateway } from './sms-gateway.ts';
import { dropSealedBody, findMessage, sealedBody, type MessageRow } from './store.ts';

export const SEND_TASK = 'messaging.send';
/** With the queue's backoff (2, 4, 8… seconds), eight attempts span about eight and a half minutes. */
export const SEND_ATTEMPTS = 8;
export const DELIVERY_REPORTS_PATH = '/messaging/sms/delivery-reports';

export interface SenderDeps {
  db: Db;
  mailer: Mailer;
  /** Null when no gateway is configured: text messages then fail at once, saying so. */
  sms: SmsGateway | null;
  baseUrl: string;
}

/** An SMTP reply in the 5xx range is the server saying no for good (unknown mailbox, refused content). */
function isPermanentSmtpRefusal(err: unknown): boolean {
  const { responseCode, code } = err as { responseCode?: unknown; code?: unknown };
  return (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600) || (code === 'EENVELOPE' && responseCode === undefined);
}

/** How each channel sends a message; each resolves to the id the mail server or gateway knows it by. */
function channels({ mailer, sms, baseUrl }: SenderDeps): Record<MessageRow['channel'], (message: MessageRow) => Promise<string>> {
  const host = new URL(baseUrl).hostname;
  return {
    async email(message) {
      // Stable per message, so a retry after a lost answer is recognisably the same mail.
      const messageId = `<${message.id}@${host}>`;
      try {
        await mailer.send({ to: message.recipient, subject: message.subject ?? '', text: message.body, messageId });
      } catch (err) {
        if (isPermanentSmtpRefusal(err)) throw new PermanentFailure('rejected', `the mail server refused the message: ${(err as Error).message}`);
        throw err;
      }
      return messageId;
    },
    async sms(message) {
      if (!sms) throw new PermanentFailure('unconfigured', 'no SMS gateway configured (set SMS_GATEWAY_URL and SMS_GATEWAY_SECRET)');
      return sms.send({ to: message.recipient, text: message.body, reference: message.id, callbackUrl: `${baseUrl}${DELIVERY_REPORTS_PATH}` });
    },
  };
}

/**
 * Send a queued message. A failure throws, so the queue tries again with backoff; on the last
 * attempt, or when retrying cannot help, the message is marked failed instead and the job ends.
 */
export function messageSender(deps: SenderDeps): JobHandler<{ messageId: string }> {
  const send = channels(deps);
  return async ({ messageId }, ctx) => {
    const message = await findMessage(deps.db, messageId);
    // Sent already (a retried job whose first run got through), or failed and not queued again.
    if (!message || message.status !== 'queued') return;
    const log = ctx.log.child({ messageId, channel: message.channel, to: maskRecipient(message.recipient) });
    let providerMessageId: string;
    try {
      const body = message.redacted ? await sealedBody(deps.db, messageId) : message.body;
      if (body === undefined) throw new PermanentFailure('rejected', 'the text of this message, which carried a one-time code, is no longer kept');
      providerMessageId = await send[message.channel]({ ...message, body });
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
      const failure = err instanceof PermanentFailure ? err.failure : ctx.attempt >= SEND_ATTEMPTS ? 'exhausted' : null;
      if (failure) {
        await markFailed(deps.db, messageId, failure, reason);
        await dropSealedBody(deps.db, messageId);
        log.error({ failure, err: reason }, 'message failed');
        return;
      }
      await recordFailedAttempt(deps.db, messageId, reason);
      throw err;
    }
    await markSent(deps.db, messageId, providerMessageId);
    await dropSealedBody(deps.db, messageId);
    log.info({ providerMessageId }, 'message sent');
  };
}
