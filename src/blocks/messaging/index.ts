import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config.ts';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { Mailer } from '../../platform/mail/mailer.ts';
import { messagingPages } from '../../web/pages/messaging-pages.tsx';
import { defineRole } from '../identity/index.ts';
import { govstackMessagingRoutes, MESSAGING_CLIENT_ROLE } from './govstack/routes.ts';
import { queueMessage, viewOf, type Messenger, type MessageView } from './messenger.ts';
import { deliveryReportRoutes, type InboundSmsHandler } from './routes.ts';
import { messageSender, SEND_TASK } from './send-message.ts';
import { httpSmsGateway } from './sms-gateway.ts';
import { messagesAboutRows } from './store.ts';

export { messagingMigrations } from './migrations/index.ts';
export { requeueMessage, type MessageView, type Messenger, type OutgoingMessage } from './messenger.ts';
export { maskRecipient } from './recipients.ts';
export { phoneCodeSender } from './phone-codes.ts';
export { INBOUND_SMS_PATH, type InboundSmsHandler } from './routes.ts';
export { splitSms, smsEncoding, type SmsEncoding, type SmsParts } from './sms-parts.ts';
export { DELIVERY_REPORTS_PATH, SEND_ATTEMPTS, SEND_TASK } from './send-message.ts';
export { httpSmsGateway, PermanentFailure, type OutgoingSms, type SmsGateway } from './sms-gateway.ts';
export { GOVSTACK_MESSAGING_PREFIX, GOVSTACK_REQUEST, MESSAGING_CLIENT_ROLE } from './govstack/routes.ts';

defineRole(MESSAGING_CLIENT_ROLE, 'API clients that send e-mail through the GovStack Messaging API (/govstack/messaging)');

export interface MessagingDeps {
  db: Db;
  jobs: JobQueue;
  mailer: Mailer;
  log: Logger;
  smsGateway: GatewayConfig | undefined;
  baseUrl: string;
}

/** Registers the send job, so build it once per job queue, before anything is queued. */
export function createMessenger(deps: MessagingDeps): Messenger {
  const sms = deps.smsGateway ? httpSmsGateway(deps.smsGateway) : null;
  if (!sms) deps.log.info('no SMS gateway configured: text messages will fail, saying so');
  deps.jobs.register(SEND_TASK, messageSender({ db: deps.db, mailer: deps.mailer, sms, baseUrl: deps.baseUrl }));
  return { queue: (executor, message) => queueMessage(deps.jobs, executor, message) };
}

/** The messages sent about a record (`application` + its id), oldest first, for its delivery log. */
export async function messagesAbout(executor: Executor, type: string, id: string): Promise<MessageView[]> {
  return (await messagesAboutRows(executor, type, id)).map(viewOf);
}

export function messagingRoutes(deps: MessagingDeps & { messenger: Messenger; demo: boolean; oidcLabel: string | null; inboundSms?: InboundSmsHandler[] }) {
  return async (app: App) => {
    await app.register(deliveryReportRoutes({ ...deps, inboundSms: deps.inboundSms ?? [] }));
    await app.register(govstackMessagingRoutes(deps));
    await app.register(messagingPages({ db: deps.db, jobs: deps.jobs, oidcLabel: deps.oidcLabel, phoneInbox: deps.demo && deps.smsGateway ? deps.smsGateway.url : null }));
  };
}
