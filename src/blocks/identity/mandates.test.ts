import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import type { Principal } from '../../platform/http/access.ts';
import { createUser } from './accounts.ts';
import { principalForUser } from './authenticate.ts';
import { canActFor } from './mandates.ts';
import { findUserByLogin } from './store.ts';

let app: TestApp;
const party: Record<string, string> = {};
const principal: Record<string, Principal> = {};
const session: Record<string, Session> = {};

before(async () => {
  app = await startTestApp();
  const db = app.database.db;
  for (const [username, displayName] of [['zara', 'Zara Ibrahim'], ['yusuf', 'Yusuf Aden']] as const) {
    await createUser(db, { username, displayName, email: `${username}@example.org`, password: DEMO_PASSWORD, party: { kind: 'person' } });
  }
  for (const username of ['amina', 'omar.architect', 'zara', 'yusuf', 'officer.permits']) {
    const user = (await findUserByLogin(db, username))!;
    if (user.party_id) party[username] = user.party_id;
    principal[username] = (await principalForUser(db, user.id, null))!;
    session[username] = await signIn(app, username, DEMO_PASSWORD);
  }
});
after(() => app.stop());

function record(who: string, body: Record<string, unknown>) {
  return app.app.inject({ method: 'POST', url: '/api/identity/mandates', headers: asSession(session[who]!), payload: body });
}

async function recorded(who: string, body: Record<string, unknown>): Promise<string> {
  const response = await record(who, body);
  assert.equal(response.statusCode, 201, response.body);
  return (JSON.parse(response.body) as { id: string }).id;
}

function revoke(who: string, id: string) {
  return app.app.inject({ method: 'DELETE', url: `/api/identity/mandates/${id}`, headers: asSession(session[who]!) });
}

async function listedFor(who: string): Promise<{ id: string; scope: string; grantor: string; agent: string; revoked_at: string | null }[]> {
  const response = await app.app.inject({ method: 'GET', url: '/api/identity/mandates', headers: { cookie: session[who]!.cookie() } });
  assert.equal(response.statusCode, 200, response.body);
  return JSON.parse(response.body) as never;
}

const actsFor = (who: string | null, grantor: string, scope: string) => canActFor(app.database.db, who ? principal[who]! : null, party[grantor]!, scope);

describe('recording a mandate', () => {
  it('a citizen gives one in their own name, and both grantor and agent see it', async () => {
    const id = await recorded('zara', { grantorPartyId: party.zara, agentPartyId: party['omar.architect'], scope: 'construction-permit' });
    for (const who of ['zara', 'omar.architect']) {
      const mandate = (await listedFor(who)).find((m) => m.id === id);
      assert.deepEqual(mandate && { scope: mandate.scope, grantor: mandate.grantor, agent: mandate.agent }, { scope: 'construction-permit', grantor: 'Zara Ibrahim', agent: 'Omar Farah' }, who);
    }
    assert.equal((await listedFor('amina')).some((m) => m.id === id), false, 'a third person does not see it');
  });

  it('a citizen cannot give a mandate in someone else\'s name, not even to themselves', async () => {
    assertProblem(await record('zara', { grantorPartyId: party.amina, agentPartyId: party.zara }), 403);
    assertProblem(await record('omar.architect', { grantorPartyId: party.amina, agentPartyId: party.zara }), 403);
  });

  it('an officer records one for anyone, on paper evidence; naming no service, it covers everything', async () => {
    const id = await recorded('officer.permits', { grantorPartyId: party.amina, agentPartyId: party.zara });
    assert.equal((await listedFor('amina')).find((m) => m.id === id)?.scope, '*');
  });

  it('a mandate to oneself, to an unknown party, or ending in the past is refused', async () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{ grantorPartyId: party.zara, agentPartyId: party.zara }, '/body/agentPartyId'],
      [{ grantorPartyId: party.zara, agentPartyId: '00000000-0000-4000-8000-000000000000' }, '/body/agentPartyId'],
      [{ grantorPartyId: party.zara, agentPartyId: party.amina, validUntil: '2020-01-01T00:00:00Z' }, '/body/validUntil'],
      [{ grantorPartyId: party.zara, agentPartyId: party.amina, scope: 'Not A Scope!' }, '/body/scope'],
    ];
    for (const [body, pointer] of refusals) {
      const problem = assertProblem(await record('zara', body), 400);
      assert.equal(problem.errors?.[0]?.pointer, pointer, JSON.stringify(body));
    }
  });
});

