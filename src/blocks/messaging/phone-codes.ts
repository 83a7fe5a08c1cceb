import { CODE_MINUTES, type SendCode } from '../identity/index.ts';
import { isLocale, translator } from '../../platform/i18n/index.ts';
import type { Messenger } from './messenger.ts';

/** Sends the phone-linking code by SMS, in the account's language; the message log keeps it masked. */
export function phoneCodeSender(messenger: Messenger): SendCode {
  return async (trx, sms) => {
    const locale = isLocale(sms.locale) ? sms.locale : 'en';
    const body = translator(locale)('phone.sms.code', { code: sms.code, minutes: CODE_MINUTES });
    await messenger.queue(trx, { channel: 'sms', to: sms.to, locale, body, userId: sms.userId, template: 'identity.phone-link-code', secrets: [sms.code] });
  };
}
