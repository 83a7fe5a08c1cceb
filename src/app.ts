import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './platform/db/database.ts';
import { combineMigrations, migrateToLatest } from './platform/db/migrations.ts';
import { loadNodeKeys, type NodeKeys } from './platform/crypto/keys.ts';
import { registerMetrics } from './platform/http/metrics.ts';
import { operationsRoutes } from './platform/http/operations.ts';
import { createHttpServer, type App } from './platform/http/server.ts';
import { translator, isLocale, DEFAULT_LOCALE } from './platform/i18n/index.ts';
import { jobsMigrations } from './platform/jobs/migrations.ts';
import { startPeriodic, type Periodic } from './platform/jobs/periodic.ts';
import { JobQueue } from './platform/jobs/queue.ts';
import { jobRoutes, type RetryAudit } from './platform/jobs/routes.ts';
import { createMailer, type Mailer } from './platform/mail/mailer.ts';
import { actorOf, auditHeadFile, auditMigrations, auditRoutes, linkChain, recordAudit } from './blocks/audit/index.ts';
import {
  authenticate,
  identityMigrations,
  identityRoutes,
  OidcSignIn,
  passwordResetSender,
  purgeExpiredSessions,
  purgeOldWindows,
  SEND_RESET_TASK,
  phoneLinkRoutes,
  type SessionSettings,
} from './blocks/identity/index.ts';
import { catalogueMigrations, catalogueRoutes, IMPORT_TASK, importRunner, linkRegisterToDefinitions } from './blocks/catalogue/index.ts';
import { answerPaySms, answerStatusSms, continueCasesWhenPaid, definitionRoutes, registerRoutes, notificationSender, NOTIFY_TASK, registrationMigrations, type RegistrationDeps } from './blocks/registration/index.ts';
import { applicationRoutes } from './blocks/registration/application-routes.ts';
import { escalateOverdueCases } from './blocks/registration/applications/escalate-overdue.ts';
import { govstackRegistrationRoutes } from './blocks/registration/govstack/routes.ts';
import { deadlineChecker, DEADLINE_TASK, workflowMigrations } from './blocks/workflow/index.ts';
import { createSigner, esignatureMigrations, esignatureRoutes, type Signer } from './blocks/esignature/index.ts';
import { ussdRoutes } from './blocks/ussd/index.ts';
import { createMessenger, messagingMigrations, messagingRoutes, phoneCodeSender, type Messenger } from './blocks/messaging/index.ts';
import { createPayments, paymentsMigrations, paymentsRoutes, type Payments } from './blocks/payments/index.ts';
import { createRegistries, registriesMigrations, registriesRoutes, type Registries } from './blocks/registries/index.ts';
import { consentMigrations, consentRoutes } from './blocks/consent/index.ts';
import { analyticsMigrations, answerRateSms, inviteToFeedback, REFRESH_INTERVAL_MS, requestRefresh, subscribeToFacts } from './blocks/analytics/index.ts';
import { mediatorMigrations, mediatorRoutes } from './blocks/mediator/index.ts';
import { ecabinetMigrations, ecabinetRoutes } from './usecases/ecabinet/index.ts';
import { createScheduler, schedulerMigrations, schedulerRoutes, type Scheduler } from './blocks/scheduler/index.ts';
import { LocalBlobStore } from './platform/files/blob-store.ts';
import { accountPages } from './web/pages/account-pages.tsx';
import { cataloguePages } from './web/pages/catalogue-pages.tsx';
import { adminPages } from './web/pages/admin-pages.tsx';
import { applyPages } from './web/pages/apply-pages.tsx';
import { assistPages } from './web/pages/assist-pages.tsx';
import { workPages } from './web/pages/work-pages.tsx';
import { registerPages } from './web/pages/register-pages.tsx';
import { analyticsCasePages } from './web/pages/analytics-cases.tsx';
import { analyticsPages } from './web/pages/analytics-pages.tsx';
import { renderErrorPage, sitePages } from './web/pages/site-pages.tsx';

