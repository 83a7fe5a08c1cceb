import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Label on the sign-in button, e.g. "National digital ID". */
  label: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** When unset, an embedded PostgreSQL server is started inside dataDir. */
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  baseUrl: string;
  logLevel: LogLevel;
  /** Seed demo agencies, accounts and data on start (idempotent). */
  demo: boolean;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  oidc: OidcConfig | undefined;
  /** SMTP URL for outgoing mail; unset writes messages to dataDir/mail instead. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Seconds between runs of the audit chain linker. */
  auditLinkIntervalSeconds: number;
  /** Whether this process runs background jobs (outbox delivery, audit linking). */
  runWorker: boolean;
  /** Trust X-Forwarded-* headers from a reverse proxy. */
  trustProxy: boolean;
  /** The mobile-money provider's API; unset in demo mode starts the simulator in this process. */
  mobileMoney: GatewayConfig | undefined;
  /** The SMS gateway's API; unset in demo mode starts the simulator in this process. */
  smsGateway: GatewayConfig | undefined;
  /** The HMAC secret the USSD gateway signs its requests with; unset, the USSD channel refuses every call. */
  ussdSecret: string | undefined;
  /** Start the mobile-money and SMS simulators for gateways that are not configured (default: in demo mode). */
  simulators: boolean;
  /** The account applicants pay bank transfers into, shown with the payment reference. */
  bankAccount: string;
}

/** An outside HTTP service Daftari calls, and the shared secret that signs calls in both directions. */
export interface GatewayConfig {
  url: string;
  secret: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'expected an absolute URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

function secretOf(env: Env, name: string): string | undefined {
  const secret = env[name]?.trim();
  if (secret !== undefined && secret !== '' && secret.length < 16) throw new ConfigError(name, 'a shared secret of at least 16 characters');
  return secret || undefined;
}

function gateway(env: Env, urlName: string, secretName: string): GatewayConfig | undefined {
  const address = url(env, urlName, ['http:', 'https:']);
  const secret = env[secretName]?.trim();
  if (!address) return undefined;
  if (!secret || secret.length < 16) throw new ConfigError(secretName, `required when ${urlName} is set: a shared secret of at least 16 characters`);
  return { url: address.replace(/\/$/, ''), secret };
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';
  const dataDir = path.resolve(env.DATA_DIR?.trim() || 'data');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const baseUrl = (url(env, 'BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, '');
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const oidcIssuer = url(env, 'OIDC_ISSUER', ['http:', 'https:']);
  const oidcClientId = env.OIDC_CLIENT_ID?.trim();
  if (oidcIssuer && !oidcClientId) throw new ConfigError('OIDC_CLIENT_ID', 'required when OIDC_ISSUER is set');
  const mailFrom = env.MAIL_FROM?.trim() || 'Daftari <no-reply@daftari.localhost>';
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    baseUrl,
    logLevel,
    demo: boolean(env, 'DEMO', databaseUrl === undefined),
    sessionIdleMinutes: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionAbsoluteHours: integer(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 30),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 512 * 1_048_576),
    uploadLimitBytes: integer(env, 'UPLOAD_LIMIT_BYTES', 20 * 1_048_576, 1024, 1024 * 1_048_576),
    oidc: oidcIssuer
      ? {
          issuer: oidcIssuer,
          clientId: oidcClientId!,
          clientSecret: env.OIDC_CLIENT_SECRET || undefined,
          label: env.OIDC_LABEL?.trim() || 'National digital ID',
        }
      : undefined,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom,
    auditLinkIntervalSeconds: integer(env, 'AUDIT_LINK_INTERVAL_SECONDS', 2, 1, 3600),
    runWorker: boolean(env, 'RUN_WORKER', true),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    mobileMoney: gateway(env, 'MOBILE_MONEY_URL', 'MOBILE_MONEY_SECRET'),
    smsGateway: gateway(env, 'SMS_GATEWAY_URL', 'SMS_GATEWAY_SECRET'),
    ussdSecret: secretOf(env, 'USSD_GATEWAY_SECRET'),
    simulators: boolean(env, 'SIMULATORS', boolean(env, 'DEMO', databaseUrl === undefined)),
    bankAccount: env.BANK_ACCOUNT?.trim() || 'DJ21 0001 0000 0123 4567 8901 234 (Trésor public, Banque Centrale de Djibouti)',
  };
}

/** Environment variables, for `--help` and the operator guide. */
export const CONFIG_HELP: [string, string][] = [
  ['PORT', 'HTTP port (default 3000)'],
  ['HOST', 'interface to listen on (default 0.0.0.0)'],
  ['DATA_DIR', 'where the embedded database, keys, files and mail go (default ./data)'],
  ['DATABASE_URL', 'postgres://… of an external PostgreSQL 15+; unset starts the embedded server'],
  ['EMBEDDED_PG_PORT', 'port of the embedded PostgreSQL (default 54329)'],
  ['BASE_URL', 'public URL of this node (default http://localhost:PORT)'],
  ['LOG_LEVEL', 'fatal|error|warn|info|debug|trace|silent (default info)'],
  ['DEMO', 'seed demo data (default true with the embedded database)'],
  ['SESSION_IDLE_MINUTES', 'sign out after this much inactivity (default 30)'],
  ['SESSION_ABSOLUTE_HOURS', 'sign out after this long regardless (default 12)'],
  ['BODY_LIMIT_BYTES', 'largest accepted request body (default 1 MiB)'],
  ['UPLOAD_LIMIT_BYTES', 'largest accepted uploaded file (default 20 MiB)'],
  ['OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_LABEL', 'external OpenID Connect provider'],
  ['SMTP_URL, MAIL_FROM', 'outgoing mail; unset writes .eml files to DATA_DIR/mail'],
  ['AUDIT_LINK_INTERVAL_SECONDS', 'how often new audit entries are linked into the chain and a checkpoint signed (default 2)'],
  ['RUN_WORKER', 'run background jobs in this process (default true)'],
  ['TRUST_PROXY', 'trust X-Forwarded-* from a reverse proxy (default false)'],
  ['MOBILE_MONEY_URL, MOBILE_MONEY_SECRET', 'mobile-money provider API and the HMAC secret of its callbacks'],
  ['SMS_GATEWAY_URL, SMS_GATEWAY_SECRET', 'SMS gateway API and the HMAC secret of its delivery reports'],
  ['USSD_GATEWAY_SECRET', 'HMAC secret the USSD gateway signs its requests with (docs/channels.md)'],
  ['SIMULATORS', 'start the mobile-money and SMS simulators for gateways not configured (default: as DEMO)'],
  ['BANK_ACCOUNT', 'account shown to applicants who pay by bank transfer'],
];
