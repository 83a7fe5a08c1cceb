/**
 * Confidentiality: a paper above one's clearance, or outside one's role, is refused on every
 * channel (lists, counts, search, pages, the API, downloads, agendas, the register, e-mail and
 * the public pages), and every read of a classified paper is in the audit chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { findEntries } from '../../blocks/audit/index.ts';
import { sentMail } from './ecabinet-fixtures.ts';
import { sql } from 'kysely';
import { findUserByLogin, principalForUser } from '../../blocks/identity/index.ts';
import { seedEcabinetDemo, viewerOf } from './index.ts';
import { addItem, circulate, createMeeting } from './meetings.ts';
import { createMemo, takeStep } from './memos.ts';

const SECRET_TITLE = 'Land acquisition for the port access road';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let app: TestApp;
let trade: Session, urban: Session, delegate: Session, drafter: Session, finance: Session, secretariat: Session, amina: Session;
let landId: string;
let housingId: string;
/** What the Minister of Trade could count before his clearance was raised. */
let tradeTotal: number;

function get(session: Session | null, url: string): Promise<LightMyRequestResponse> {
  return app.app.inject({ method: 'GET', url, headers: { ...(session ? { cookie: session.cookie() } : {}), 'accept-language': 'en' } });
}

async function memos(session: Session, query = ''): Promise<{ total: number; memos: { id: string; title: string }[] }> {
  const response = await get(session, `/api/ecabinet/memos${query}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

function upload(session: Session, url: string, file: { name: string; bytes: Buffer }, classification: string): Promise<LightMyRequestResponse> {
  const boundary = '----ecabinet-test';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(field('_csrf', session.csrf) + field('classification', classification)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/pdf\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return app.app.inject({ method: 'POST', url, headers: { cookie: session.cookie(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
}

async function auditOf(action: string, subjectId: string) {
  return findEntries(app.database.db, { agencies: 'all', action, subjectId, limit: 20 });
}

before(async () => {
  app = await startTestApp();
  await seedEcabinetDemo(app.database.db, { signer: app.signer, messenger: app.messenger, jobs: app.jobs, baseUrl: app.config.baseUrl });
  await app.jobs.drain();
  [trade, urban, delegate, drafter, finance, secretariat, amina] = await signInDemo(app, 'minister.trade', 'minister.urban', 'delegate.urban', 'drafter.urban', 'minister.finance', 'cabinet.secretariat', 'amina');
  landId = (await memos(finance, '?q=Land%20acquisition')).memos[0]!.id;
  housingId = (await memos(drafter, '?q=Social%20housing')).memos[0]!.id;
});
after(() => app.stop());

describe('a confidential paper and a minister cleared only for restricted papers', () => {
  it('is left out of his lists and counts, and his searches find nothing', async () => {
    const his = await memos(trade);
    assert.ok(!his.memos.some((m) => m.title === SECRET_TITLE));
    assert.ok((await memos(finance)).memos.some((m) => m.title === SECRET_TITLE));
    assert.equal(his.total, his.memos.length, 'the count does not reveal it either');
    tradeTotal = his.total;
    assert.equal((await memos(trade, '?q=port%20access')).total, 0);
    const page = await get(trade, '/cabinet?q=port+access');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Land acquisition/);
    assert.match(page.body, /Papers you may read: 0/);
  });

  it('is refused on its page and through the API', async () => {
    assertProblem(await get(trade, `/api/ecabinet/memos/${landId}`), 403);
    const page = await get(trade, `/cabinet/memos/${landId}`);
    assert.equal(page.statusCode, 403);
    assert.doesNotMatch(page.body, /Land acquisition/);
    assertProblem(await get(trade, `/cabinet/memos/${landId}/compare?from=1&to=1`), 403);
  });

  it('is left out of the agenda of the meeting that decided it, and of the decisions register', async () => {
    const register = (await get(trade, '/api/ecabinet/decisions')).json() as { title: string }[];
    assert.ok(register.length > 0);
    assert.ok(!register.some((d) => d.title === SECRET_TITLE));
    assert.ok(((await get(finance, '/api/ecabinet/decisions')).json() as { title: string }[]).some((d) => d.title === SECRET_TITLE));
    const home = await get(trade, '/cabinet');
    const meeting = /href="(\/cabinet\/meetings\/[0-9a-f-]+)">Cabinet meeting of 16 November 2026/.exec(home.body)?.[1];
    assert.ok(meeting);
    const agenda = await get(trade, meeting);
    assert.match(agenda.body, /Online building permits/);
    assert.doesNotMatch(agenda.body, /Land acquisition/);
    assert.doesNotMatch((await get(trade, '/cabinet/follow-up')).body, /Land acquisition/);
  });

  it("is left out of the meeting's live feed, which carries it for a minister cleared for it", async () => {
    const home = await get(finance, '/cabinet');
    const meeting = /href="(\/cabinet\/meetings\/[0-9a-f-]+)">Cabinet meeting of 16 November 2026/.exec(home.body)![1]!;
    const item = /<li id="item-([0-9a-f-]+)"[^>]*><h3><a href="\/cabinet\/memos\/[0-9a-f-]+">Land acquisition/.exec((await get(finance, meeting)).body)?.[1];
    assert.ok(item, 'the cleared minister sees the item on the agenda');
    assert.match((await get(finance, `${meeting}/live`)).body, new RegExp(`id="status-${item}"`));
    const feed = await get(trade, `${meeting}/live`);
    assert.equal(feed.statusCode, 200);
    assert.doesNotMatch(feed.body, new RegExp(item));
    assert.match(feed.body, /id="status-/, 'the items he may see are there');
  });

  it('is never named in the e-mail that circulated its agenda, even to members cleared for it', async () => {
    const mails = await sentMail(app);
    const circulated = mails.filter((m) => /16 November 2026/.test(m));
    assert.ok(circulated.length >= 5);
    for (const mail of circulated) assert.doesNotMatch(mail, /Land acquisition|port access/i);
    assert.ok(circulated.some((m) => /a confidential item/.test(m)));
  });

  it('is never published, on the public page or in the open data', async () => {
    const page = await get(null, '/cabinet/decisions');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Online building permits/);
    assert.doesNotMatch(page.body, /Land acquisition/);
    assert.doesNotMatch((await get(null, '/cabinet/decisions.json')).body, /Land acquisition/);
    assert.doesNotMatch((await get(null, '/cabinet/decisions.csv')).body, /Land acquisition/);
  });

  it('is read by a minister cleared for it, and that reading is in the audit chain', async () => {
    const page = await get(urban, `/cabinet/memos/${landId}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Land acquisition/);
    const user = (await findUserByLogin(app.database.db, 'minister.urban'))!;
    const entries = await auditOf('ecabinet.view-memo', landId);
    assert.ok(entries.some((e) => e.actorId === user.id && e.details.classification === 'confidential'));
  });
});