/** Every block's migrations, in one global order. */
export const MIGRATIONS = combineMigrations([
  jobsMigrations,
  identityMigrations,
  auditMigrations,
  catalogueMigrations,
  registrationMigrations,
  workflowMigrations,
  esignatureMigrations,
  messagingMigrations,
  paymentsMigrations,
  registriesMigrations,
  consentMigrations,
  ecabinetMigrations,
  schedulerMigrations,
  analyticsMigrations,
  mediatorMigrations,
]);

export interface Daftari {
  app: App;
  registration: RegistrationDeps;
  database: Database;
  jobs: JobQueue;
  keys: NodeKeys;
  mailer: Mailer;
  signer: Signer;
  messenger: Messenger;
  payments: Payments;
  registries: Registries;
  scheduler: Scheduler;
  /** Begin background work (job worker, audit linker, clean-ups) when this process runs it. */
  startBackground(): void;
  /** Stop accepting requests, finish in-flight ones, stop background work, close the pool. */
  close(): Promise<void>;
}

export interface BuildOptions {
  config: Config;
  log: Logger;
  databaseUrl: string;
  /** Apply pending migrations before serving (embedded mode and tests); otherwise `daftari migrate` does. */
  migrate?: boolean;
}

/** The composition root: config → platform → blocks → web. */
export async function buildDaftari({ config, log, databaseUrl, migrate = true }: BuildOptions): Promise<Daftari> {
  const database = openDatabase(databaseUrl);
  const { db, pool } = database;
  if (migrate) {
    const applied = await migrateToLatest(db, MIGRATIONS);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
  }
  const keys = await loadNodeKeys(config.dataDir);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir });
  const jobs = new JobQueue(db, log);
  const sessions: SessionSettings = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours, secure: config.baseUrl.startsWith('https:') };
  const oidc = config.oidc ? new OidcSignIn(db, config.oidc, config.baseUrl) : null;

  jobs.register(
    SEND_RESET_TASK,
    passwordResetSender(db, mailer, config.baseUrl, (locale) => {
      const t = translator(isLocale(locale) ? locale : DEFAULT_LOCALE);
      return { subject: t('mail.reset.subject'), body: (link) => t('mail.reset.body', { link }) };
    }),
  );

  jobs.register(IMPORT_TASK, importRunner(db));
  linkRegisterToDefinitions(db, jobs);
  jobs.register(DEADLINE_TASK, deadlineChecker(db, jobs));
  escalateOverdueCases(db, jobs, mailer, config.baseUrl);
  subscribeToFacts(db, jobs);
  const blobs = new LocalBlobStore(`${config.dataDir}/blobs`);
  const signer = createSigner({ db, blobs, dataDir: config.dataDir, baseUrl: config.baseUrl });
  const messagingDeps = { db, jobs, mailer, log, smsGateway: config.smsGateway, baseUrl: config.baseUrl };
  const messenger = createMessenger(messagingDeps);
  jobs.register(NOTIFY_TASK, notificationSender(db, messenger));
  inviteToFeedback(db, jobs, messenger, config.baseUrl);
  const paymentsDeps = { db, jobs, log, signer, messenger, mobileMoney: config.mobileMoney, baseUrl: config.baseUrl, bankAccount: config.bankAccount };
  const payments = createPayments(paymentsDeps);
  const registriesDeps = { db, jobs, log, baseUrl: config.baseUrl };
  const registries = createRegistries(registriesDeps);
  const scheduler = createScheduler({ db, jobs, messenger });
  const registration: RegistrationDeps = { db, jobs, blobs, payments, signer, messenger, scheduler };
  continueCasesWhenPaid(registration);

  const app = await createHttpServer({
    log,
    bodyLimit: config.bodyLimitBytes,
    uploadLimit: config.uploadLimitBytes,
    baseUrl: config.baseUrl,
    trustProxy: config.trustProxy,
    authenticate: (request) => authenticate(db, request, sessions),
    renderErrorPage: renderErrorPage(oidc?.label ?? null),
  });
  const registry = registerMetrics(app, pool, jobs);
  const retryAudit: RetryAudit = (trx, request, jobId) =>
    recordAudit(trx, { actor: actorOf(request.principal), action: 'platform.retry-job', subjectType: 'job', subjectId: String(jobId), requestId: request.id });

  await app.register(operationsRoutes(db, MIGRATIONS, registry));
  await app.register(jobRoutes(db, jobs, retryAudit));
  await app.register(identityRoutes(db, jobs, sessions));
  await app.register(phoneLinkRoutes(db, phoneCodeSender(messenger)));
  await app.register(ussdRoutes({ db, payments, secret: config.ussdSecret }));
  await app.register(auditRoutes(db, keys));
  await app.register(catalogueRoutes(db, jobs));
  await app.register(definitionRoutes(db, jobs, config.baseUrl));
  await app.register(registerRoutes(db));
  await app.register(applicationRoutes(registration));
  await app.register(govstackRegistrationRoutes(registration, config.baseUrl));
  await app.register(esignatureRoutes({ db, blobs, dataDir: config.dataDir, baseUrl: config.baseUrl, signer, oidcLabel: oidc?.label ?? null }));
  await app.register(messagingRoutes({ ...messagingDeps, messenger, demo: config.demo, oidcLabel: oidc?.label ?? null, inboundSms: [answerStatusSms, answerPaySms(payments), answerRateSms] }));
  await app.register(paymentsRoutes({ ...paymentsDeps, payments, oidcLabel: oidc?.label ?? null }));
  await app.register(registriesRoutes({ ...registriesDeps, registries, oidcLabel: oidc?.label ?? null }));
  await app.register(consentRoutes({ db, baseUrl: config.baseUrl, oidcLabel: oidc?.label ?? null }));
  await app.register(schedulerRoutes({ db, jobs, scheduler, baseUrl: config.baseUrl, oidcLabel: oidc?.label ?? null }));
  await app.register(ecabinetRoutes({ db, jobs, blobs, signer, messenger, baseUrl: config.baseUrl, oidcLabel: oidc?.label ?? null }));
  await app.register(mediatorRoutes({ db, keys }));
  await app.register(sitePages(oidc?.label ?? null));
  await app.register(accountPages({ db, jobs, sessions, oidc }));
  await app.register(cataloguePages({ db, jobs, oidcLabel: oidc?.label ?? null }));
  await app.register(adminPages({ db, jobs, retryAudit, oidcLabel: oidc?.label ?? null }));
  await app.register(applyPages(registration, oidc?.label ?? null));
  await app.register(assistPages(registration, oidc?.label ?? null));
  await app.register(workPages(registration, oidc?.label ?? null));
  await app.register(registerPages({ db, oidcLabel: oidc?.label ?? null }));
  await app.register(analyticsPages(db, oidc?.label ?? null));
  await app.register(analyticsCasePages(db, oidc?.label ?? null));
  await app.ready();

  let background: { stop(): Promise<void> }[] = [];
  return {
    app,
    registration,
    database,
    jobs,
    keys,
    mailer,
    signer,
    messenger,
    payments,
    scheduler,
    registries,
    startBackground() {
      if (!config.runWorker || background.length > 0) return;
      const periodic: Periodic[] = [
        startPeriodic('audit-link', config.auditLinkIntervalSeconds * 1000, () => linkChain(db, keys, { headFile: auditHeadFile(config.dataDir) }), log),
        startPeriodic('session-purge', 15 * 60_000, () => purgeExpiredSessions(db, sessions), log),
        startPeriodic('throttle-purge', 60 * 60_000, () => purgeOldWindows(db), log),
        startPeriodic('job-purge', 60 * 60_000, () => jobs.purgeDone(7), log),
        startPeriodic('analytics-refresh', REFRESH_INTERVAL_MS, () => requestRefresh(db, jobs), log),
      ];
      background = [jobs.startWorker({ connectionString: databaseUrl }), ...periodic];
    },
    async close() {
      await app.close();
      await Promise.all(background.map((b) => b.stop()));
      background = [];
      mailer.close();
      await database.close();
    },
  };
}
