import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

function assertRefused(env: Record<string, string>, variable: string, reason: RegExp) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
      assert.equal(err.variable, variable);
      assert.ok(err.message.startsWith(`${variable}: `), err.message);
      assert.match(err.message, reason);
      return true;
    },
  );
}

describe('configuration from the environment', () => {
  it('with nothing set, runs the embedded database on port 3000 with demo data', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.dataDir, path.resolve('data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.embeddedPgPort, 54329);
    assert.equal(config.baseUrl, 'http://localhost:3000');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.demo, true);
    assert.equal(config.sessionIdleMinutes, 30);
    assert.equal(config.sessionAbsoluteHours, 12);
    assert.equal(config.bodyLimitBytes, 1_048_576);
    assert.equal(config.oidc, undefined);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.runWorker, true);
    assert.equal(config.trustProxy, false);
  });

  it('an empty variable means its default', () => {
    assert.equal(loadConfig({ PORT: '', LOG_LEVEL: '', DEMO: '' }).port, 3000);
  });

  it('an external database turns demo data off unless DEMO says otherwise', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://daftari@db.internal/daftari' }).demo, false);
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://daftari@db.internal/daftari', DEMO: 'yes' }).demo, true);
  });

  it('the base URL follows PORT unless set, and loses a trailing slash', () => {
    assert.equal(loadConfig({ PORT: ' 8080 ' }).baseUrl, 'http://localhost:8080');
    assert.equal(loadConfig({ BASE_URL: 'https://services.gov.example/' }).baseUrl, 'https://services.gov.example');
  });

  it('an identity provider needs an issuer and a client id; the label has a default', () => {
    const config = loadConfig({ OIDC_ISSUER: 'https://id.gov.example', OIDC_CLIENT_ID: 'daftari', OIDC_CLIENT_SECRET: 's3cret' });
    assert.deepEqual(config.oidc, { issuer: 'https://id.gov.example', clientId: 'daftari', clientSecret: 's3cret', label: 'National digital ID' });
  });

  it('refuses each invalid value, naming the variable to fix', () => {
    assertRefused({ PORT: 'abc' }, 'PORT', /expected a whole number, got "abc"/);
    assertRefused({ PORT: '70000' }, 'PORT', /from 0 to 65535, got 70000/);
    assertRefused({ PORT: '-1' }, 'PORT', /whole number/);
    assertRefused({ PORT: '80.5' }, 'PORT', /whole number/);
    assertRefused({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres:\/\/ or postgresql:\/\//);
    assertRefused({ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /absolute URL/);
    assertRefused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
    assertRefused({ BASE_URL: 'ftp://x' }, 'BASE_URL', /http:\/\/ or https:\/\//);
    assertRefused({ DEMO: 'maybe' }, 'DEMO', /true or false, got "maybe"/);
    assertRefused({ OIDC_ISSUER: 'https://id.gov.example' }, 'OIDC_CLIENT_ID', /required when OIDC_ISSUER is set/);
    assertRefused({ SESSION_IDLE_MINUTES: '0' }, 'SESSION_IDLE_MINUTES', /from 1 to 1440/);
    assertRefused({ SMTP_URL: 'http://mail.example' }, 'SMTP_URL', /smtp:\/\/ or smtps:\/\//);
    assertRefused({ TRUST_PROXY: 'sometimes' }, 'TRUST_PROXY', /true or false/);
  });

  it('never repeats a database URL in an error, as it may hold a password', () => {
    assertRefused({ DATABASE_URL: 'mysql://daftari:hunter2-secret@db/daftari' }, 'DATABASE_URL', /^(?!.*hunter2-secret)/);
  });
});
