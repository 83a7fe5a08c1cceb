import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { buildDaftari, MIGRATIONS, type Daftari } from './app.ts';
import { CONFIG_HELP, ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase } from './platform/db/database.ts';
import { startEmbeddedServer, type EmbeddedServer } from './platform/db/embedded-server.ts';
import { migrateToLatest } from './platform/db/migrations.ts';
import { loadNodeKeys, MissingNodeKey } from './platform/crypto/keys.ts';
import { createLogger } from './platform/log.ts';
import { auditHeadFile, linkAll, verifyChain } from './blocks/audit/index.ts';
import { BackupRefused, createBackup, restoreBackup } from './platform/backup/index.ts';
import { agencyCodes, applyImport, ImportRefused, validateImport } from './blocks/catalogue/index.ts';
import { createUser, grantableRoles } from './blocks/identity/index.ts';
import { verifyFile, VERIFY_USAGE_ERROR, VerifyUsageError } from './blocks/esignature/index.ts';
import { DefinitionInvalid, publishDefinition, validateDefinitionSource } from './blocks/registration/index.ts';
import { HEALTH_OFFICER, loadTestDataIntoDemo } from './blocks/registration/govstack/test-data.ts';
import { Problem } from './platform/http/problem.ts';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedDemo } from './demo/seed-demo.ts';
import { seedDemoPerformance } from './demo/performance-demo.ts';
import { seedDemoPermits } from './demo/permits-demo.ts';
import { ECABINET_DEMO_ACCOUNTS } from './usecases/ecabinet/index.ts';
import { startMissingSimulators, type RunningSimulator } from './simulators/index.ts';
import { runUssdPhone } from './simulators/ussd-phone.ts';

interface Connection {
  url: string;
  embedded: EmbeddedServer | null;
}

/** DATABASE_URL when set; otherwise a PostgreSQL server of our own, started in DATA_DIR. */
async function connect(config: Config, log: Logger): Promise<Connection> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedServer({ dataDir: config.dataDir, port: config.embeddedPgPort, log });
  log.info({ dataDir: config.dataDir, port: config.embeddedPgPort }, 'embedded PostgreSQL started');
  return { url: embedded.url, embedded };
}

/** Run a one-shot command against the database, migrated, then shut everything down. */
async function withDatabase<T>(config: Config, log: Logger, work: (url: string) => Promise<T>): Promise<T> {
  const { url, embedded } = await connect(config, log);
  try {
    const database = openDatabase(url, { max: 4 });
    try {
      await migrateToLatest(database.db, MIGRATIONS);
    } finally {
      await database.close();
    }
    return await work(url);
  } finally {
    await embedded?.stop();
  }
}

/** The whole demo: agencies, accounts, services and registries, then the cases that make the dashboards and the permit department look lived in. Idempotent. */
async function seedTheDemo(daftari: Daftari, config: Config): Promise<string[]> {
  const { created } = await seedDemo(daftari.database.db, daftari.jobs, { signer: daftari.signer, messenger: daftari.messenger, baseUrl: config.baseUrl });
  created.push(...(await seedDemoPerformance(daftari.registration, daftari.jobs)));
  created.push(...(await seedDemoPermits(daftari.registration)));
  return created;
}