describe('a classified attachment', () => {
  let attachmentId: string;

  before(async () => {
    const response = await upload(drafter, `/cabinet/memos/${housingId}/attachments`, { name: 'costing.pdf', bytes: PDF }, 'confidential');
    assert.equal(response.statusCode, 303, response.body);
    const detail = (await get(urban, `/api/ecabinet/memos/${housingId}`)).json() as { attachments: { id: string; classification: string }[] };
    attachmentId = detail.attachments.find((a) => a.classification === 'confidential')!.id;
  });

  it('is refused unless its content is really a PDF or an image', async () => {
    const refused = await upload(drafter, `/cabinet/memos/${housingId}/attachments`, { name: 'notes.pdf', bytes: Buffer.from('just text, not a PDF') }, 'restricted');
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /class="error-summary"/, 'the memo page again, saying why');
  });

  it('is neither listed nor downloadable for someone who reads its memo but is not cleared for it', async () => {
    const detail = (await get(delegate, `/api/ecabinet/memos/${housingId}`)).json() as { attachments: unknown[] };
    assert.deepEqual(detail.attachments, []);
    assert.doesNotMatch((await get(delegate, `/cabinet/memos/${housingId}`)).body, /costing\.pdf/);
    assertProblem(await get(delegate, `/api/ecabinet/memos/${housingId}/attachments/${attachmentId}`), 403);
    assertProblem(await get(trade, `/api/ecabinet/memos/${housingId}/attachments/${attachmentId}`), 403);
  });

  it('downloads for someone cleared, and the download is audited', async () => {
    const response = await get(urban, `/api/ecabinet/memos/${housingId}/attachments/${attachmentId}`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/pdf');
    assert.deepEqual(response.rawPayload, PDF);
    assert.equal((await auditOf('ecabinet.download-attachment', attachmentId)).length, 1);
  });
});

