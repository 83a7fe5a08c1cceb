/**
 * The feedback invitation by message. When the agency grants or refuses an application, the
 * applicant gets an e-mail (through a real SMTP server) and, on a linked phone, an SMS (through
 * the gateway simulator over real HTTP), in their language, with the link to the feedback page of
 * that application; a redelivered decision invites no more. The page takes one answer, which
 * counts in the ratings; it is the applicant's alone. The linked phone may answer "RATE" instead.
 * A definition may ask for feedback after named steps too.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, postForm } from '../../../test/support/http.ts';
import { MARKET_STALL, RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { startSmtpInbox, type SmtpInbox } from '../../../test/support/smtp-inbox.ts';
import { SHIPPED_LOCALES, translator, type Locale } from '../../platform/i18n/index.ts';
import { startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { createUser } from '../identity/index.ts';
import { publishDefinition } from '../registration/index.ts';
import { INBOUND_SMS_PATH, splitSms } from '../messaging/index.ts';
import { FEEDBACK_THEMES, feedbackPath, INVITE_TASK, ratingSummaries, smsKeywords, themeOf } from './index.ts';

const SECRET = 'the-shared-secret-of-the-sms-gateway';
const AMINA_EMAIL = 'amina@daftari.localhost';
const AMINA_PHONE = '+25377812345';
let inbox: SmtpInbox;
let simulator: Simulator;
let app: TestApp;
let f: RegistrationFixtures;

before(async () => {
  inbox = await startSmtpInbox();
  simulator = await startSmsGatewaySimulator({ secret: SECRET });
  app = await startTestApp({ listen: true, env: { SMTP_URL: inbox.url, SMS_GATEWAY_URL: simulator.url, SMS_GATEWAY_SECRET: SECRET } });
  f = await RegistrationFixtures.start(app);
});

after(async () => {
  await app?.stop();
  await simulator?.close();
  await inbox?.close();
});

async function texts(to: string): Promise<ReceivedSms[]> {
  const all = (await (await fetch(`${simulator.url}/messages.json`)).json()) as ReceivedSms[];
  return all.filter((sms) => sms.to === to);
}

/** A text from `from` to Daftari, through the simulator; the answer that reached the phone. */
async function text(from: string, body: string): Promise<string | undefined> {
  const before = (await texts(from)).length;
  const sent = await fetch(`${simulator.url}/phone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, text: body, deliverTo: `${app.url}${INBOUND_SMS_PATH}` }) });
  assert.equal(sent.status, 200);
  await app.jobs.drain();
  return (await texts(from)).slice(before).at(-1)?.text;
}

async function trackingNumberOf(id: string): Promise<string> {
  return (await sql<{ tracking_number: string }>`SELECT tracking_number FROM registration_applications WHERE id = ${id}`.execute(app.database.db)).rows[0]!.tracking_number;
}

async function refuse(id: string): Promise<void> {
  assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/reject`, { inputs: { reason: 'Incomplete' } })).status, 200);
  await app.jobs.drain();
}

/** The invitation as it should read, in `locale`, for application `id`. */
async function expected(locale: Locale, id: string, service = 'Market stall permit') {
  const t = translator(locale);
  const values = { trackingNumber: await trackingNumberOf(id), service, link: `${app.url}${feedbackPath(id)}`, phone: 'linked' };
  return { subject: t('analytics.invite.subject', values), email: t('analytics.invite.email', values), sms: t('analytics.invite.sms', values), link: values.link };
}

async function invitationsAbout(id: string): Promise<string[]> {
  const { rows } = await sql<{ channel: string }>`SELECT channel FROM messaging_messages WHERE about_id = ${id} AND template = 'analytics.feedback-invitation' ORDER BY channel`.execute(app.database.db);
  return rows.map((r) => r.channel);
}