async function serve(configured: Config, log: Logger): Promise<void> {
  const started = Date.now();
  const { url, embedded } = await connect(configured, log);
  let daftari;
  let simulators: RunningSimulator[] = [];
  let config = configured;
  try {
    ({ config, simulators } = await startMissingSimulators(configured));
    for (const simulator of simulators) log.info({ url: simulator.url }, `simulated ${simulator.name} at ${simulator.url}`);
    daftari = await buildDaftari({ config, log, databaseUrl: url, migrate: embedded !== null || process.env.MIGRATE_ON_START === 'true' });
    if (config.demo) {
      const created = await seedTheDemo(daftari, config);
      if (created.length > 0) log.info({ created }, 'demo data seeded');
    }
    daftari.startBackground();
    await daftari.app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await daftari?.close().catch(() => undefined);
    await Promise.all(simulators.map((s) => s.close()));
    await embedded?.stop();
    throw err;
  }
  log.info({ url: config.baseUrl, startupMs: Date.now() - started }, `Daftari is serving at ${config.baseUrl}`);
  if (config.demo) {
    log.info(
      { password: undefined, accounts: [...DEMO_ACCOUNTS, ...ECABINET_DEMO_ACCOUNTS].map((a) => `${a.username} (${a.what})`) },
      `demo accounts (every one signs in with the password "${DEMO_PASSWORD}")`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await daftari.close();
      await Promise.all(simulators.map((s) => s.close()));
      await embedded?.stop();
      log.info('stopped cleanly');
      process.exitCode = 0;
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function program(): Command {
  const cli = new Command('daftari')
    .description('Daftari: open e-government services platform')
    .addHelpText('after', `\nEnvironment:\n${CONFIG_HELP.map(([k, v]) => `  ${k.padEnd(48)} ${v}`).join('\n')}`)
    .showHelpAfterError();

  const context = () => {
    const config = loadConfig();
    return { config, log: createLogger(config.logLevel) };
  };

  cli.command('serve')
    .description('serve the web portal and API (starts the embedded database unless DATABASE_URL is set)')
    .action(async () => {
      const { config, log } = context();
      await serve(config, log);
    });

  cli.command('migrate')
    .description('apply pending database migrations (safe to run from several processes at once)')
    .action(async () => {
      const { config, log } = context();
      const { url, embedded } = await connect(config, log);
      const database = openDatabase(url, { max: 2 });
      try {
        const applied = await migrateToLatest(database.db, MIGRATIONS);
        console.log(applied.length ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'The database is up to date.');
      } finally {
        await database.close();
        await embedded?.stop();
      }
    });

  cli.command('seed')
    .description('load the demo agencies and accounts (idempotent)')
    .action(async () => {
      const { config, log } = context();
      await withDatabase(config, log, async (url) => {
        // The whole platform, so events the seed emits reach every subscriber.
        const daftari = await buildDaftari({ config, log, databaseUrl: url, migrate: false });
        try {
          const created = await seedTheDemo(daftari, config);
          await daftari.jobs.drain();
          console.log(created.length ? `Created:\n  ${created.join('\n  ')}` : 'Demo data is already present.');
        } finally {
          await daftari.close();
        }
      });
    });

  const users = cli.command('users').description('manage accounts');
  users.command('create')
    .description('create an account; the password is read from DAFTARI_PASSWORD or standard input, never the command line')
    .requiredOption('--username <name>', 'sign-in name')
    .requiredOption('--name <display name>', 'full name')
    .option('--email <address>', 'e-mail address (for password resets)')
    .option('--role <role@agency...>', 'role to grant, e.g. officer@urban-permits or admin (repeatable)')
    .addOption(new Option('--citizen', 'make it a citizen account (a person who can apply)'))
    .action(async (opts: { username: string; name: string; email?: string; role?: string[]; citizen?: boolean }) => {
      const { config, log } = context();
      const password = process.env.DAFTARI_PASSWORD ?? (await readStdin());
      if (!password) throw new CliError('Give the password in DAFTARI_PASSWORD or on standard input.');
      const roles = (opts.role ?? []).map((spec) => {
        const [role, agencyCode] = spec.split('@');
        return { role: role!, agencyCode: agencyCode ?? null };
      });
      await withDatabase(config, log, async (url) => {
        const database = openDatabase(url, { max: 2 });
        try {
          const user = await createUser(database.db, { username: opts.username, displayName: opts.name, email: opts.email ?? null, password, roles, party: opts.citizen ? { kind: 'person' } : null });
          console.log(`Created account ${user.username} (${user.id})`);
        } finally {
          await database.close();
        }
      });
    });

  const services = cli.command('services').description('service definitions');
  services.command('validate')
    .description('check definition files (YAML or JSON) without a database: shape, references, reachability, expressions, translations')
    .argument('<files...>', 'definition files')
    .action(async (files: string[]) => {
      const roles = new Set(grantableRoles().map((r) => r.name));
      let failed = 0;
      for (const file of files) {
        const result = validateDefinitionSource(await readFile(file, 'utf8'), { roles });
        if (result.valid) {
          console.log(`${file}: valid (${result.definition.id} version ${result.definition.version})`);
          continue;
        }
        failed += 1;
        console.log(`${file}: ${plural(result.problems.length, 'problem', 'problems')}`);
        for (const p of result.problems) console.log(`  ${file}:${p.line ?? '?'}:${p.column ?? '?'} ${p.pointer || '(document)'}: ${p.message}`);
      }
      if (failed > 0) process.exitCode = 1;
    });
  services.command('publish')
    .description('publish definition files; also checks the agencies they name. Takes effect in every running process at once')
    .argument('<files...>', 'definition files')
    .action(async (files: string[]) => {
      const { config, log } = context();
      await withDatabase(config, log, async (url) => {
        const daftari = await buildDaftari({ config, log, databaseUrl: url, migrate: false });
        try {
          for (const file of files) {
            try {
              const { definition, created } = await publishDefinition(daftari.database.db, daftari.jobs, { source: await readFile(file, 'utf8') }, null, null);
              console.log(`${file}: ${created ? 'published' : 'already published'} ${definition.serviceId} version ${definition.version}`);
            } catch (err) {
              if (!(err instanceof DefinitionInvalid) && !(err instanceof Problem)) throw err;
              process.exitCode = 1;
              console.log(`${file}: ${err.detail}`);
            }
          }
          await daftari.jobs.drain();
        } finally {
          await daftari.close();
        }
      });
    });

  const govstack = cli.command('govstack').description('GovStack compatibility');
  govstack.command('load-test-data')
    .description("load GovStack's Registration test data (its services, and its applications made by the demo citizen amina) into the demo")
    .action(async () => {
      const { config, log } = context();
      await withDatabase(config, log, async (url) => {
        const daftari = await buildDaftari({ config, log, databaseUrl: url, migrate: false });
        try {
          const loaded = await loadTestDataIntoDemo(daftari.registration, DEMO_PASSWORD);
          await daftari.jobs.drain();
          console.log(`Loaded ${plural(loaded.services, 'service', 'services')} and ${plural(loaded.applications, 'application', 'applications')} from GovStack's test data; the health officer is ${HEALTH_OFFICER.username}.`);
        } finally {
          await daftari.close();
        }
      });
    });

  const catalogue = cli.command('catalogue').description('the register of public services');
  catalogue.command('import')
    .description('check a CSV of services row by row and import all of them, or none if any row is wrong')
    .argument('<file>', 'CSV file, UTF-8, with the columns of the register export')
    .action(async (file: string) => {
      const { config, log } = context();
      const content = await readFile(file, 'utf8');
      const ok = await withDatabase(config, log, async (url) => {
        const database = openDatabase(url, { max: 2 });
        try {
          const codes = await agencyCodes(database.db);
          const bar = progressBar('checking');
          const { records, errors } = validateImport(content, new Set(codes.keys()), bar);
          if (errors.length > 0) {
            console.log(`${errors.length} problem(s); nothing was imported:`);
            for (const e of errors) console.log(`  line ${e.line}${e.column ? `, column ${e.column}` : ''}: ${e.reason}`);
            return false;
          }
          const result = await applyImport(database.db, records, { type: 'system', id: null, name: 'cli' }, null, progressBar('writing')).catch((err: unknown) => {
            if (!(err instanceof ImportRefused)) throw err;
            console.log(`${err.errors.length} problem(s); nothing was imported:`);
            for (const e of err.errors) console.log(`  line ${e.line}, column ${e.column}: ${e.reason}`);
            return null;
          });
          if (!result) return false;
          console.log(`Imported ${records.length} service(s): ${result.created} new, ${result.updated} updated.`);
          return true;
        } finally {
          await database.close();
        }
      });
      if (!ok) process.exitCode = 1;
    });

  const audit = cli.command('audit').description('the tamper-evident audit log');
  audit.command('verify')
    .description('link pending entries, then check the whole chain and its signed checkpoints; exits 2 if tampering is found')
    .action(async () => {
      const { config, log } = context();
      const valid = await withDatabase(config, log, async (url) => {
        const database = openDatabase(url, { max: 2 });
        try {
          const keys = await loadNodeKeys(config.dataDir, { create: false });
          const headFile = auditHeadFile(config.dataDir);
          await linkAll(database.db, keys, { headFile });
          const report = await verifyChain(database.db, keys, { headFile });
          if (report.valid) {
            console.log(`The audit chain is valid: ${plural(report.linked, 'entry', 'entries')}, ${plural(report.checkpoints, 'signed checkpoint', 'signed checkpoints')}, ${report.unlinked} awaiting linking.`);
          } else {
            const p = report.firstProblem!;
            console.log(`The audit chain is BROKEN at ${p.entryId !== null ? `entry id ${p.entryId}` : 'a checkpoint'}${p.chainSeq !== null ? ` (chain position ${p.chainSeq})` : ''}: ${p.reason}.`);
          }
          return report.valid;
        } finally {
          await database.close();
        }
      });
      if (!valid) process.exitCode = 2;
    });

  cli.command('verify')
    .description('check a signed document (PDF) offline against the agencies\' public keys; exits 0 when genuine, 1 when not, 2 on usage errors')
    .argument('<file>', 'the PDF as issued')
    .option('--jwks <file-or-url>', 'the public keys, a JWKS file or URL (default: BASE_URL/.well-known/jwks.json)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : VERIFY_USAGE_ERROR))
    .action(async (file: string, opts: { jwks?: string }) => {
      try {
        process.exitCode = await verifyFile(file, opts.jwks ?? `${loadConfig().baseUrl}/.well-known/jwks.json`, (line) => console.log(line));
      } catch (err) {
        if (!(err instanceof VerifyUsageError)) throw err;
        console.error(err.message);
        process.exitCode = VERIFY_USAGE_ERROR;
      }
    });

  cli.command('backup')
    .description('write the database (one consistent snapshot, taken while the app runs), the blob store and the keys to a new directory; it holds the node\'s private keys, so keep it as safe as DATA_DIR')
    .argument('<directory>', 'a directory that does not exist yet')
    .action(async (directory: string) => {
      const { config, log } = context();
      const { url, embedded } = await connect(config, log);
      const database = openDatabase(url, { max: 2 });
      try {
        const manifest = await createBackup({ pool: database.pool, dataDir: config.dataDir, target: directory });
        const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
        console.log(`Backed up ${plural(manifest.tables.length, 'table', 'tables')} (${plural(rows, 'row', 'rows')}), ${plural(manifest.blobs.files, 'blob', 'blobs')} and ${plural(manifest.keys.files, 'key file', 'key files')} to ${directory}.`);
      } finally {
        await database.close();
        await embedded?.stop();
      }
    });

  cli.command('restore')
    .description('restore a backup into a new, empty database and its DATA_DIR, all or nothing, then check the audit chain; exits 2 if the restored chain does not verify')
    .argument('<directory>', 'a directory written by daftari backup')
    .action(async (directory: string) => {
      const { config, log } = context();
      const valid = await withDatabase(config, log, async (url) => {
        const database = openDatabase(url, { max: 2 });
        try {
          const manifest = await restoreBackup({ pool: database.pool, dataDir: config.dataDir, source: directory, migrations: Object.keys(MIGRATIONS).sort() });
          const report = await verifyChain(database.db, await loadNodeKeys(config.dataDir, { create: false }), { headFile: auditHeadFile(config.dataDir) });
          const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
          console.log(`Restored ${plural(manifest.tables.length, 'table', 'tables')} (${plural(rows, 'row', 'rows')}, every one matching its hash), ${plural(manifest.blobs.files, 'blob', 'blobs')} and ${plural(manifest.keys.files, 'key file', 'key files')} from the backup of ${manifest.createdAt}.`);
          console.log(report.valid ? `The audit chain is valid: ${plural(report.linked, 'entry', 'entries')}, ${report.unlinked} awaiting linking.` : `The audit chain is BROKEN: ${report.firstProblem?.reason ?? 'unknown problem'}.`);
          return report.valid;
        } catch (err) {
          if (err instanceof BackupRefused) throw new CliError(`Restore refused: ${err.message}`);
          throw err;
        } finally {
          await database.close();
        }
      });
      if (!valid) process.exitCode = 2;
    });

  cli.command('ussd-sim')
    .description('dial the USSD channel from this terminal, as a basic phone would (type a choice, Enter)')
    .option('--phone <number>', 'the calling phone, E.164', '+25377812345')
    .option('--url <url>', 'the USSD callback (default: BASE_URL/ussd)')
    .option('--code <service-code>', 'the USSD code dialled', '*384*1#')
    .action(async (opts: { phone: string; url?: string; code: string }) => {
      const config = loadConfig();
      if (!config.ussdSecret) throw new CliError('Set USSD_GATEWAY_SECRET to the secret the server was started with.');
      await runUssdPhone({ url: opts.url ?? `${config.baseUrl}/ussd`, secret: config.ussdSecret, phone: opts.phone, serviceCode: opts.code, input: process.stdin, output: process.stdout });
    });

  return cli;
}

class CliError extends Error {}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A progress bar on standard error: redrawn in place on a terminal, a line per 10% otherwise. */
function progressBar(label: string) {
  let lastTenth = -1;
  return (done: number, total: number) => {
    const fraction = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(fraction * 100)}% (${done}/${total})${done === total ? '\n' : ''}`);
    } else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      process.stderr.write(`${label}: ${done}/${total} (${Math.round(fraction * 100)}%)\n`);
    }
  };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
    } else if (err instanceof CliError || err instanceof MissingNodeKey) {
      console.error(err.message);
    } else {
      console.error(`daftari: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exitCode = 1;
  }
}
