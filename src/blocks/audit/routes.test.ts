/**
 * Whose entries each reader of the audit log sees, and how it is filtered and paged. Who may call
 * the routes at all is in the permission table (routes.scopes.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';

interface Entry {
  id: number;
  occurredAt: string;
  actorId: string | null;
  agencyId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
}

interface EntriesPage {
  entries: Entry[];
  nextBefore: number | null;
}

let app: TestApp;
const sessions = new Map<string, Session>();
/** Agency id by code. */
const agency = new Map<string, string>();
/** Agency codes by parent code. */
const children = new Map<string, string[]>();

/** The agency and every agency below it: what a grant in it reaches. */
function subtree(code: string): string[] {
  return [code, ...(children.get(code) ?? []).flatMap(subtree)];
}

before(async () => {
  app = await startTestApp();
  for (const username of ['admin', 'auditor', 'head.urban', 'officer.permits', 'officer.fire', 'amina']) {
    sessions.set(username, await signIn(app, username, DEMO_PASSWORD));
  }
  const agencies = await app.app.inject({ method: 'GET', url: '/api/identity/agencies' });
  const list = agencies.json<{ id: string; code: string; parentId: string | null }[]>();
  for (const a of list) agency.set(a.code, a.id);
  for (const a of list) {
    const parent = list.find((p) => p.id === a.parentId)?.code;
    if (parent) children.set(parent, [...(children.get(parent) ?? []), a.code]);
  }
});
after(() => app.stop());

function get(url: string, as?: string) {
  return app.app.inject({ method: 'GET', url, headers: as ? asSession(sessions.get(as)!) : {} });
}

async function entriesPage(as: string, query: Record<string, string>): Promise<EntriesPage> {
  const response = await get(`/api/audit/entries?${new URLSearchParams(query)}`, as);
  assert.equal(response.statusCode, 200, response.body);
  return response.json<EntriesPage>();
}

/** Every entry the reader may see that matches, newest first, following the cursor page by page. */
async function entries(as: string, query: Record<string, string> = {}, limit = 200): Promise<Entry[]> {
  const all: Entry[] = [];
  let cursor: number | null = null;
  do {
    const page: EntriesPage = await entriesPage(as, { ...query, limit: String(limit), ...(cursor ? { before: String(cursor) } : {}) });
    assert.ok(page.entries.length <= limit);
    all.push(...page.entries);
    cursor = page.nextBefore;
  } while (cursor !== null);
  return all;
}