describe('the public and clearances', () => {
  it('refuses the cabinet API and pages to the public and to citizens', async () => {
    assertProblem(await get(null, '/api/ecabinet/memos'), 401);
    assertProblem(await get(amina, '/api/ecabinet/memos'), 403);
    assertProblem(await get(amina, `/api/ecabinet/memos/${landId}`), 403);
    assertProblem(await get(amina, '/api/ecabinet/decisions'), 403);
    assert.equal((await get(amina, '/cabinet')).statusCode, 403);
  });

  it('lets the secretariat raise a clearance (audited), after which the paper is readable', async () => {
    const raise = (session: Session, level: string) => app.app.inject({ method: 'PUT', url: '/api/ecabinet/clearances/minister.trade', headers: { cookie: session.cookie(), 'x-csrf-token': session.csrf }, payload: { level } });
    assertProblem(await raise(drafter, 'confidential'), 403);
    assert.equal((await raise(secretariat, 'confidential')).statusCode, 204);
    const user = (await findUserByLogin(app.database.db, 'minister.trade'))!;
    assert.equal((await auditOf('ecabinet.set-clearance', user.id)).length, 1);
    assert.equal((await get(trade, `/api/ecabinet/memos/${landId}`)).statusCode, 200);
    assert.equal((await memos(trade, '?q=port%20access')).total, 1);
    assert.equal((await memos(trade)).total, tradeTotal + 1);
  });
});

// Last: its paper would change what the Minister of Trade counts above.
describe('messages about a confidential paper, by e-mail and by SMS', () => {
  const TITLE = 'Purchase of the presidential aircraft';

  it('are sent through the messaging block on both channels, and never carry the title', async () => {
    const db = app.database.db;
    const as = async (username: string) => viewerOf(db, (await principalForUser(db, (await findUserByLogin(db, username))!.id, null))!);
    const { id } = await createMemo(db, await as('drafter.urban'), { title: TITLE, summary: 'Secret.', proposedDecision: 'Buy it.', cost: '', classification: 'confidential' }, 'test');
    for (const [step, who] of [['send-to-legal', 'drafter.urban'], ['clear', 'legal.urban'], ['submit', 'minister.urban'], ['mark-ready', 'cabinet.secretariat']] as const) await takeStep(db, await as(who), id, step, 'test');
    const secretariatViewer = await as('cabinet.secretariat');
    const meeting = await createMeeting(db, secretariatViewer.principal, { title: 'Cabinet meeting of 28 December 2099', startsAt: new Date('2099-12-28T09:00:00Z'), papersDueAt: new Date('2099-12-25T09:00:00Z') }, 'test');
    await addItem(db, secretariatViewer, meeting.id, { memoId: id, track: 'discussion' }, 'test');
    await sql`UPDATE identity_users SET phone = '+25377000101' WHERE username = 'minister.finance'`.execute(db);
    await circulate(db, { messenger: app.messenger, baseUrl: app.config.baseUrl }, secretariatViewer, meeting.id, 'test');
    const sent = (await sql<{ channel: string; subject: string | null; body: string; sealed: string | null }>`
      SELECT m.channel, m.subject, m.body, s.body AS sealed FROM messaging_messages m LEFT JOIN messaging_sealed_bodies s ON s.message_id = m.id WHERE m.about_id = ${meeting.id}`.execute(db)).rows;
    assert.ok(sent.some((m) => m.channel === 'sms'), 'the minister with a mobile number is told by SMS');
    assert.ok(sent.some((m) => m.channel === 'email'));
    assert.ok(sent.some((m) => m.channel === 'email' && /a confidential item/.test(m.body)));
    const everything = (await sql<{ text: string }>`SELECT coalesce(m.subject, '') || ' ' || m.body || ' ' || coalesce(s.body, '') AS text FROM messaging_messages m LEFT JOIN messaging_sealed_bodies s ON s.message_id = m.id`.execute(db)).rows;
    for (const message of everything) assert.doesNotMatch(message.text, /presidential aircraft/i, 'no queued message names the confidential paper');
  });
});
