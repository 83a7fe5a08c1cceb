import { Type } from '@sinclair/typebox';
import type { GatewayConfig } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { applyDeliveryReport } from './message-status.ts';
import { keepRawBody, requireGatewaySignature } from '../../platform/http/signed-calls.ts';
import { DELIVERY_REPORTS_PATH } from './send-message.ts';
import type { Messenger } from './messenger.ts';

const DeliveryReportBody = Type.Object(
  {
    reference: Type.String({ format: 'uuid', description: 'Our message id, as sent to the gateway' }),
    messageId: Type.String({ minLength: 1, maxLength: 200, description: "The gateway's id for the message" }),
    status: Type.Union([Type.Literal('sent'), Type.Literal('delivered'), Type.Literal('failed')]),
    error: Type.Optional(Type.String({ maxLength: 500 })),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/**
 * Answers a text someone sent to the platform's number, or null when it is no command this
 * handler knows. Given the sender's number as the gateway reports it.
 */
export type InboundSmsHandler = (db: Db, sms: { from: string; text: string; requestId: string }) => Promise<{ body: string; locale: string; userId: string | null } | null>;

export const INBOUND_SMS_PATH = '/messaging/sms/inbound';

/** Delivery reports an SMS gateway posts back (server to server: no session, no CSRF token, a signature instead). */
export function deliveryReportRoutes({ db, smsGateway, messenger, inboundSms }: { db: Db; smsGateway: GatewayConfig | undefined; messenger: Messenger; inboundSms: InboundSmsHandler[] }) {
  return async (app: App) => {
    app.post(DELIVERY_REPORTS_PATH, {
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 16 * 1024,
      schema: {
        summary: "An SMS gateway's delivery report, signed with the shared secret (HMAC-SHA256 of `<timestamp>.<body>`)",
        tags: ['messaging'],
        body: DeliveryReportBody,
        response: { 200: Type.Object({ status: Type.String(), changed: Type.Boolean() }), ...Problems },
      },
      preParsing: keepRawBody,
      preValidation: requireGatewaySignature(smsGateway?.secret, 'SMS delivery report'),
      handler: async (request) => {
        const { reference, messageId, status, error } = request.body;
        const result = await applyDeliveryReport(db, { reference, messageId, status, error });
        if (!result.changed) request.log.info({ reference, reported: status, current: result.status }, 'SMS delivery report changed nothing (repeated or out of order)');
        return result;
      },
    });

    app.post(INBOUND_SMS_PATH, {
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 16 * 1024,
      schema: {
        summary: 'A text a person sent to the platform, posted by the SMS gateway and signed like its delivery reports; a known command (STATUS or PAY <tracking number>) is answered by SMS',
        tags: ['messaging'],
        body: Type.Object({ from: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }), text: Type.String({ maxLength: 1600 }), id: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ answered: Type.Boolean() }), ...Problems },
      },
      preParsing: keepRawBody,
      preValidation: requireGatewaySignature(smsGateway?.secret, 'inbound SMS'),
      handler: async (request) => {
        const { from, text, id } = request.body;
        for (const handle of inboundSms) {
          const answer = await handle(db, { from, text, requestId: request.id });
          if (!answer) continue;
          await messenger.queue(db, { channel: 'sms', to: from, locale: answer.locale, body: answer.body, userId: answer.userId, template: 'messaging.inbound-answer', ...(id ? { dedupeKey: `inbound:${id}` } : {}), requestId: request.id });
          return { answered: true };
        }
        return { answered: false };
      },
    });
  };
}
