/**
 * Two agencies' nodes exchanging data: the urban-permits node (client) reads a land parcel from
 * the land-registry node (provider). Each runs on its own database, data directory and key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import type { NodeKeys } from '../../platform/crypto/keys.ts';
import { Problem } from '../../platform/http/problem.ts';
import { AMINA, OMAR } from '../registries/index.ts';
import { callMember, readLog, verifyLog } from './index.ts';
import { HEADERS, REQUEST_CTY, requestPayload, sha256 } from './signing.ts';
import { grantRight, revokeRight, saveMember, saveService } from './store.ts';

const PERMITS = 'DJ/GOV/urban-permits';
const LAND = 'DJ/GOV/land-registry';
const SERVICE = 'land-parcels/read';
const FIELDS = ['parcelNumber', 'ownerNationalId', 'zone', 'areaM2'];

let client: TestApp;
let provider: TestApp;

/** A request to the provider, signed by `keys` in the client's name, as a hostile or broken caller might send it. */
async function rawCall(keys: NodeKeys, opts: { id?: string; requestTime?: string; body?: string } = {}) {
  const path = `/api/mediator/v1/${SERVICE}`;
  const body = opts.body ?? JSON.stringify({ person: AMINA.nationalId, match: { parcelNumber: 'DJ-PAR-0000001' } });
  const facts = { method: 'POST', path, bodySha256: sha256(body), client: PERMITS, service: SERVICE, id: opts.id ?? randomUUID(), userId: 'officer.permits', issue: 'permit-2026-17', requestTime: opts.requestTime ?? new Date().toISOString() };
  const headers = {
    'content-type': 'application/json', [HEADERS.client]: facts.client, [HEADERS.service]: facts.service, [HEADERS.id]: facts.id, [HEADERS.userId]: facts.userId,
    [HEADERS.issue]: facts.issue, [HEADERS.requestTime]: facts.requestTime, [HEADERS.signature]: await keys.sign(requestPayload(facts), REQUEST_CTY),
  };
  const send = () => fetch(`${provider.url}${path}`, { method: 'POST', headers, body });
  return { id: facts.id, headers, send };
}

/** Amina's first parcel, read for her construction permit: the demo gives her consent to it. */
const call = (issue = 'permit-2026-17', body: Record<string, unknown> = { person: AMINA.nationalId, match: { parcelNumber: 'DJ-PAR-0000001' } }) =>
  callMember(client.database.db, client.keys, { from: PERMITS, to: LAND, service: SERVICE, body, userId: 'officer.permits', issue });

async function inLog(app: TestApp, messageId: string) {
  return readLog(app.database.db, { messageId });
}

before(async () => {
  [client, provider] = await Promise.all([startTestApp({ listen: true }), startTestApp({ listen: true })]);
  await saveMember(provider.database.db, { code: PERMITS, name: 'Urban permits office', baseUrl: client.url, publicJwk: client.keys.publicJwk, agency: 'urban-permits' });
  await saveService(provider.database.db, { code: SERVICE, registry: 'land-parcels', fields: FIELDS, purpose: 'construction-permit' });
  await grantRight(provider.database.db, { client: PERMITS, service: SERVICE });
  await saveMember(client.database.db, { code: LAND, name: 'Land registry', baseUrl: provider.url, publicJwk: provider.keys.publicJwk });
});
after(async () => {
  await Promise.all([client?.stop(), provider?.stop()]);
});

describe('a permitted call', () => {
  it('returns the parcel with only the fields of the service, and is in both logs, signed both ways', async () => {
    const answer = await call();
    assert.equal(answer.status, 200);
    const record = (answer.body as { record: { data: Record<string, unknown> } }).record;
    assert.equal(record.data.ownerNationalId, AMINA.nationalId);
    assert.deepEqual(Object.keys(record.data).sort(), [...FIELDS].sort());
    const [theirs] = await inLog(provider, answer.messageId);
    const [ours] = await inLog(client, answer.messageId);
    assert.equal(theirs?.direction, 'in');
    assert.equal(theirs?.status, 200);
    assert.equal(ours?.direction, 'out');
    assert.equal(ours?.status, 200);
    assert.equal(theirs?.requestDigest, ours?.requestDigest);
    assert.equal(theirs?.signatures.request, ours?.signatures.request);
    assert.ok(ours?.signatures.response, 'the answer signature is kept on the caller side');
  });

  it("shows on the citizen's data-use log of the provider as read by the other agency, for the case", async () => {
    const answer = await call('permit-2026-99');
    const uses = await provider.registries.dataUsesOf(AMINA.nationalId);
    const use = uses.find((u) => u.caseId === 'permit-2026-99');
    assert.ok(use, 'the read is logged for Amina');
    assert.deepEqual(use.organisation, { id: PERMITS, name: 'Urban permits office' });
    assert.equal(use.service, SERVICE);
    assert.equal(use.via, `x-road:${answer.messageId}`);
  });
});