describe('the invitation after a decision', () => {
  let refused: string;

  it('e-mails and texts the applicant in her language, with the link to the feedback page, when her application is refused', async () => {
    refused = await f.submittedStall();
    await refuse(refused);
    const want = await expected('fr', refused);
    const mail = inbox.to(AMINA_EMAIL).filter((m) => m.subject === want.subject);
    assert.equal(mail.length, 1, JSON.stringify(inbox.to(AMINA_EMAIL).map((m) => m.subject)));
    assert.equal(mail[0]!.text.trim(), want.email);
    assert.ok(mail[0]!.text.includes(want.link));
    const sms = (await texts(AMINA_PHONE)).filter((s) => s.text === want.sms);
    assert.equal(sms.length, 1);
    const { encoding, parts } = splitSms(want.sms);
    assert.deepEqual({ encoding, fits: parts.length <= 2 }, { encoding: 'gsm7', fits: true }, 'French goes in the GSM alphabet, in at most two parts');
  });

  it('invites once when the decision’s event is delivered again', async () => {
    const { rows } = await sql<{ payload: unknown }>`SELECT payload FROM platform_jobs WHERE task = ${INVITE_TASK} AND payload->>'subjectId' = ${refused}`.execute(app.database.db);
    assert.equal(rows.length, 1);
    await app.jobs.enqueue(app.database.db, INVITE_TASK, rows[0]!.payload);
    await app.jobs.drain();
    assert.deepEqual(await invitationsAbout(refused), ['email', 'sms']);
    const want = await expected('fr', refused);
    assert.equal(inbox.to(AMINA_EMAIL).filter((m) => m.subject === want.subject).length, 1);
    assert.equal((await texts(AMINA_PHONE)).filter((s) => s.text === want.sms).length, 1);
  });

  it('invites on a grant too, and writes to a Tajik applicant in Tajik, the SMS in UCS-2 within three parts', async () => {
    await createUser(app.database.db, { username: 'firuza', displayName: 'Firuza', email: 'firuza@example.org', phone: '+992935550009', locale: 'tg', password: DEMO_PASSWORD, party: { kind: 'person' } });
    const firuza = await signIn(app, 'firuza', DEMO_PASSWORD);
    const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(firuza), payload: { serviceId: 'market-stall', data: { stallName: 'Дӯкон', market: 'central', cooking: false }, idempotencyKey: randomUUID() } });
    assert.equal(applied.statusCode, 201, applied.body);
    const id = applied.json<{ id: string }>().id;
    assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: {} })).status, 200);
    assert.equal((await f.call('officer.fire', 'POST', `/api/workflow/cases/${id}/reviews/fire-safety`, { opinion: 'agree', conditions: '' })).status, 200);
    assert.equal((await f.call('head.trade', 'POST', `/api/workflow/cases/${id}/actions/approve`, { inputs: {} })).status, 200);
    await app.jobs.drain();
    const want = await expected('tg', id);
    assert.equal(inbox.to('firuza@example.org').filter((m) => m.subject === want.subject).length, 1);
    const sms = (await texts('+992935550009')).filter((s) => s.text === want.sms);
    assert.equal(sms.length, 1);
    const { encoding, parts } = splitSms(want.sms);
    assert.equal(encoding, 'ucs2');
    assert.ok(parts.length <= 3, `${parts.length} parts`);
  });

  it('only e-mails an applicant without a linked phone, and does not offer her the SMS answer', async () => {
    const id = await f.submittedStall('zara');
    await refuse(id);
    assert.deepEqual(await invitationsAbout(id), ['email']);
    const mail = inbox.to('zara@example.org');
    assert.equal(mail.length, 1);
    assert.ok(mail[0]!.text.includes(`${app.url}${feedbackPath(id)}`));
    assert.doesNotMatch(mail[0]!.text, /RATE/);
  });

  it('does not invite on a withdrawal, which the applicant made herself', async () => {
    const { id } = await f.submittedLicence();
    assert.equal((await f.call('amina', 'POST', `/api/registration/applications/${id}/withdraw`, { reason: 'Changed my mind' })).status, 200);
    await app.jobs.drain();
    assert.deepEqual(await invitationsAbout(id), []);
  });
});

