import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { publishDefinition } from '../../blocks/registration/index.ts';
import { formatMoney, translator } from '../../platform/i18n/index.ts';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { payFeesAtCounter, PDF } from '../../../test/support/registration-fixtures.ts';

/** Staff accounts have no language of their own: their pages follow the browser, here English. */
const en = translator('en');

const text6 = (en: string, fr: string, ar: string, sw: string, ru: string, tg: string) => ({ en, fr, ar, sw, ru, tg });

/** A permit: an inspection whose report asks one input of each kind, then a review by the fire service, which agrees or objects. */
const STREET_STALL = {
  id: 'street-stall',
  version: 1,
  agency: 'commerce',
  title: { en: 'Street stall permit', fr: 'Permis d’étal', ar: 'تصريح كشك', sw: 'Kibali cha kibanda cha barabarani', ru: 'Разрешение на уличный киоск', tg: 'Иҷозатнома барои дӯкончаи кӯчагӣ' },
  description: { en: 'A stall on a public street.', fr: 'Un étal sur la voie publique.', ar: 'كشك في الطريق العام.', sw: 'Kibanda kwenye barabara ya umma.', ru: 'Киоск на улице общего пользования.', tg: 'Дӯкон дар кӯчаи умумӣ.' },
  applicants: ['person'],
  form: { steps: [{ id: 'stall', title: { en: 'Your stall', fr: 'Votre étal', ar: 'كشكك', sw: 'Kibanda chako', ru: 'Ваш киоск', tg: 'Дӯкончаи шумо' }, fields: [{ id: 'place', type: 'text', label: { en: 'Place', fr: 'Lieu', ar: 'المكان', sw: 'Mahali', ru: 'Место', tg: 'Ҷой' }, required: true }] }] },
  workflow: {
    initial: 'inspection',
    states: [
      {
        id: 'inspection',
        label: text6('Inspection', 'Inspection', 'المعاينة', 'Ukaguzi', 'Осмотр', 'Санҷиш'),
        actions: [
          {
            id: 'inspect',
            label: text6('Record the inspection', 'Enregistrer l’inspection', 'سجّل المعاينة', 'Rekodi ukaguzi', 'Записать осмотр', 'Санҷишро сабт кунед'),
            to: 'review',
            inputs: [
              { id: 'visited', type: 'date', label: text6('Date of the visit', 'Date de la visite', 'تاريخ الزيارة', 'Tarehe ya ziara', 'Дата посещения', 'Санаи ташриф') },
              { id: 'safe', type: 'yes-no', label: text6('Is the place safe?', 'Le lieu est-il sûr ?', 'هل المكان آمن؟', 'Je, mahali ni salama?', 'Место безопасно?', 'Оё ҷой бехатар аст?') },
              {
                id: 'checks',
                type: 'checklist',
                label: text6('Checked on site', 'Vérifié sur place', 'تم التحقق في الموقع', 'Imekaguliwa papo hapo', 'Проверено на месте', 'Дар ҷой санҷида шуд'),
                items: [
                  { id: 'permit-shown', label: text6('The trader showed an identity document', 'Le commerçant a montré une pièce d’identité', 'قدّم التاجر وثيقة هوية', 'Mfanyabiashara alionyesha hati ya utambulisho', 'Торговец предъявил удостоверение личности', 'Тоҷир ҳуҷҷати шахсиятро нишон дод') },
                  { id: 'exit-clear', label: text6('The way is clear for passers-by', 'Le passage reste libre', 'الممر متاح للمارة', 'Njia iko wazi kwa wapita njia', 'Проход для пешеходов свободен', 'Роҳ барои роҳгузарон озод аст') },
                ],
              },
              { id: 'notes', type: 'text', required: false, label: text6('Notes', 'Remarques', 'ملاحظات', 'Maelezo', 'Заметки', 'Қайдҳо') },
            ],
          },
        ],
      },
      { id: 'review', label: { en: 'Fire safety review', fr: 'Avis de sécurité incendie', ar: 'رأي السلامة من الحريق', sw: 'Tathmini ya usalama wa moto', ru: 'Заключение пожарной безопасности', tg: 'Хулосаи бехатарии зидди сӯхтор' }, reviews: { reviewers: [{ id: 'fire', label: { en: 'Fire safety', fr: 'Sécurité incendie', ar: 'السلامة من الحريق', sw: 'Usalama wa moto', ru: 'Пожарная безопасность', tg: 'Бехатарии зидди сӯхтор' }, by: { role: 'officer', agency: 'fire' } }], whenAllAgree: 'granted', whenAnyObjects: 'refused' } },
      { id: 'granted', label: { en: 'Permit granted', fr: 'Permis accordé', ar: 'مُنح التصريح', sw: 'Kibali kimetolewa', ru: 'Разрешение выдано', tg: 'Иҷозатнома дода шуд' }, outcome: 'granted' },
      { id: 'refused', label: { en: 'Refused', fr: 'Refusé', ar: 'مرفوض', sw: 'Kimekataliwa', ru: 'Отказано', tg: 'Рад карда шуд' }, outcome: 'refused' },
    ],
  },
};