describe('revoking a mandate', () => {
  const fresh = (agent = 'omar.architect') => recorded('zara', { grantorPartyId: party.zara, agentPartyId: party[agent], scope: '*' });
  const revokedAt = async (id: string) => (await listedFor('zara')).find((m) => m.id === id)?.revoked_at ?? null;

  it('the grantor revokes it, and the agent can no longer act', async () => {
    const id = await fresh('yusuf');
    assert.equal(await actsFor('yusuf', 'zara', 'construction-permit'), true);
    assert.equal((await revoke('zara', id)).statusCode, 204);
    assert.notEqual(await revokedAt(id), null);
    assert.equal(await actsFor('yusuf', 'zara', 'construction-permit'), false);
  });

  it('the agent may give it up', async () => {
    const id = await fresh();
    assert.equal((await revoke('omar.architect', id)).statusCode, 204);
    assert.notEqual(await revokedAt(id), null);
  });

  it('an officer may revoke it', async () => {
    const id = await fresh();
    assert.equal((await revoke('officer.permits', id)).statusCode, 204);
    assert.notEqual(await revokedAt(id), null);
  });

  it('someone who is not party to it is told there is no such mandate, and it stays', async () => {
    const id = await fresh();
    assertProblem(await revoke('amina', id), 404);
    assert.equal(await revokedAt(id), null);
  });

  it('revoking twice is harmless and keeps the first revocation time', async () => {
    const id = await fresh();
    assert.equal((await revoke('zara', id)).statusCode, 204);
    const first = await revokedAt(id);
    assert.equal((await revoke('zara', id)).statusCode, 204);
    assert.equal(await revokedAt(id), first);
  });
});

describe('who may act for whom (canActFor)', () => {
  let scoped: string;
  before(async () => {
    scoped = await recorded('zara', { grantorPartyId: party.zara, agentPartyId: party.amina, scope: 'construction-permit' });
  });

  it('a person always acts for themselves', async () => {
    assert.equal(await actsFor('amina', 'amina', 'anything'), true);
  });

  it('an agent under a live mandate for everything acts for the grantor in any service', async () => {
    assert.equal(await actsFor('omar.architect', 'amina', 'construction-permit'), true);
    assert.equal(await actsFor('omar.architect', 'amina', 'business-licence'), true);
  });

  it('a mandate for one service covers that service only', async () => {
    assert.equal(await actsFor('amina', 'zara', 'construction-permit'), true);
    assert.equal(await actsFor('amina', 'zara', 'business-licence'), false);
  });

  it('a mandate works one way: the grantor does not act for the agent', async () => {
    assert.equal(await actsFor('amina', 'omar.architect', 'construction-permit'), false);
  });

  it('someone without a mandate does not act for the person', async () => {
    assert.equal(await actsFor('zara', 'omar.architect', 'construction-permit'), false);
  });

  it('an expired mandate, or one not yet in force, gives no right to act', async () => {
    await sql`UPDATE identity_mandates SET valid_until = now() - interval '1 second' WHERE id = ${scoped}`.execute(app.database.db);
    assert.equal(await actsFor('amina', 'zara', 'construction-permit'), false);
    await sql`UPDATE identity_mandates SET valid_from = now() + interval '1 day', valid_until = NULL WHERE id = ${scoped}`.execute(app.database.db);
    assert.equal(await actsFor('amina', 'zara', 'construction-permit'), false);
    await sql`UPDATE identity_mandates SET valid_from = now() - interval '1 day', valid_until = now() + interval '1 day' WHERE id = ${scoped}`.execute(app.database.db);
    assert.equal(await actsFor('amina', 'zara', 'construction-permit'), true, 'back in force');
  });

  it('staff accounts without a person, and anonymous callers, act for no one', async () => {
    assert.equal(await actsFor('officer.permits', 'amina', 'construction-permit'), false);
    assert.equal(await actsFor(null, 'amina', 'construction-permit'), false);
  });
});