describe('the feedback page the link lands on', () => {
  let id: string;
  let amina: Session;
  before(async () => {
    id = await f.submittedStall();
    await refuse(id);
    amina = await signIn(app, 'amina', DEMO_PASSWORD);
  });

  it('shows the rating form, which works without JavaScript and carries a CSRF token', async () => {
    const page = await app.app.inject({ method: 'GET', url: `${feedbackPath(id)}?lang=en`, headers: f.headersOf('amina') });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`<form class="stack" method="post" action="${feedbackPath(id)}"`));
    assert.match(page.body, /name="_csrf" value="[^"]+"/);
    assert.match(page.body, /How satisfied are you/);
  });

  it('answers bad input with the error summary on the page, and a JSON client with problem+json', async () => {
    const page = await postForm(app, amina.jar, `${feedbackPath(id)}?lang=en`, { _csrf: amina.csrf, theme: 'speed' });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /class="error-summary"/);
    assert.match(page.body, /href="#feedback-rating"/);
    const json = await f.call('amina', 'POST', feedbackPath(id), { theme: 'nonsense' }, { accept: 'application/json' });
    assertProblem(json.response, 400);
    assert.deepEqual((json.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), ['/body/rating', '/body/theme']);
  });

  it('takes one answer, which counts in the ratings, and then thanks', async () => {
    const scope = { agencies: 'all' as const, serviceId: 'market-stall' };
    const [before] = await ratingSummaries(app.database.db, scope);
    const given = await postForm(app, amina.jar, feedbackPath(id), { _csrf: amina.csrf, rating: '2', theme: 'documents', comment: 'Which paper was missing?' });
    assert.equal(given.statusCode, 303, given.body);
    const [now] = await ratingSummaries(app.database.db, scope);
    assert.equal(now!.responses, (before?.responses ?? 0) + 1);
    const again = await postForm(app, amina.jar, feedbackPath(id), { _csrf: amina.csrf, rating: '5', theme: 'speed' });
    assert.equal(again.statusCode, 409);
    assert.equal((await ratingSummaries(app.database.db, scope))[0]!.responses, now!.responses);
    const thanks = await app.app.inject({ method: 'GET', url: `${feedbackPath(id)}?lang=en`, headers: f.headersOf('amina') });
    assert.match(thanks.body, /your rating was recorded/);
    assert.doesNotMatch(thanks.body, /name="rating"/);
  });

  it('says so while the application is not decided yet', async () => {
    const open = await f.submittedStall();
    const page = await app.app.inject({ method: 'GET', url: `${feedbackPath(open)}?lang=en`, headers: f.headersOf('amina') });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /once it is decided/);
    assert.doesNotMatch(page.body, /name="rating"/);
  });

  it('is refused to another citizen and to an officer', async () => {
    assert.equal((await f.call('zara', 'GET', feedbackPath(id), undefined, { accept: 'application/json' })).status, 404);
    assert.equal((await f.call('officer.trade', 'GET', feedbackPath(id), undefined, { accept: 'application/json' })).status, 403);
  });
});

describe('RATE by SMS', () => {
  const t = translator('fr');

  it('takes the rating and a few words from the applicant’s linked phone, once', async () => {
    const id = await f.submittedStall();
    await refuse(id);
    const trackingNumber = await trackingNumberOf(id);
    const scope = { agencies: 'all' as const, serviceId: 'market-stall' };
    const before = (await ratingSummaries(app.database.db, scope))[0]?.responses ?? 0;
    assert.equal(await text(AMINA_PHONE, `rate ${trackingNumber.toLowerCase()} 4 Rapide, merci`), t('analytics.invite.rated', { trackingNumber }));
    assert.equal((await ratingSummaries(app.database.db, scope))[0]!.responses, before + 1);
    const { rows } = await sql<{ rating: number; theme: string; comment: string }>`SELECT rating, theme, comment FROM analytics_feedback WHERE application_id = ${id}`.execute(app.database.db);
    assert.deepEqual(rows, [{ rating: 4, theme: 'other', comment: 'Rapide, merci' }]);
    assert.equal(await text(AMINA_PHONE, `RATE ${trackingNumber} 1`), t('analytics.invite.already', { trackingNumber }));
    assert.equal((await ratingSummaries(app.database.db, scope))[0]!.responses, before + 1);
  });

  it('takes what mattered most from a keyword first among the words, in any shipped language', async () => {
    const id = await f.submittedStall();
    await refuse(id);
    const trackingNumber = await trackingNumberOf(id);
    assert.equal(await text(AMINA_PHONE, `RATE ${trackingNumber} 2 Délai: trois semaines`), t('analytics.invite.rated', { trackingNumber }));
    const { rows } = await sql<{ theme: string; comment: string }>`SELECT theme, comment FROM analytics_feedback WHERE application_id = ${id}`.execute(app.database.db);
    assert.deepEqual(rows, [{ theme: 'speed', comment: 'trois semaines' }]);
    for (const locale of SHIPPED_LOCALES) {
      for (const theme of FEEDBACK_THEMES.filter((x) => x !== 'other')) {
        const keyword = translator(locale)(`analytics.smsThemes.${theme}`);
        assert.deepEqual(themeOf(`${keyword.toLowerCase()} merci`), { theme, comment: 'merci' }, `${locale}: ${keyword} names ${theme} alone`);
      }
    }
    assert.deepEqual(themeOf('Rapide, merci'), { theme: 'other', comment: 'Rapide, merci' }, 'no keyword: the words are all comment');
  });

  it('explains the command when the rating is missing, and waits for the decision', async () => {
    const open = await f.submittedStall();
    const trackingNumber = await trackingNumberOf(open);
    assert.equal(await text(AMINA_PHONE, `RATE ${trackingNumber} 5`), t('analytics.invite.notDecided', { trackingNumber }));
    await refuse(open);
    const usage = await text(AMINA_PHONE, `RATE ${trackingNumber} great`);
    assert.equal(usage, t('analytics.invite.usage', { trackingNumber, themes: smsKeywords('fr') }));
    assert.match(usage, /DELAI, INFO, PERSONNEL, PIECES, FRAIS ou INTERNET/, 'the keywords are listed');
    assert.equal(await text(AMINA_PHONE, `RATE ${trackingNumber}`), usage);
  });

  it('tells any other phone only that nothing was found, and records nothing', async () => {
    const id = await f.submittedStall();
    await refuse(id);
    assert.equal(await text('+25377999888', `RATE ${await trackingNumberOf(id)} 1`), 'No application with this number was found for this phone.');
    const { rows } = await sql`SELECT 1 FROM analytics_feedback WHERE application_id = ${id}`.execute(app.database.db);
    assert.equal(rows.length, 0);
  });
});

