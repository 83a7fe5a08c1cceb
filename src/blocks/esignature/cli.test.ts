import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { runDaftari } from '../../../test/support/cli.ts';
import { issueLicence } from './document-fixtures.ts';

let app: TestApp;
let dir: string;
let genuine: string;
let jwksFile: string;
let issued: Awaited<ReturnType<typeof issueLicence>>;

before(async () => {
  app = await startTestApp({ listen: true });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-verify-'));
  issued = await issueLicence(app);
  genuine = path.join(dir, 'licence.pdf');
  await fs.writeFile(genuine, issued.bytes);
  jwksFile = path.join(dir, 'jwks.json');
  await fs.writeFile(jwksFile, (await app.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await app.stop();
});

async function writeFile(name: string, content: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, content);
  return file;
}

describe('daftari verify FILE', () => {
  it('says a file issued here is genuine, offline from a JWKS file, with its key facts, and exits 0', async () => {
    const result = await runDaftari(['verify', genuine, '--jwks', jwksFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^GENUINE: .* is document ${issued.id}, issued by commerce`));
    assert.match(result.stdout, /Issued to: Amina Said/);
    assert.match(result.stdout, /Tracking number: BL-2026-000123-X/);
    assert.match(result.stdout, new RegExp(`/verify/${issued.id}`), 'and says where to see whether it was revoked since');
  });

  it('fetches the keys by default from BASE_URL/.well-known/jwks.json', async () => {
    const byDefault = await runDaftari(['verify', genuine], { env: { BASE_URL: app.url } });
    assert.equal(byDefault.code, 0, byDefault.stderr);
  });

  it('says a file changed after signing is not genuine, and exits 1', async () => {
    const tampered = Buffer.from(issued.bytes);
    tampered[1000] = tampered[1000]! ^ 0x20;
    const result = await runDaftari(['verify', await writeFile('tampered.pdf', tampered), '--jwks', jwksFile]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^NOT GENUINE: .*its content was changed after it was signed\./);
  });

  it('says a cut file, or one signed with a key the JWKS lacks, is not genuine', async () => {
    const cut = await runDaftari(['verify', await writeFile('cut.pdf', issued.bytes.subarray(0, issued.bytes.length - 50)), '--jwks', jwksFile]);
    assert.equal(cut.code, 1);
    assert.match(cut.stdout, /carries no Daftari signature/);
    const unknownKey = await runDaftari(['verify', genuine, '--jwks', await writeFile('empty-jwks.json', '{"keys":[]}')]);
    assert.equal(unknownKey.code, 1);
    assert.match(unknownKey.stdout, /a key the JWKS does not hold/);
  });

  it('exits 2 on usage errors: no file, a file that cannot be read, keys that are no JWKS', async () => {
    const noFile = await runDaftari(['verify']);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /missing required argument/);
    const missing = await runDaftari(['verify', path.join(dir, 'nowhere.pdf'), '--jwks', jwksFile]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Could not read .*nowhere\.pdf/);
    const notJwks = await runDaftari(['verify', genuine, '--jwks', await writeFile('not-jwks.json', 'hello')]);
    assert.equal(notJwks.code, 2);
    assert.match(notJwks.stderr, /is not a JWKS/);
  });
});