async function countInDatabase(where: string): Promise<number> {
  const { rows } = await app.database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_entries WHERE ${where}`);
  return rows[0]!.n;
}

/** Entry ids in the audit page's table, top to bottom. */
function idsOnPage(html: string): number[] {
  return [...html.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
}

const codesOf = (list: Entry[]) => new Set(list.map((e) => [...agency].find(([, id]) => id === e.agencyId)?.[0] ?? null));

describe('whose entries each reader sees', () => {
  it('an administrator sees every entry, platform-wide ones included', async () => {
    const all = await entries('admin');
    assert.equal(all.length, await countInDatabase('true'));
    assert.deepEqual(codesOf(all), new Set([null, ...agency.keys()]));
  });

  it('the government auditor sees the entries of every agency under gov, but no platform-wide entry', async () => {
    const seen = await entries('auditor');
    assert.equal(seen.length, await countInDatabase('agency_id IS NOT NULL'));
    assert.deepEqual(codesOf(seen), new Set(subtree('gov')));
  });

  it('the head of urban sees urban and its permits department, nothing else, even when asking for another agency', async () => {
    const seen = await entries('head.urban');
    assert.equal(seen.length, await countInDatabase(`agency_id IN ('${agency.get('urban')}', '${agency.get('urban-permits')}')`));
    assert.deepEqual(subtree('urban').sort(), ['urban', 'urban-permits']);
    assert.deepEqual(codesOf(seen), new Set(['urban', 'urban-permits']));
    assert.deepEqual(await entries('head.urban', { agency: agency.get('fire')! }), []);
  });

  it('an officer sees the entries of their own agency only', async () => {
    for (const [username, code] of [['officer.permits', 'urban-permits'], ['officer.fire', 'fire']] as const) {
      const seen = await entries(username);
      assert.equal(seen.length, await countInDatabase(`agency_id = '${agency.get(code)}'`), username);
      assert.ok([...codesOf(seen)].every((c) => c === code), username);
    }
  });

  it('the government auditor, who reads every agency, may still not verify the whole chain: only an administrator may', async () => {
    assert.equal((await get('/api/audit/verification', 'auditor')).statusCode, 403);
  });

  it('the audit page lists exactly the entries the API gives each reader, and offers only their agencies', async () => {
    for (const username of ['admin', 'auditor', 'head.urban']) {
      const page = await get('/admin/audit', username);
      assert.equal(page.statusCode, 200, page.body);
      const { entries: fromApi } = await entriesPage(username, { limit: '50' });
      assert.deepEqual(idsOnPage(page.body), fromApi.map((e) => e.id), username);
    }
    const headPage = (await get('/admin/audit', 'head.urban')).body;
    const offered = [...headPage.matchAll(/<option value="([0-9a-f-]{36})"/g)].map((m) => m[1]);
    assert.deepEqual(new Set(offered), new Set([agency.get('urban'), agency.get('urban-permits')]));
  });
});

describe('filtering and paging the audit log', () => {
  it('filters by agency, action, actor and subject', async () => {
    const urban = await entries('admin', { agency: agency.get('urban')! });
    assert.ok(urban.length > 0 && urban.every((e) => e.agencyId === agency.get('urban')));

    const created = await entries('admin', { action: 'identity.create-agency' });
    assert.equal(created.length, agency.size);
    assert.ok(created.every((e) => e.action === 'identity.create-agency'));

    const me = await get('/api/identity/me', 'head.urban');
    const headId = me.json<{ id: string }>().id;
    const byHead = await entries('admin', { actor: headId });
    assert.ok(byHead.length > 0 && byHead.every((e) => e.actorId === headId));
    assert.ok(byHead.some((e) => e.action === 'identity.sign-in'));

    const aboutFire = await entries('admin', { subjectType: 'agency', subjectId: agency.get('fire')! });
    assert.deepEqual(aboutFire.map((e) => [e.action, e.agencyId]), [['identity.create-agency', agency.get('fire')]]);
  });

  it('filters by time: from is inclusive, to is exclusive', async () => {
    const all = await entries('admin');
    const times = [...new Set(all.map((e) => e.occurredAt))].sort();
    assert.ok(times.length >= 3, 'entries were written at different moments');
    const from = times[1]!;
    const to = times.at(-1)!;
    const window = await entries('admin', { from, to });
    assert.deepEqual(
      window.map((e) => e.id),
      all.filter((e) => e.occurredAt >= from && e.occurredAt < to).map((e) => e.id),
    );
  });

  it('pages newest first with the keyset cursor, each entry exactly once', async () => {
    for (const username of ['admin', 'head.urban']) {
      const paged = (await entries(username, {}, 2)).map((e) => e.id);
      assert.ok(paged.length > 2, `${username} has more than one page of entries`);
      assert.deepEqual(paged, (await entries(username)).map((e) => e.id), username);
      assert.deepEqual(paged, [...new Set(paged)].sort((a, b) => b - a), 'newest first, no entry twice');
    }
  });

  it('the audit page follows the same cursor', async () => {
    const all = await entries('admin');
    const cursor = all[5]!.id;
    const page = await get(`/admin/audit?before=${cursor}`, 'admin');
    assert.equal(page.statusCode, 200, page.body);
    assert.deepEqual(idsOnPage(page.body), all.filter((e) => e.id < cursor).slice(0, 50).map((e) => e.id));
  });
});