describe('feedback asked after a step the definition names', () => {
  it('invites on entering the step, takes the answer before the decision, and invites no more at the decision', async () => {
    await publishDefinition(app.database.db, app.jobs, { data: { ...MARKET_STALL, id: 'rated-stall', feedback: { after: ['fire-review'] } } }, null, 'test');
    const applied = await f.call('amina', 'POST', '/api/registration/applications', { serviceId: 'rated-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: randomUUID() });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    const id = (applied.body as { id: string }).id;
    await app.jobs.drain();
    assert.match((await app.app.inject({ method: 'GET', url: `${feedbackPath(id)}?lang=en`, headers: f.headersOf('amina') })).body, /once it is decided/);
    assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: {} })).status, 200);
    await app.jobs.drain();
    const values = { trackingNumber: await trackingNumberOf(id), service: 'Market stall permit', state: 'Fire safety review', link: `${app.url}${feedbackPath(id)}`, phone: 'linked' };
    const t = translator('fr');
    assert.equal(inbox.to(AMINA_EMAIL).filter((m) => m.subject === t('analytics.invite.step.subject', values) && m.text.trim() === t('analytics.invite.step.email', values)).length, 1);
    assert.equal((await texts(AMINA_PHONE)).filter((sms) => sms.text === t('analytics.invite.step.sms', values)).length, 1);
    const amina = await signIn(app, 'amina', DEMO_PASSWORD);
    assert.equal((await postForm(app, amina.jar, feedbackPath(id), { _csrf: amina.csrf, rating: '5', theme: 'speed' })).statusCode, 303);
    assert.equal((await f.call('officer.fire', 'POST', `/api/workflow/cases/${id}/reviews/fire-safety`, { opinion: 'agree', conditions: '' })).status, 200);
    assert.equal((await f.call('head.trade', 'POST', `/api/workflow/cases/${id}/actions/approve`, { inputs: {} })).status, 200);
    await app.jobs.drain();
    assert.deepEqual(await invitationsAbout(id), ['email', 'sms'], 'the step’s invitation only: the answer was given');
  });

  it('invites after no step the definition does not name', async () => {
    const id = await f.submittedStall();
    assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: {} })).status, 200);
    await app.jobs.drain();
    assert.deepEqual(await invitationsAbout(id), []);
    assert.equal((await f.call('amina', 'POST', feedbackPath(id), { rating: '3', theme: 'speed' }, { accept: 'application/json' })).status, 409);
  });
});
