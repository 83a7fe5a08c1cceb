import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { postForm } from '../../../test/support/http.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { publishDefinition } from '../../blocks/registration/index.ts';
import { translator } from '../../platform/i18n/index.ts';

/**
 * The agent's counter, without JavaScript: Neema (`agent.post`) fills in the market stall form
 * with Amina, who is at the post office with her national ID card, records her consent and
 * submits it as Amina's own application. Nobody without the agent role gets the page.
 */
const en = translator('en');
const fr = translator('fr');
const AMINA_ID = 'DJ-1985-000123';

let app: TestApp;
let agent: Session;
let amina: Session;

before(async () => {
  app = await startTestApp();
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  [agent, amina] = await signInDemo(app, 'agent.post', 'amina');
});
after(() => app?.stop());

function open(session: Session, url: string) {
  return app.app.inject({ method: 'GET', url, headers: { accept: 'text/html', cookie: session.cookie() } });
}

function submit(session: Session, url: string, fields: Record<string, string>) {
  return postForm(app, session.jar, url, { _csrf: session.csrf, ...fields });
}

/** The text a reader sees: tags dropped, entities decoded, spaces collapsed. */
function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/[ \t\r\n]+/g, ' ');
}

/** The ids the error summary links to, in order. */
function summaryLinks(html: string): string[] {
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
}

function keyOf(html: string): string {
  return /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!;
}

const person = { nationalId: AMINA_ID, idDocument: 'national-id-card', consentMethod: 'signed-form', consentGiven: 'yes' };
const stall = { stallName: 'Chez Amina', market: 'central', cooking: 'no', _shown: 'stallName market cooking' };

describe('the agent’s counter page', () => {
  it('lists the services the agent can take at the counter, and asks for the person, their consent and the answers', async () => {
    const list = await open(agent, '/assist');
    assert.equal(list.statusCode, 200, list.body.slice(0, 300));
    assert.match(list.body, /href="\/assist\/market-stall"/);
    const form = await open(agent, '/assist/market-stall');
    assert.equal(form.statusCode, 200);
    for (const name of ['_csrf', 'idempotencyKey', 'nationalId', 'idDocument', 'consentMethod', 'consentGiven', 'stallName', 'market', 'cooking']) assert.match(form.body, new RegExp(`name="${name}"`), name);
    assert.ok(text(form.body).includes(en('assisted.page.consentGiven')));
  });

  it('refuses a form without the person’s ID, consent or answers, saying what is missing at the top', async () => {
    const form = await open(agent, '/assist/market-stall');
    const refused = await submit(agent, '/assist/market-stall', { idempotencyKey: keyOf(form.body), _shown: 'stallName market cooking', cooking: 'no' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(summaryLinks(refused.body), ['nationalId', 'idDocument', 'consentMethod', 'consentGiven', 'stallName', 'market']);
    assert.ok(text(refused.body).includes(en('assisted.page.consentMissing')));
    assert.equal(keyOf(refused.body), keyOf(form.body), 'the retry keeps the idempotency key');
  });

  it('asks the question an answer brings up before submitting, as pages without JavaScript must', async () => {
    const again = await submit(agent, '/assist/market-stall', { ...person, ...stall, cooking: 'yes', idempotencyKey: 'counter-conditional' });
    assert.equal(again.statusCode, 200);
    assert.match(again.body, /name="stoves"/);
    assert.ok(text(again.body).includes(en('apply.moreQuestions')));
  });

  it('tells the agent when no account holds the national ID', async () => {
    const refused = await submit(agent, '/assist/market-stall', { ...person, ...stall, nationalId: 'XX-0000-000000', idempotencyKey: 'counter-unknown' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(summaryLinks(refused.body), ['nationalId']);
    assert.ok(text(refused.body).includes(en('assisted.page.unknownPerson')));
  });

  it('submits the application as the person’s own, marked as assisted by the agent, once only', async () => {
    const form = await open(agent, '/assist/market-stall');
    const fields = { ...person, ...stall, idempotencyKey: keyOf(form.body) };
    const sent = await submit(agent, '/assist/market-stall', fields);
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 500));
    const done = String(sent.headers.location);
    assert.match(done, /^\/assist\/done\/[0-9a-f-]{36}$/);
    const again = await submit(agent, '/assist/market-stall', fields);
    assert.equal(again.headers.location, done, 'a second click gives the same application');

    const page = await open(agent, done);
    assert.equal(page.statusCode, 200);
    const id = done.split('/').pop()!;
    const { rows } = await app.database.pool.query('SELECT tracking_number, channel, assisted_consent FROM registration_applications WHERE id = $1', [id]);
    assert.equal(rows[0].channel, 'assisted');
    assert.equal(rows[0].assisted_consent.method, 'signed-form');
    assert.equal(rows[0].assisted_consent.idDocument, 'national-id-card');
    const shown = text(page.body);
    assert.ok(shown.includes(en('assisted.page.trackingNumber', { trackingNumber: rows[0].tracking_number })), shown);
    assert.ok(shown.includes(en('assisted.channel.assisted', { agent: 'Neema Mwakyusa' })));
    assert.ok(shown.includes(en('assisted.page.smsSent')), 'Amina’s phone is linked: the number went to it by SMS');

    const hers = await open(amina, `/applications/${id}`);
    assert.equal(hers.statusCode, 200);
    assert.ok(text(hers.body).includes(fr('assisted.channel.assisted', { agent: 'Neema Mwakyusa' })), 'Amina sees who applied for her');
  });

  it('refuses the page to anyone without the agent role (403), and a form without its CSRF token', async () => {
    assert.equal((await open(amina, '/assist')).statusCode, 403);
    assert.equal((await open(amina, '/assist/market-stall')).statusCode, 403);
    assert.equal((await submit(amina, '/assist/market-stall', { ...person, ...stall, idempotencyKey: 'counter-not-agent' })).statusCode, 403);
    const forged = await postForm(app, agent.jar, '/assist/market-stall', { ...person, ...stall, idempotencyKey: 'counter-forged' });
    assert.equal(forged.statusCode, 403);
  });
});
