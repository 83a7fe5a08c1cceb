import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { keepRawBody, requireGatewaySignature } from '../../platform/http/signed-calls.ts';
import { findUserByContact, findUserById, normaliseMobile } from '../identity/index.ts';
import type { Payments } from '../payments/index.ts';
import { caseForPhone, owedOn, payFromPhone } from '../registration/index.ts';
import { nextScreen, type MenuDeps } from './menu.ts';

export const USSD_PATH = '/ussd';

const UssdRequest = Type.Object(
  {
    sessionId: Type.String({ minLength: 1, maxLength: 100 }),
    serviceCode: Type.String({ minLength: 1, maxLength: 40 }),
    phoneNumber: Type.String({ minLength: 5, maxLength: 30 }),
    text: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: true },
);

function menuDeps(db: Db, payments: Payments, requestId: string): MenuDeps {
  return {
    async caseFor(trackingNumber, phone) {
      const found = await caseForPhone(db, trackingNumber, phone);
      return found ? { status: found.text, next: found.next, owed: await owedOn(db, payments, found.applicationId) } : null;
    },
    async pay(trackingNumber, phone) {
      return (await payFromPhone(db, payments, { trackingNumber, phone, requestId }))?.outcome ?? 'nothing-due';
    },
  };
}

/**
 * The USSD gateway's callback: a form POST per screen, signed with the shared secret like the SMS
 * gateway's calls (HMAC of `<timestamp>.<body>`), answered in text/plain with `CON …` or `END …`.
 */
export function ussdRoutes({ db, payments, secret }: { db: Db; payments: Payments; secret: string | undefined }) {
  return async (app: App) => {
    app.post(USSD_PATH, {
      config: { access: access.public, csrfExempt: true },
      bodyLimit: 8 * 1024,
      schema: {
        summary: 'A USSD gateway asks for the next screen of a session (sessionId, serviceCode, phoneNumber, text = the inputs so far joined by *); signed with the shared secret',
        tags: ['ussd'],
        body: UssdRequest,
        response: { 200: Type.String({ description: 'CON <screen> to wait for input, END <screen> to close' }), ...Problems },
      },
      preParsing: keepRawBody,
      preValidation: requireGatewaySignature(secret, 'USSD request'),
      handler: async (request, reply) => {
        const phone = normaliseMobile(request.body.phoneNumber);
        if (!phone) throw Problem.invalidField('/body/phoneNumber', 'is not an international mobile number');
        const holder = await findUserByContact(db, 'sms', phone);
        const linkedLocale = holder ? ((await findUserById(db, holder.id))?.locale ?? null) : null;
        const body = await nextScreen(menuDeps(db, payments, request.id), { phone, text: request.body.text, linkedLocale });
        return reply.type('text/plain; charset=utf-8').send(body);
      },
    });
  };
}
