/**
 * The cabinet cycle, from a ministry's draft to a published decision: routing inside the
 * ministry, consultation and versions, the agenda, positions (and the consent-agenda rule), the
 * meeting, signed minutes with numbered decisions, follow-up and publication.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { BUDGET_BYTES } from '../../../bench/page-weight.ts';
import { signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { PDF } from '../../../test/support/registration-fixtures.ts';
import { findUserByLogin, principalForUser } from '../../blocks/identity/index.ts';
import { sha256Hex } from '../../platform/files/blob-store.ts';
import { translator } from '../../platform/i18n/index.ts';
import { sentMail } from './ecabinet-fixtures.ts';
import { seedEcabinetDemo, viewerOf } from './index.ts';
import { hasQuorum, seatsOf, sitterName, votingSeats, type Attendance } from './meetings.ts';
import { attachFile } from './memos.ts';

let app: TestApp;
let drafter: Session, legal: Session, minister: Session, secretariat: Session, chair: Session, trade: Session, finance: Session, health: Session, delegate: Session;

before(async () => {
  app = await startTestApp();
  await seedEcabinetDemo(app.database.db, { signer: app.signer, messenger: app.messenger, jobs: app.jobs, baseUrl: app.config.baseUrl });
  [drafter, legal, minister, secretariat, chair, trade, finance, health, delegate] = await signInDemo(app, 'drafter.urban', 'legal.urban', 'minister.urban', 'cabinet.secretariat', 'pm.chair', 'minister.trade', 'minister.finance', 'minister.health', 'delegate.urban');
});
after(() => app.stop());

function get(session: Session | null, url: string): Promise<LightMyRequestResponse> {
  return app.app.inject({ method: 'GET', url, headers: { ...(session ? { cookie: session.cookie() } : {}), 'accept-language': 'en' } });
}

/** Post a form as its page would, expecting the redirect that follows a success. */
async function post(session: Session, url: string, fields: Record<string, string | string[]> = {}): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams({ _csrf: session.csrf });
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
  return app.app.inject({ method: 'POST', url, headers: { cookie: session.cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
}

/** Post a form that must be refused with this status, as problem+json. */
async function refused(session: Session, url: string, fields: Record<string, string | string[]>, status: number): Promise<void> {
  assertProblem(await post(session, url, fields), status);
}

/**
 * Post a form whose input is refused: its page comes back (400) with the error summary linking to
 * each of these field ids, and what was typed still in the form.
 */
async function sentBack(session: Session, url: string, fields: Record<string, string>, ids: string[], kept: string[] = []): Promise<string> {
  const response = await post(session, url, fields);
  assert.equal(response.statusCode, 400, response.body.slice(0, 300));
  assert.match(String(response.headers['content-type']), /^text\/html/);
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(response.body)?.[0];
  assert.ok(summary, 'an error summary');
  for (const id of ids) {
    assert.ok(summary.includes(`href="#${id}"`), `the summary links to #${id}`);
    assert.match(response.body, new RegExp(`id="${id}"[^>]*aria-invalid="true"`), `#${id} is marked invalid`);
  }
  for (const value of kept) assert.ok(response.body.includes(value), `${value} is kept`);
  return response.body;
}

async function ok(response: Promise<LightMyRequestResponse>): Promise<string> {
  const done = await response;
  assert.equal(done.statusCode, 303, done.body.slice(0, 500));
  return String(done.headers.location);
}

async function memoState(session: Session, id: string): Promise<string> {
  const response = await get(session, `/api/ecabinet/memos/${id}`);
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { memo: { state: string } }).memo.state;
}

const memoFields = (title: string, classification = 'public') => ({ title, summary: `Summary of ${title}.`, proposedDecision: `The cabinet approves ${title}.`, cost: 'DJF 1,000,000', classification });

async function draftMemo(title: string, classification = 'public'): Promise<string> {
  const location = await ok(post(drafter, '/cabinet/memos', memoFields(title, classification)));
  return location.split('/').pop()!;
}

async function throughMinistry(id: string): Promise<void> {
  await ok(post(drafter, `/cabinet/memos/${id}/steps/send-to-legal`));
  await ok(post(legal, `/cabinet/memos/${id}/steps/clear`));
  await ok(post(minister, `/cabinet/memos/${id}/steps/submit`));
}

describe('a memorandum inside its ministry', () => {
  it('goes from the drafter to legal review and the minister, who submits it; each takes only their own step', async () => {
    const id = await draftMemo('Street lighting for Balbala');
    assert.equal(await memoState(drafter, id), 'draft');
    await refused(drafter, `/cabinet/memos/${id}/steps/submit`, {}, 409);
    await ok(post(drafter, `/cabinet/memos/${id}/steps/send-to-legal`));
    await refused(drafter, `/cabinet/memos/${id}/steps/clear`, {}, 403);
    await ok(post(legal, `/cabinet/memos/${id}/steps/clear`));
    assert.equal(await memoState(minister, id), 'sign-off');
    await ok(post(minister, `/cabinet/memos/${id}/steps/submit`));
    assert.equal(await memoState(secretariat, id), 'submitted');
  });

  it('is invisible outside its ministry until it is submitted', async () => {
    const id = await draftMemo('Draft nobody else reads');
    assertProblem(await get(trade, `/api/ecabinet/memos/${id}`), 403);
    assertProblem(await get(secretariat, `/api/ecabinet/memos/${id}`), 403);
    const listed = (await get(secretariat, '/api/ecabinet/memos?q=nobody%20else')).json() as { total: number };
    assert.equal(listed.total, 0);
  });

  it('shows the drafting form again with a linked error summary when a field is missing', async () => {
    const response = await post(drafter, '/cabinet/memos', { ...memoFields('x'), title: '' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /class="error-summary"/);
    assert.match(response.body, /href="#title"/);
  });

  it('shows every other form of the cabinet again the same way: the revision, the new meeting', async () => {
    const id = await draftMemo('Coastal erosion survey');
    await sentBack(drafter, `/cabinet/memos/${id}/revisions`, { ...memoFields('Coastal erosion survey'), summary: '', proposedDecision: '' }, ['revise-summary', 'revise-proposedDecision'], ['DJF 1,000,000']);
    await sentBack(secretariat, '/cabinet/meetings', { title: 'Extraordinary cabinet', startsAt: '', papersDueAt: '2099-13-01T09:00' }, ['startsAt'], ['value="Extraordinary cabinet"']);
    await sentBack(secretariat, '/cabinet/clearances', { username: 'minister.trade' }, ['level'], ['value="minister.trade"']);
  });
});

describe('consultation and versions', () => {
  it('asks another ministry by a date, attaches its reply, and keeps each revision to compare', async () => {
    const id = await draftMemo('Water tariffs for social housing');
    await throughMinistry(id);
    await ok(post(secretariat, `/cabinet/memos/${id}/consultations`, { agency: 'commerce', dueOn: '2026-12-04' }));
    await sentBack(secretariat, `/cabinet/memos/${id}/consultations`, { agency: 'finance', dueOn: '2026-02-31' }, ['dueOn'], ['value="finance" selected']);
    const page = await get(trade, `/cabinet/memos/${id}`);
    const consultation = /action="\/cabinet\/consultations\/([0-9a-f-]+)\/reply"/.exec(page.body)?.[1];
    assert.ok(consultation, 'the consulted ministry is offered a reply form');
    await ok(post(trade, `/cabinet/consultations/${consultation}/reply`, { reply: 'Trade agrees, provided small shops pay the social tariff.' }));
    await ok(post(drafter, `/cabinet/memos/${id}/revisions`, { ...memoFields('Water tariffs for social housing and small shops'), note: 'After the consultation of Trade' }));
    const after = await get(drafter, `/cabinet/memos/${id}`);
    assert.match(after.body, /Trade agrees, provided small shops/);
    assert.match(after.body, /Version 2/);
    const compare = await get(drafter, `/cabinet/memos/${id}/compare?from=1&to=2`);
    assert.equal(compare.statusCode, 200);
    assert.match(compare.body, /Water tariffs for social housing and small shops/);
    assert.match(compare.body, /changed/);
  });
});

describe('attachments', () => {
  const viewer = async (username: string) => {
    const db = app.database.db;
    return viewerOf(db, (await principalForUser(db, (await findUserByLogin(db, username))!.id, null))!);
  };

  it('keeps no file from a caller refused the memo, and stores the ministry’s own', async () => {
    const id = await draftMemo('Harbour dredging');
    const paper = Buffer.concat([PDF, Buffer.from(`% harbour dredging survey ${id}\n`)]);
    const blobs = app.registration.blobs;
    await assert.rejects(attachFile(app.database.db, blobs, await viewer('minister.trade'), id, { name: 'survey.pdf', bytes: paper, classification: 'public' }, 'test'), (err: { status?: number }) => err.status === 403 || err.status === 404);
    assert.equal(await blobs.get(sha256Hex(paper)), null, 'the refused upload left no file behind');
    const attached = await attachFile(app.database.db, blobs, await viewer('drafter.urban'), id, { name: 'survey.pdf', bytes: paper, classification: 'public' }, 'test');
    assert.equal(attached.fileName, 'survey.pdf');
    assert.deepEqual(await blobs.get(sha256Hex(paper)), paper);
  });
});

describe('from the agenda to a published decision', () => {
  let meeting: string;
  const items = new Map<string, string>();
  const memos = new Map<string, string>();

  const itemIdOf = async (title: string) => {
    const page = await get(secretariat, `/cabinet/meetings/${meeting}`);
    const at = page.body.indexOf(`>${title}</a>`);
    assert.ok(at > 0, `${title} is on the agenda`);
    const id = /<li id="item-([0-9a-f-]+)"[^>]*>(?![\s\S]*<li id="item-)/.exec(page.body.slice(0, at))?.[1];
    assert.ok(id);
    return id;
  };

  before(async () => {
    for (const [key, title, classification] of [['consent', 'Public holiday for Independence Day', 'public'], ['objected', 'Fuel price formula', 'public'], ['discussed', 'Port concession renewal', 'restricted']] as const) {
      const id = await draftMemo(title, classification);
      await throughMinistry(id);
      await ok(post(secretariat, `/cabinet/memos/${id}/steps/mark-ready`));
      memos.set(key, id);
    }
    const location = await ok(post(secretariat, '/cabinet/meetings', { title: 'Cabinet meeting of 7 December 2099', startsAt: '2099-12-07T09:00', papersDueAt: '2099-12-04T12:00' }));
    meeting = location.split('/').pop()!;
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: memos.get('consent')!, track: 'consent' }));
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: memos.get('objected')!, track: 'consent' }));
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: memos.get('discussed')!, track: 'discussion' }));
    items.set('consent', await itemIdOf('Public holiday for Independence Day'));
    items.set('objected', await itemIdOf('Fuel price formula'));
    items.set('discussed', await itemIdOf('Port concession renewal'));
  });

  it('orders the items and circulates the agenda, telling each member without naming a classified paper', async () => {
    await ok(post(secretariat, `/cabinet/items/${items.get('discussed')}/move`, { direction: 'up' }));
    const page = await get(secretariat, `/cabinet/meetings/${meeting}`);
    assert.ok(page.body.indexOf('Port concession renewal') < page.body.indexOf('Fuel price formula'), 'moved up');
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/circulate`));
    await app.jobs.drain();
    const mails = await sentMail(app);
    const circulated = mails.filter((m) => m.includes('Cabinet meeting of 7 December 2099'));
    assert.ok(circulated.length >= 5, 'the chair and every minister are told');
    for (const mail of circulated) {
      assert.match(mail, /Public holiday for Independence Day/);
      assert.doesNotMatch(mail, /Port concession renewal/);
    }
    assert.ok(circulated.some((mail) => mail.includes('2. a restricted item')));
    assert.ok(circulated.some((mail) => mail.includes('2. un point à diffusion restreinte')));
  });

  it('holds a late item until the chair admits it', async () => {
    const late = await draftMemo('Emergency drought relief');
    await throughMinistry(late);
    await ok(post(secretariat, `/cabinet/memos/${late}/steps/mark-ready`));
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: late, track: 'discussion' }));
    const id = await itemIdOf('Emergency drought relief');
    items.set('late', id);
    assert.match((await get(secretariat, `/cabinet/meetings/${meeting}`)).body, /late item, awaiting the chair/);
    await refused(secretariat, `/cabinet/items/${id}/approve-late`, {}, 403);
    await ok(post(chair, `/cabinet/items/${id}/approve-late`));
    assert.match((await get(secretariat, `/cabinet/meetings/${meeting}`)).body, /late item, admitted by the chair/);
  });

  it('moves a consent item to discussion when a minister objects, and needs the objection’s reason', async () => {
    const id = items.get('objected')!;
    await sentBack(trade, `/cabinet/items/${id}/position?lang=en`, { stance: 'object' }, [`reason-${id}`]);
    await sentBack(trade, `/cabinet/items/${id}/position`, { reason: 'Costs are unclear.' }, [`stance-${id}`], ['Costs are unclear.']);
    await ok(post(finance, `/cabinet/items/${id}/position`, { stance: 'agree' }));
    await ok(post(trade, `/cabinet/items/${id}/position`, { stance: 'object', reason: 'The formula ignores transport costs.', speak: 'yes' }));
    await ok(post(health, `/cabinet/items/${items.get('consent')}/position`, { stance: 'agree' }));
    const summary = await get(secretariat, `/cabinet/meetings/${meeting}`);
    assert.match(summary.body, /moved to discussion by an objection/);
    assert.match(summary.body, /Agree: 1 · Object: 1 · Comment: 0 · Asking to speak: 1/);
    assert.match(summary.body, /The formula ignores transport costs\./);
    await refused(secretariat, `/cabinet/items/${id}/track`, { track: 'consent' }, 409);
  });

  it('decides only with a quorum, passes the consent agenda as a block, records votes and recusals live', async () => {
    const members = /name="present" type="checkbox" value="([0-9a-f-]+)"/g;
    const roll = (await get(secretariat, `/cabinet/meetings/${meeting}`)).body;
    const ids = [...roll.matchAll(members)].map((m) => m[1]!);
    assert.ok(ids.length >= 5);
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/attendance`, { present: ids.slice(0, 2) }));
    await refused(secretariat, `/cabinet/meetings/${meeting}/consent-agenda`, {}, 409);
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/attendance`, { present: ids }));
    const live = await get(minister, `/cabinet/meetings/${meeting}?lang=en`);
    assert.match(live.body, /<noscript><meta http-equiv="refresh" content="15"\/><\/noscript>/, 'the live page reloads itself without JavaScript');
    assert.match(live.body, /In session/);
    const feed = `/cabinet/meetings/${meeting}/live?lang=en`;
    /** The consent item's live part: from its id to the next item's, or the end of its list item. */
    const consentStatus = (html: string) => {
      const at = html.indexOf(`id="status-${items.get('consent')}"`);
      assert.ok(at >= 0, 'the consent item is in the feed');
      const rest = html.slice(at + 1);
      return rest.slice(0, rest.search(/id="status-|<\/li>|$/));
    };
    assert.doesNotMatch(consentStatus((await get(minister, feed)).body), /Adopted/);
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/consent-agenda`));
    const fed = await get(minister, feed);
    assert.equal(fed.statusCode, 200);
    assert.match(String(fed.headers['cache-control']), /no-store/);
    assert.match(fed.body, /^<div data-state="in-session">/);
    assert.match(consentStatus(fed.body), /Adopted/, 'the live feed carries the decision just recorded');
    await ok(post(secretariat, `/cabinet/items/${items.get('objected')}/recusals`, { member: ids[1]!, reason: 'Shareholder of a fuel importer' }));
    await sentBack(secretariat, `/cabinet/items/${items.get('objected')}/decision`, { outcome: 'adopted', votesFor: `${ids.length}` }, [`for-${items.get('objected')}`], [`value="${ids.length}"`]);
    await sentBack(secretariat, `/cabinet/items/${items.get('objected')}/recusals`, { reason: 'Shareholder' }, [`member-${items.get('objected')}`], ['value="Shareholder"']);
    await ok(post(secretariat, `/cabinet/items/${items.get('objected')}/decision`, { outcome: 'amended', text: 'The formula includes transport costs.', votesFor: '3', votesAgainst: '1', votesAbstain: '0', public: 'yes' }));
    await sentBack(secretariat, `/cabinet/items/${items.get('discussed')}/decision`, { outcome: 'adopted', public: 'yes' }, [], ['a decision on a classified paper is not published']);
    await ok(post(secretariat, `/cabinet/items/${items.get('discussed')}/decision`, { outcome: 'adopted' }));
    await ok(post(secretariat, `/cabinet/items/${items.get('late')}/decision`, { outcome: 'deferred' }));
    const page = (await get(minister, `/cabinet/meetings/${meeting}?lang=en`)).body;
    assert.match(page, /Recused: /);
    assert.match(page, /Votes: 3 for, 1 against, 0 abstentions/);
    assert.match(page, /Adopted as amended/);
  });

  it('drafts the minutes on closing; the chair approves them, the decisions take the next numbers and the minutes are signed', async () => {
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/close`));
    await sentBack(secretariat, `/cabinet/meetings/${meeting}/minutes`, { minutes: '  ' }, ['minutes']);
    const closed = (await get(secretariat, `/cabinet/meetings/${meeting}`)).body;
    assert.match(closed, /Present: /);
    assert.doesNotMatch(closed.slice(closed.indexOf('name="minutes"')), /Port concession renewal/, 'minutes name no classified paper');
    await refused(secretariat, `/cabinet/meetings/${meeting}/approve`, {}, 403);
    await ok(post(chair, `/cabinet/meetings/${meeting}/approve`));
    const register = (await get(secretariat, '/api/ecabinet/decisions')).json() as { number: string; title: string }[];
    const ours = register.filter((d) => ['Public holiday for Independence Day', 'Fuel price formula', 'Port concession renewal'].includes(d.title)).map((d) => d.number).sort();
    assert.equal(ours.length, 3, 'the deferred item has no number');
    const sequence = ours.map((n) => Number(n.split('/')[1]));
    assert.deepEqual(sequence, [sequence[0]!, sequence[0]! + 1, sequence[0]! + 2], 'numbers without gaps');
    assert.ok(ours.every((n) => n.startsWith('2099/')));
    const approved = (await get(chair, `/cabinet/meetings/${meeting}`)).body;
    const verify = /href="(http[^"]+\/verify\/[^"]+)"/.exec(approved)?.[1];
    assert.ok(verify, 'the page links to the signed minutes');
    const check = await app.app.inject({ method: 'GET', url: new URL(verify).pathname });
    assert.equal(check.statusCode, 200);
    assert.equal(await memoState(secretariat, memos.get('consent')!), 'decided');
  });

  it('assigns follow-up actions to ministries, who report progress, on the implementation dashboard', async () => {
    await sentBack(secretariat, `/cabinet/items/${items.get('objected')}/actions`, { agency: 'urban', description: '', dueOn: '' }, [`description-${items.get('objected')}`, `due-${items.get('objected')}`], ['value="urban" selected']);
    await ok(post(secretariat, `/cabinet/items/${items.get('objected')}/actions`, { agency: 'urban', description: 'Publish the new formula', dueOn: '2099-12-31' }));
    await ok(post(secretariat, `/cabinet/items/${items.get('consent')}/actions`, { agency: 'urban', description: 'Announce the holiday', dueOn: '2000-01-01' }));
    const board = (await get(minister, '/cabinet/follow-up?lang=en')).body;
    assert.match(board, /Overdue actions: /);
    const action = /action="\/cabinet\/actions\/([0-9a-f-]+)\/progress"/.exec(board)?.[1];
    assert.ok(action);
    await sentBack(minister, `/cabinet/actions/${action}/progress`, { progress: '' }, [`progress-${action}`]);
    await ok(post(minister, `/cabinet/actions/${action}/progress`, { progress: 'Published in the official journal.', done: 'yes' }));
    assert.match((await get(secretariat, '/cabinet/follow-up')).body, /Published in the official journal\./);
    await refused(trade, `/cabinet/actions/${action}/progress`, { progress: 'mine' }, 403);
  });

  it('publishes public decisions on the public page and as open data, never classified ones', async () => {
    await ok(post(secretariat, `/cabinet/items/${items.get('consent')}/publish`));
    const page = await get(null, '/cabinet/decisions');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Public holiday for Independence Day/);
    assert.match(page.body, /The formula includes transport costs\./);
    assert.doesNotMatch(page.body, /Port concession renewal/);
    const json = (await get(null, '/cabinet/decisions.json')).json() as { title: string; number: string }[];
    assert.ok(json.some((d) => d.title === 'Fuel price formula' && d.number.startsWith('2099/')));
    assert.ok(!json.some((d) => d.title === 'Port concession renewal'));
    const csv = await get(null, '/cabinet/decisions.csv');
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(csv.body, /^number,date,meeting,title,ministry,outcome,decision/);
    assert.match(csv.body, /Public holiday for Independence Day/);
    await refused(secretariat, `/cabinet/items/${items.get('discussed')}/publish`, {}, 409);
  });
});

describe('seats, not people: a delegate stands in for their minister', () => {
  const person = (name: string, agencyId: string, role: string, present: boolean): Attendance => ({ userId: `id-${name}`, name, agencyId, role, present });
  const roll = (present: { urban: boolean; delegate: boolean; trade: boolean; finance: boolean }) => [
    person('Chair', 'pmo', 'cabinet-chair', true),
    person('Amina Abdi', 'urban', 'minister', present.urban),
    person('Farhan Aden', 'urban', 'minister-delegate', present.delegate),
    person('Mohamed Daoud', 'commerce', 'minister', present.trade),
    person('Ilyas Dawaleh', 'finance', 'minister', present.finance),
  ];

  it('counts a minister and their delegate, both present, as one seat towards the quorum', () => {
    const attendance = roll({ urban: true, delegate: true, trade: false, finance: false });
    assert.equal(seatsOf(attendance).length, 4);
    assert.equal(seatsOf(attendance).filter((s) => s.sitting).length, 2);
    assert.equal(hasQuorum(attendance), false, 'three people present, but only two of four seats');
    assert.equal(votingSeats(attendance, []), 2);
  });

  it('lets the delegate fill the seat of an absent minister, and says for whom', () => {
    const attendance = roll({ urban: false, delegate: true, trade: true, finance: false });
    assert.equal(hasQuorum(attendance), true);
    const urban = seatsOf(attendance).find((s) => s.holder?.name === 'Amina Abdi')!;
    assert.equal(sitterName(translator('en'), urban), 'Farhan Aden for Amina Abdi');
    assert.equal(votingSeats(attendance, [{ userId: 'id-Amina Abdi' }]), 2, "a recused minister's seat does not vote through the delegate");
  });

  describe('at a meeting', () => {
    let meeting: string;
    let item: string;

    before(async () => {
      const id = await draftMemo('Rent control in Djibouti city');
      await throughMinistry(id);
      await ok(post(secretariat, `/cabinet/memos/${id}/steps/mark-ready`));
      meeting = (await ok(post(secretariat, '/cabinet/meetings', { title: 'Cabinet meeting of 14 December 2099', startsAt: '2099-12-14T09:00', papersDueAt: '2099-12-11T12:00' }))).split('/').pop()!;
      await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: id, track: 'consent' }));
      item = /<li id="item-([0-9a-f-]+)"/.exec((await get(secretariat, `/cabinet/meetings/${meeting}`)).body)![1]!;
      await ok(post(secretariat, `/cabinet/meetings/${meeting}/circulate`));
    });

    it("records a delegate's position for the minister, and never lets it replace the minister's own", async () => {
      await ok(post(delegate, `/cabinet/items/${item}/position`, { stance: 'agree' }));
      assert.match((await get(secretariat, `/cabinet/meetings/${meeting}?lang=en`)).body, /recorded by Farhan Aden for Amina Abdi/);
      await ok(post(minister, `/cabinet/items/${item}/position`, { stance: 'comment', reason: 'Index the rents to wages.' }));
      const page = (await get(secretariat, `/cabinet/meetings/${meeting}?lang=en`)).body;
      assert.match(page, /Agree: 0 · Object: 0 · Comment: 1/, 'one position for the ministry');
      assert.match(page, /Index the rents to wages\. <span class="hint">recorded by Amina Abdi</);
      await refused(delegate, `/cabinet/items/${item}/position`, { stance: 'object', reason: 'Mine' }, 409);
    });

    it('puts delegates on the roll and counts seats for the quorum', async () => {
      const page = (await get(secretariat, `/cabinet/meetings/${meeting}?lang=en`)).body;
      assert.match(page, /Farhan Aden \(delegate, Ministry of Housing and Urban Planning\)/);
      const idOf = async (username: string) => (await findUserByLogin(app.database.db, username))!.id;
      const [pm, urban, deputy] = [await idOf('pm.chair'), await idOf('minister.urban'), await idOf('delegate.urban')];
      const seats = [...page.matchAll(/name="present" type="checkbox" value="([0-9a-f-]+)"/g)].length - 1;
      // The chair, the minister and the delegate: three people, but two seats, short of a quorum whenever the cabinet has four seats or more.
      assert.ok(seats >= 4);
      await ok(post(secretariat, `/cabinet/meetings/${meeting}/attendance`, { present: [pm, urban, deputy] }));
      const live = (await get(secretariat, `/cabinet/meetings/${meeting}?lang=en`)).body;
      assert.match(live, new RegExp(`Seats filled: 2 of ${seats}`));
      assert.match(live, /no quorum/);
      await refused(secretariat, `/cabinet/meetings/${meeting}/consent-agenda`, {}, 409);
      await ok(post(secretariat, `/cabinet/meetings/${meeting}/attendance`, { present: [pm, deputy, await idOf('minister.trade'), await idOf('minister.finance'), await idOf('minister.health')] }));
      const filled = (await get(secretariat, `/cabinet/meetings/${meeting}?lang=en`)).body;
      assert.match(filled, /Farhan Aden for Amina Abdi/);
      assert.match(filled, /quorum reached/);
      await sentBack(secretariat, `/cabinet/items/${item}/decision`, { outcome: 'adopted', votesFor: '6' }, [`for-${item}`]);
      await ok(post(secretariat, `/cabinet/items/${item}/decision`, { outcome: 'adopted', votesFor: '5' }));
    });
  });
});

describe('the live meeting page with JavaScript', () => {
  let meeting: string;
  let page: LightMyRequestResponse;

  before(async () => {
    const id = await draftMemo('Bus lanes on the Avenue Nasser');
    await throughMinistry(id);
    await ok(post(secretariat, `/cabinet/memos/${id}/steps/mark-ready`));
    meeting = (await ok(post(secretariat, '/cabinet/meetings', { title: 'Cabinet meeting of 21 December 2099', startsAt: '2099-12-21T09:00', papersDueAt: '2099-12-18T12:00' }))).split('/').pop()!;
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/items`, { memo: id, track: 'consent' }));
    assert.doesNotMatch((await get(secretariat, `/cabinet/meetings/${meeting}`)).body, /<script/, 'no script before the meeting sits');
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/circulate`));
    const roll = (await get(secretariat, `/cabinet/meetings/${meeting}`)).body;
    await ok(post(secretariat, `/cabinet/meetings/${meeting}/attendance`, { present: [...roll.matchAll(/name="present" type="checkbox" value="([0-9a-f-]+)"/g)].map((m) => m[1]!) }));
    page = await get(finance, `/cabinet/meetings/${meeting}?lang=en`);
  });

  it('loads one script, from our own origin under the Content-Security-Policy, that polls the live feed', async () => {
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    const scripts = [...page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.equal(scripts.length, 1);
    const src = /^<script src="(\/assets\/live-meeting\.[0-9a-f]{12}\.js)" defer>$/.exec(scripts[0]!)?.[1];
    assert.ok(src, 'an external file, never inline script');
    assert.match(page.body, new RegExp(`data-live-src="/cabinet/meetings/${meeting}/live\\?lang=en"`));
    const script = await get(null, src);
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(script.body, /data-live-src/);
  });

  it('stays within the page-weight budget, script included, compressed', async () => {
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(page.body)![1]!;
    const js = /<script src="([^"]+)"/.exec(page.body)![1]!;
    const bytes = [page.body, (await get(null, css)).body, (await get(null, js)).body].reduce((sum, text) => sum + zlib.brotliCompressSync(text).length, 0);
    assert.ok(bytes <= BUDGET_BYTES, `${bytes} B of ${BUDGET_BYTES} B`);
  });

  it('has its live feed in the API description', async () => {
    const spec = (await get(null, '/openapi.json')).json() as { paths: Record<string, { get?: unknown }> };
    assert.ok(spec.paths['/cabinet/meetings/{id}/live']?.get);
  });
});
