import { Type } from '@sinclair/typebox';
import type { GatewayConfig } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { applyDeliveryReport } from './message-status.ts';
import { checkSignature, keepRawBody, rawBodyOf, type SignatureCheck } from '../../platform/http/signed-calls.ts';
import { DELIVERY_REPORTS_PATH } from './send-message.ts';

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

const REFUSALS: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  missing: 'A delivery report must be signed: send the x-daftari-timestamp and x-daftari-signature headers.',
  stale: 'The delivery report is signed at a time too far from now; sign it afresh.',
  forged: 'The signature of the delivery report does not match its content.',
};

/** Delivery reports an SMS gateway posts back (server to server: no session, no CSRF token, a signature instead). */
export function deliveryReportRoutes({ db, smsGateway }: { db: Db; smsGateway: GatewayConfig | undefined }) {
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
      // Before the body is validated: whoever cannot sign learns nothing about what we expect.
      preValidation: async (request) => {
        if (!smsGateway) throw Problem.unauthorized('No SMS gateway is configured here, so no delivery report can be verified.');
        const check = checkSignature(smsGateway.secret, request.headers, rawBodyOf(request));
        if (check !== 'valid') {
          request.log.warn({ check, ip: request.ip }, 'SMS delivery report refused');
          throw Problem.unauthorized(REFUSALS[check]);
        }
      },
      handler: async (request) => {
        const { reference, messageId, status, error } = request.body;
        const result = await applyDeliveryReport(db, { reference, messageId, status, error });
        if (!result.changed) request.log.info({ reference, reported: status, current: result.status }, 'SMS delivery report changed nothing (repeated or out of order)');
        return result;
      },
    });
  };
}