let app: TestApp;
let amina: Session;
let officer: Session;
let head: Session;
let fireOfficer: Session;
let urbanHead: Session;
let counter = 0;

before(async () => {
  app = await startTestApp();
  await publishDefinition(app.database.db, app.jobs, { data: STREET_STALL }, null, 'test');
  [amina, officer, head, fireOfficer, urbanHead] = await Promise.all([
    signIn(app, 'amina', DEMO_PASSWORD),
    signIn(app, 'officer.trade', DEMO_PASSWORD),
    signIn(app, 'head.trade', DEMO_PASSWORD),
    signIn(app, 'officer.fire', DEMO_PASSWORD),
    signIn(app, 'head.urban', DEMO_PASSWORD),
  ]);
});
after(() => app?.stop());

type Json = Record<string, any>;

async function api(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: Json): Promise<Json> {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload ? { payload } : {}) });
  assert.ok(response.statusCode < 300, `${method} ${url}: ${response.body}`);
  return response.json() as Json;
}

/** A business licence Amina sent (through the API: these tests are about the officers' pages). */
async function businessLicence(tradeName: string): Promise<string> {
  const draft = await api(amina, 'POST', '/api/registration/drafts', { serviceId: 'business-licence' });
  const id = draft.id as string;
  await api(amina, 'PUT', `/api/registration/drafts/${id}/steps/business`, { answers: { tradeName, category: 'retail', employees: 2 } });
  await api(amina, 'PUT', `/api/registration/drafts/${id}/steps/premises`, { answers: { address: 'Boulevard de la République 3', areaM2: '80' } });
  const boundary = '----work-test';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="lease"; filename="lease.pdf"\r\n\r\n`), PDF, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const uploaded = await app.app.inject({ method: 'POST', url: `/api/registration/drafts/${id}/documents`, headers: { ...asSession(amina), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
  assert.equal(uploaded.statusCode, 201, uploaded.body);
  await api(amina, 'POST', `/api/registration/drafts/${id}/submit`);
  return id;
}

async function streetStall(place: string): Promise<string> {
  return (await api(amina, 'POST', '/api/registration/applications', { serviceId: 'street-stall', data: { place }, idempotencyKey: `stall-${++counter}-${place.length}` })).id as string;
}

const REPORT = { visited: '2026-11-20', safe: 'yes', checks: ['permit-shown', 'exit-clear'] };

function open(session: Session | null, url: string) {
  return app.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(session ? { cookie: session.cookie() } : {}) } });
}

function submit(session: Session, url: string, fields: Record<string, string | string[]> = {}) {
  const body = new URLSearchParams({ _csrf: session.csrf });
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(name, one);
  return app.app.inject({ method: 'POST', url, headers: { cookie: session.cookie(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, payload: body.toString() });
}

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/[ \t\r\n]+/g, ' ');
}

function assertRedirect(response: { statusCode: number; headers: Record<string, unknown>; body: string }, to: string): string {
  assert.equal(response.statusCode, 303, response.body.slice(0, 500));
  assert.equal(String(response.headers.location), to);
  return to;
}

function summaryLinks(html: string): string[] {
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
}

/** The worklist rows' links to case files, in order. */
function casesListed(html: string): string[] {
  return [...html.matchAll(/<a class="tracking" href="\/work\/cases\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
}

function taskFormsOf(html: string, caseId: string, verb: 'claim' | 'release'): string[] {
  return [...html.matchAll(new RegExp(`action="/work/cases/${caseId}/tasks/([0-9a-f-]{36})/${verb}"`, 'g'))].map((m) => m[1]!);
}

describe('the worklist', () => {
  let id: string;

  before(async () => {
    id = await businessLicence('Épicerie Hodan');
  });

  it('shows a new case to the trade officer, with its step and due date, and not to the fire officer', async () => {
    const list = await open(officer, '/work');
    assert.equal(list.statusCode, 200);
    assert.ok(casesListed(list.body).includes(id));
    assert.ok(text(list.body).includes('Completeness check'));
    assert.ok(text(list.body).includes('Business licence'));
    assert.ok(!casesListed((await open(fireOfficer, '/work')).body).includes(id));
  });

  it('filters by service and by step', async () => {
    assert.ok(casesListed((await open(officer, '/work?service=business-licence&state=completeness')).body).includes(id));
    assert.ok(!casesListed((await open(officer, '/work?service=business-licence&state=decision')).body).includes(id));
    assert.ok(!casesListed((await open(officer, '/work?service=street-stall&state=')).body).includes(id));
    assert.match((await open(officer, '/work?service=business-licence')).body, /<option value="business-licence" selected/);
  });

  it('marks a case past its deadline as overdue, and can show only those', async () => {
    await sql`UPDATE workflow_cases SET overdue = true WHERE id = ${id}`.execute(app.database.db);
    const overdue = await open(officer, '/work?overdue=true');
    assert.deepEqual(casesListed(overdue.body), [id]);
    assert.ok(text(overdue.body).includes(en('deadlines.overdue')));
    await sql`UPDATE workflow_cases SET overdue = false WHERE id = ${id}`.execute(app.database.db);
  });

  it('lets an officer take a task, shows it as theirs, and give it back', async () => {
    const list = await open(officer, '/work');
    const [taskId] = taskFormsOf(list.body, id, 'claim');
    assert.ok(taskId);
    assertRedirect(await submit(officer, `/work/cases/${id}/tasks/${taskId}/claim`, { back: '/work?mine=true' }), '/work?mine=true');
    const mine = await open(officer, '/work?mine=true');
    assert.deepEqual(casesListed(mine.body), [id]);
    assert.ok(text(mine.body).includes(en('work.you')));
    assert.deepEqual(taskFormsOf(mine.body, id, 'release'), [taskId]);
    const taken = await open(head, `/work/cases/${id}`);
    assert.ok(text(taken.body).includes('Idriss Youssouf'), 'the head sees who took it');
    assert.deepEqual(taskFormsOf(taken.body, id, 'claim'), [], 'a taken task cannot be taken again');
    assert.deepEqual(taskFormsOf(taken.body, id, 'release'), [taskId], 'the head may hand it back to the team');
    assertRedirect(await submit(officer, `/work/cases/${id}/tasks/${taskId}/release`, { back: 'https://elsewhere.example/' }), '/work');
    assert.deepEqual(casesListed((await open(officer, '/work?mine=true')).body), []);
  });

  it('pages through a long list with a “next page” link', async () => {
    const ids = [];
    for (let i = 0; i < 26; i += 1) ids.push(await streetStall(`Market square, stall ${i}`));
    const first = await open(officer, '/work?service=street-stall');
    assert.equal(casesListed(first.body).length, 25);
    const next = /<p class="pager"><a href="([^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(next, 'a link to the next page');
    const second = await open(officer, next);
    assert.equal(second.statusCode, 200);
    const seen = [...casesListed(first.body), ...casesListed(second.body)];
    assert.equal(new Set(seen).size, seen.length, 'no case twice');
    assert.ok(ids.every((i) => seen.includes(i)), 'every case once');
  });

  it('refuses a position in the list it did not make', async () => {
    for (const after of ['2026-13-01T00:00:00.000Z|00000000-0000-0000-0000-000000000000', '|------------------------------------']) {
      assert.equal((await open(officer, `/work?after=${encodeURIComponent(after)}`)).statusCode, 400, after);
    }
  });
});

describe('the case file', () => {
  let id: string;

  before(async () => {
    id = await businessLicence('Librairie du Port');
  });

  it('shows the answers under their labels, the documents, the fee and the deadlines', async () => {
    const file = await open(officer, `/work/cases/${id}`);
    assert.equal(file.statusCode, 200);
    const seen = text(file.body);
    for (const shown of ['Trade name', 'Librairie du Port', 'Category of activity', 'Retail shop', 'Floor area (m²)', '80', 'lease.pdf', formatMoney('en', '15000', 'DJF', 0), en('deadlines.step'), en('deadlines.statutory'), 'Amina Said']) {
      assert.ok(seen.includes(shown), `shows ${shown}`);
    }
    assert.match(file.body, new RegExp(`href="/api/registration/applications/${id}/documents/[0-9a-f-]{36}"`));
  });

  it('offers the officer the actions of the current step, with their inputs', async () => {
    const file = await open(officer, `/work/cases/${id}`);
    assert.match(file.body, new RegExp(`action="/work/cases/${id}/actions/accept"`));
    assert.match(file.body, new RegExp(`action="/work/cases/${id}/actions/request-information"`));
    assert.match(file.body, /<textarea id="request-information-message" name="message"/);
    assert.doesNotMatch(file.body, /\/actions\/approve"/, 'the decision is not this step');
    assert.doesNotMatch(file.body, /\/extend"/, 'only the head extends deadlines');
  });

  it('refuses an action without its required input, naming the field', async () => {
    const refused = await submit(officer, `/work/cases/${id}/actions/request-information`, { expectedState: 'completeness', message: '' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(summaryLinks(refused.body), ['request-information-message']);
    assert.ok(text(refused.body).includes(`What is missing: ${en('form.errors.required')}`));
  });

  it('tells an officer acting from a stale page that the case moved on, and shows where it is now', async () => {
    assertRedirect(await submit(officer, `/work/cases/${id}/actions/request-information`, { expectedState: 'completeness', message: 'The lease is not signed' }), `/work/cases/${id}?done=1`);
    const stale = await submit(officer, `/work/cases/${id}/actions/accept`, { expectedState: 'completeness' });
    assert.equal(stale.statusCode, 409);
    const seen = text(stale.body);
    assert.ok(seen.includes(en('work.movedOn', { state: 'Waiting for the applicant' })));
    assert.doesNotMatch(stale.body, /\/actions\/accept"/, 'nothing to do while the applicant is asked');
    assert.ok(seen.includes('The lease is not signed'), 'the history shows the request');
  });

  it('lets the head give the current step more time, with a reason', async () => {
    const answered = await app.app.inject({ method: 'POST', url: `/api/registration/applications/${id}/answers`, headers: asSession(amina), payload: { actionId: 'answer', inputs: { answer: 'Signed now' } } });
    assert.equal(answered.statusCode, 200, answered.body);
    const file = await open(head, `/work/cases/${id}`);
    assert.match(file.body, new RegExp(`action="/work/cases/${id}/extend"`));
    const noReason = await submit(head, `/work/cases/${id}/extend`, { days: '0', reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.deepEqual(summaryLinks(noReason.body), ['extend-days', 'extend-reason']);
    assertRedirect(await submit(head, `/work/cases/${id}/extend`, { days: '5', reason: 'Waiting for the land registry' }), `/work/cases/${id}?done=1`);
    const extended = text((await open(head, `/work/cases/${id}`)).body);
    assert.ok(extended.includes(en('history.kinds.extend')));
    assert.ok(extended.includes('Waiting for the land registry'));
    assert.ok(extended.includes('Kadra Mahamoud'), 'staff see who did what');
  });

  it('lets only the head decide, and closes the case when granted', async () => {
    assertRedirect(await submit(officer, `/work/cases/${id}/actions/accept`, { expectedState: 'completeness' }), `/work/cases/${id}?done=1`);
    await payFeesAtCounter(app, id);
    const officerView = await open(officer, `/work/cases/${id}`);
    assert.doesNotMatch(officerView.body, /\/actions\/approve"/);
    assert.equal((await submit(officer, `/work/cases/${id}/actions/approve`, { expectedState: 'decision' })).statusCode, 403);
    assert.match((await open(head, `/work/cases/${id}`)).body, /<textarea id="refuse-reason" name="reason"/);
    const granted = await submit(head, `/work/cases/${id}/actions/approve`, { expectedState: 'decision' });
    const done = await open(head, assertRedirect(granted, `/work/cases/${id}?done=1`));
    assert.ok(text(done.body).includes(en('work.done', { state: 'Licence granted' })));
    assert.ok(text(done.body).includes('Business licence'));
    assert.doesNotMatch(done.body, /\/actions\//, 'a closed case offers no action');
  });
});

describe('handing out work', () => {
  it('the head of the agency hands a task to one of its officers from the case file, and back to the team', async () => {
    const id = await businessLicence('Quincaillerie Ali');
    assert.doesNotMatch((await open(officer, `/work/cases/${id}`)).body, /\/assign"/, 'officers do not hand out work');
    const page = await open(head, `/work/cases/${id}`);
    const form = /action="(\/work\/cases\/[^"]+\/tasks\/[0-9a-f-]+\/assign)"[\s\S]*?<\/form>/.exec(page.body);
    assert.ok(form, 'the head sees who may work the task');
    assert.match(form[0], />Idriss Youssouf</);
    const officerId = /<option value="([0-9a-f-]{36})"[^>]*>Idriss Youssouf</.exec(form[0])![1]!;
    const assigned = await submit(head, form[1]!, { userId: officerId });
    assert.equal(assigned.statusCode, 303, assigned.body);
    const mine = await api(officer, 'GET', '/api/workflow/worklist?mine=true');
    assert.ok((mine.items as { caseId: string }[]).some((i) => i.caseId === id));
    assert.equal((await submit(head, form[1]!, { userId: '' })).statusCode, 303);
    assert.ok(!((await api(officer, 'GET', '/api/workflow/worklist?mine=true')).items as { caseId: string }[]).some((i) => i.caseId === id));
    assert.equal((await submit(officer, form[1]!, { userId: officerId })).statusCode, 403);
  });
});

describe('an action that asks for a report', () => {
  let id: string;

  before(async () => {
    id = await streetStall('Place du 27 Juin');
  });

  it('asks each input with the control its type calls for', async () => {
    const file = (await open(officer, `/work/cases/${id}`)).body;
    assert.match(file, /<input id="inspect-visited" name="visited" type="date"/);
    assert.match(file, /<input id="inspect-safe" name="safe" type="radio" value="yes"/);
    assert.match(file, /<input id="inspect-safe-1" name="safe" type="radio" value="no"/);
    assert.match(file, /<input id="inspect-checks" name="checks" type="checkbox" value="permit-shown"/);
    assert.match(file, /<input id="inspect-checks-1" name="checks" type="checkbox" value="exit-clear"/);
    assert.ok(text(file).includes(en('form.optional', { label: 'Notes' })));
  });

  it('refuses a report with answers missing, and a checklist not ticked in full', async () => {
    const empty = await submit(officer, `/work/cases/${id}/actions/inspect`, { expectedState: 'inspection' });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(summaryLinks(empty.body), ['inspect-visited', 'inspect-safe', 'inspect-checks']);
    assert.ok(text(empty.body).includes(`Checked on site: ${en('form.errors.allChecked')}`), 'ticking nothing is not ticking everything');
    const half = await submit(officer, `/work/cases/${id}/actions/inspect`, { ...REPORT, expectedState: 'inspection', checks: 'permit-shown' });
    assert.equal(half.statusCode, 400);
    assert.deepEqual(summaryLinks(half.body), ['inspect-checks']);
    assert.match(half.body, /value="permit-shown" checked/, 'what was ticked stays ticked');
    assert.match(half.body, /id="inspect-visited" name="visited" type="date" value="2026-11-20"/);
  });

  it('records the report, shown in the history under its labels', async () => {
    assertRedirect(await submit(officer, `/work/cases/${id}/actions/inspect`, { ...REPORT, expectedState: 'inspection', notes: 'Busy corner' }), `/work/cases/${id}?done=1`);
    const seen = text((await open(officer, `/work/cases/${id}`)).body);
    for (const shown of ['Record the inspection', 'Date of the visit', 'November 20, 2026', 'Is the place safe?', 'Yes', 'The trader showed an identity document and The way is clear for passers-by', 'Busy corner', 'Fire safety review']) {
      assert.ok(seen.includes(shown), `shows ${shown}`);
    }
  });
});

describe('review opinions', () => {
  let id: string;

  before(async () => {
    id = await streetStall('Rue d’Ethiopie, corner of the market');
    await api(officer, 'POST', `/api/workflow/cases/${id}/actions/inspect`, { inputs: { ...REPORT, safe: true } });
  });

  it('shows the reviewing agency the case and its opinion form; the owning agency sees no form', async () => {
    const file = await open(fireOfficer, `/work/cases/${id}`);
    assert.equal(file.statusCode, 200);
    assert.match(file.body, new RegExp(`action="/work/cases/${id}/reviews/fire"`));
    assert.doesNotMatch((await open(officer, `/work/cases/${id}`)).body, /\/reviews\/fire"/);
  });

  it('needs an opinion, and reasons for an objection', async () => {
    const none = await submit(fireOfficer, `/work/cases/${id}/reviews/fire`, { conditions: '' });
    assert.equal(none.statusCode, 400);
    assert.deepEqual(summaryLinks(none.body), ['fire-opinion']);
    const bare = await submit(fireOfficer, `/work/cases/${id}/reviews/fire`, { opinion: 'object', conditions: ' ' });
    assert.equal(bare.statusCode, 400);
    assert.deepEqual(summaryLinks(bare.body), ['fire-conditions']);
  });

  it('moves the case on when the last reviewer has given an opinion', async () => {
    assertRedirect(await submit(fireOfficer, `/work/cases/${id}/reviews/fire`, { opinion: 'object', conditions: 'Blocks the emergency exit' }), `/work/cases/${id}?done=1`);
    const seen = text((await open(officer, `/work/cases/${id}`)).body);
    assert.ok(seen.includes(en('history.opinion', { review: 'Fire safety' })));
    assert.ok(seen.includes('Blocks the emergency exit'));
    assert.ok(seen.includes(en('work.opinions.object')));
    assert.ok(seen.includes('Refused'));
    const again = await submit(fireOfficer, `/work/cases/${id}/reviews/fire`, { opinion: 'agree' });
    assert.equal(again.statusCode, 409, 'an opinion is given once');
  });
});

// Who may use each page and form is the permission table's (work-pages.scopes.test.ts); these are the callers it has no column for.
describe('who may open the case pages, besides the permission table', () => {
  it('sends an anonymous visitor to sign in', async () => {
    const id = await businessLicence('Quincaillerie Ali');
    for (const url of ['/work', `/work/cases/${id}`]) {
      const response = await open(null, url);
      assert.equal(response.statusCode, 401, url);
      assert.match(response.body, /href="\/sign-in\?next=/, `${url} links to sign-in`);
    }
  });

  it('shows the head of another agency nothing of the case, not even to extend its deadline', async () => {
    const id = await businessLicence('Quincaillerie Omar');
    assert.equal((await submit(urbanHead, `/work/cases/${id}/extend`, { days: '3', reason: 'More time' })).statusCode, 404);
  });
});