describe('refusals, each logged with its reason', () => {
  it('refuses a member without the access right (403)', async () => {
    await revokeRight(provider.database.db, { client: PERMITS, service: SERVICE });
    try {
      const answer = await call();
      assert.equal(answer.status, 403);
      const [theirs] = await inLog(provider, answer.messageId);
      assert.equal(theirs?.status, 403);
      assert.match(theirs?.reason ?? '', /no access right/);
      assert.equal((await inLog(client, answer.messageId))[0]?.status, 403);
    } finally {
      await grantRight(provider.database.db, { client: PERMITS, service: SERVICE });
    }
  });

  it('refuses to read a person without their consent (403), and reads nothing about them', async () => {
    const omarsReads = (await provider.registries.dataUsesOf(OMAR.nationalId)).length;
    const answer = await call('permit-2026-18', { person: OMAR.nationalId, match: { parcelNumber: 'DJ-PAR-0000001' } });
    assert.equal(answer.status, 403);
    const [theirs] = await inLog(provider, answer.messageId);
    assert.equal(theirs?.status, 403);
    assert.match(theirs?.reason ?? '', /has not consented/);
    assert.equal((await provider.registries.dataUsesOf(OMAR.nationalId)).length, omarsReads);
  });

  it('refuses a consented service called without naming the person, or by record id (400)', async () => {
    for (const body of [{ match: { parcelNumber: 'DJ-PAR-0000001' } }, { person: AMINA.nationalId, id: '00000000-0000-4000-8000-000000000000' }]) {
      const answer = await call('permit-2026-19', body);
      assert.equal(answer.status, 400);
      assert.match((await inLog(provider, answer.messageId))[0]?.reason ?? '', /name the person/);
    }
  });

  it('reads only the named person’s record: a parcel of someone else is not found', async () => {
    const answer = await call('permit-2026-20', { person: AMINA.nationalId, match: { parcelNumber: 'DJ-PAR-0000004' } });
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { record: unknown }).record, null);
  });

  it("refuses a request not signed by the client's registered key (401)", async () => {
    const forged = await rawCall(provider.keys);
    const response = await forged.send();
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
    const [entry] = await inLog(provider, forged.id);
    assert.equal(entry?.status, 401);
    assert.match(entry?.reason ?? '', /signature/);
  });

  it('refuses a body changed after signing (401)', async () => {
    const signed = await rawCall(client.keys);
    const response = await fetch(`${provider.url}/api/mediator/v1/${SERVICE}`, { method: 'POST', headers: signed.headers, body: JSON.stringify({ match: { ownerNationalId: 'DJ-1990-000001' } }) });
    assert.equal(response.status, 401);
  });

  it('refuses the same message id twice (409), and serves the first', async () => {
    const request = await rawCall(client.keys);
    assert.equal((await request.send()).status, 200);
    const replay = await request.send();
    assert.equal(replay.status, 409);
    assert.equal(((await replay.json()) as { code: string }).code, 'mediator.refused.replay');
    const entries = await inLog(provider, request.id);
    assert.deepEqual(entries.map((e) => e.status), [200, 409]);
  });

  it('refuses a request time outside ±300 s (400)', async () => {
    const stale = await rawCall(client.keys, { requestTime: new Date(Date.now() - 301_000).toISOString() });
    const response = await stale.send();
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { detail: string }).detail, /300 seconds/);
    assert.equal((await inLog(provider, stale.id))[0]?.status, 400);
  });
});

describe("an answer not signed by the provider's registered key", () => {
  it('is not used: 502, and logged on the caller side', async () => {
    // The same address registered with the wrong key, as after a key swap nobody told us about.
    await saveMember(client.database.db, { code: 'DJ/GOV/land-impostor', name: 'Land registry (wrong key)', baseUrl: provider.url, publicJwk: client.keys.publicJwk });
    const err = await callMember(client.database.db, client.keys, { from: PERMITS, to: 'DJ/GOV/land-impostor', service: SERVICE, body: { person: AMINA.nationalId, match: { parcelNumber: 'DJ-PAR-0000001' } }, userId: 'officer.permits', issue: 'permit-2026-17' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Problem);
    assert.equal(err.status, 502);
    const log = await readLog(client.database.db);
    assert.equal(log.at(-1)?.status, 502);
  });
});

describe('the message logs', () => {
  it('chain on both nodes, and a changed entry breaks the chain', async () => {
    const checked = await verifyLog(provider.database.db);
    assert.ok(checked.entries >= 6, `${checked.entries} entries`);
    assert.equal(checked.valid, true);
    assert.equal((await verifyLog(client.database.db)).valid, true);
    const [first] = await readLog(provider.database.db, { limit: 1 });
    await provider.database.pool.query(`UPDATE mediator_log SET status = 500 WHERE seq = $1`, [first!.seq]);
    const broken = await verifyLog(provider.database.db);
    assert.equal(broken.valid, false);
    assert.equal(broken.brokenAt, first!.seq);
    await provider.database.pool.query(`UPDATE mediator_log SET status = $2 WHERE seq = $1`, [first!.seq, first!.status]);
  });
});

describe('a provider that is down', () => {
  it('gives the caller a 503 with Retry-After within seconds, logged on its side', async () => {
    await provider.app.close();
    const started = Date.now();
    const err = await call().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Problem, 'a Problem, not a hang or a raw network error');
    assert.equal(err.status, 503);
    assert.match(err.detail, /did not answer; retry later/);
    assert.equal(err.headers['retry-after'], '30');
    assert.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
    const log = await readLog(client.database.db);
    assert.equal(log.at(-1)?.status, 503);
  });
});
