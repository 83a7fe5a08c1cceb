import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problems } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { confirmPhoneLink, requestPhoneLink, type SendCode } from './link-phone.ts';
import { CITIZEN_ROLE } from './roles.ts';

/** A person links their phone (for SMS status and USSD) by a code sent to it. */
export function phoneLinkRoutes(db: Db, sendCode: SendCode) {
  return async (app: App) => {
    app.post('/api/identity/phone-link', {
      config: { access: access.roles(CITIZEN_ROLE) },
      schema: {
        summary: 'Send a one-time code by SMS to the phone to link to your account (valid 10 minutes; a few per phone and account in 15 minutes)',
        tags: ['identity'],
        body: Type.Object({ phone: Type.String({ minLength: 5, maxLength: 30 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ expiresAt: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const { expiresAt } = await requestPhoneLink(db, sendCode, requirePrincipal(request), request.body.phone, request.id);
        return reply.code(202).send({ expiresAt: expiresAt.toISOString() });
      },
    });

    app.post('/api/identity/phone-link/confirm', {
      config: { access: access.roles(CITIZEN_ROLE) },
      schema: {
        summary: 'Confirm the code received: the phone becomes your account’s',
        tags: ['identity'],
        body: Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ phone: Type.String() }), ...Problems },
      },
      handler: async (request) => ({ phone: await confirmPhoneLink(db, requirePrincipal(request), request.body.code, request.id) }),
    });
  };
}
