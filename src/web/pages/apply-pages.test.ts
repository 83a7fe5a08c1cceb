import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatMoney, translator } from '../../platform/i18n/index.ts';
import { registerCitizen, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { postForm, postMultipart, type FormPart } from '../../../test/support/http.ts';
import { payFeesAtCounter, PDF } from '../../../test/support/registration-fixtures.ts';

/** Amina reads the portal in French, the language of her account. */
const fr = translator('fr');
const en = translator('en');

let app: TestApp;
let amina: Session;
let omar: Session;
let hawa: Session;
let officer: Session;
let head: Session;

before(async () => {
  app = await startTestApp();
  [amina, omar, officer, head] = await signInDemo(app, 'amina', 'omar.architect', 'officer.trade', 'head.trade');
  hawa = await registerCitizen(app, 'hawa', 'Hawa Daher');
});
after(() => app?.stop());

function open(session: Session | null, url: string) {
  return app.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(session ? { cookie: session.cookie() } : {}) } });
}

function submit(session: Session, url: string, fields: Record<string, string> = {}) {
  return postForm(app, session.jar, url, { _csrf: session.csrf, ...fields });
}

function upload(session: Session, url: string, parts: FormPart[]) {
  return postMultipart(app, session.jar, url, [{ name: '_csrf', value: session.csrf }, ...parts]);
}

/** The text a reader sees: tags dropped, entities decoded, spaces collapsed (not the no-break ones numbers are grouped with). */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t\r\n]+/g, ' ');
}

function assertRedirect(response: { statusCode: number; headers: Record<string, unknown>; body: string }, to: RegExp | string): string {
  assert.equal(response.statusCode, 303, response.body.slice(0, 500));
  const location = String(response.headers.location);
  if (typeof to === 'string') assert.equal(location, to);
  else assert.match(location, to);
  return location;
}

/** The ids the error summary links to, in order. */
function summaryLinks(html: string): string[] {
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
}

describe('applying for a business licence through the web pages', () => {
  let id: string;
  let trackingNumber: string;

  it('offers to apply online from the public service page', async () => {
    const service = await open(null, '/services/business-licence?lang=en');
    assert.equal(service.statusCode, 200);
    assert.match(service.body, /<a class="button" href="\/apply\/business-licence">/);
    const start = await open(amina, '/apply/business-licence');
    assert.equal(start.statusCode, 200);
    assert.match(text(start.body), new RegExp(fr('apply.start.title', { service: 'Licence commerciale' })));
    assert.doesNotMatch(start.body, /name="onBehalfOf"/, 'Amina acts for nobody else, so she is not asked for whom');
  });

  it('asks someone who holds a mandate whom the application is for', async () => {
    const start = await open(omar, '/apply/business-licence');
    assert.match(start.body, /name="onBehalfOf"/);
    assert.match(text(start.body), /Amina Said/);
  });

  it('starts a draft and opens its first step', async () => {
    const location = assertRedirect(await submit(amina, '/apply/business-licence'), /^\/applications\/[0-9a-f-]{36}\/steps\/business$/);
    id = location.split('/')[2]!;
    const step = await open(amina, location);
    assert.equal(step.statusCode, 200);
    assert.match(text(step.body), /Votre entreprise/);
    assert.match(text(step.body), new RegExp(fr('apply.stepOf', { current: 1, total: 2 })));
    assert.doesNotMatch(step.body, /name="seats"/, 'seats are asked only of restaurants');
  });

  it('refuses wrong answers with an error summary in French linking to each field, keeping what was typed', async () => {
    const refused = await submit(amina, `/applications/${id}/steps/business`, { _shown: 'tradeName category employees', tradeName: '', category: 'retail', employees: '-3' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(summaryLinks(refused.body), ['tradeName', 'employees']);
    assert.ok(text(refused.body).includes(`Nom commercial: ${fr('form.errors.required')}`));
    assert.match(text(refused.body), new RegExp(fr('form.errors.min', { min: 0 })));
    assert.match(refused.body, /<option value="retail" selected/);
    assert.match(refused.body, /id="employees"[^>]*value="-3"/);
  });

  it('asks a question that depends on an answer once that answer is sent, without calling it an error', async () => {
    const more = await submit(amina, `/applications/${id}/steps/business`, { _shown: 'tradeName category employees', tradeName: 'Café du Port', category: 'restaurant', employees: '4' });
    assert.equal(more.statusCode, 200);
    assert.match(text(more.body), new RegExp(fr('apply.moreQuestions')));
    assert.match(more.body, /name="seats"/);
    assert.deepEqual(summaryLinks(more.body), []);
    const saved = await submit(amina, `/applications/${id}/steps/business`, { _shown: 'tradeName category employees seats', tradeName: 'Café du Port', category: 'restaurant', employees: '4', seats: '20' });
    assertRedirect(saved, `/applications/${id}/steps/premises`);
  });

  it('goes on to the documents after the last step', async () => {
    const saved = await submit(amina, `/applications/${id}/steps/premises`, { _shown: 'address areaM2', address: 'Rue de Rome 12, Djibouti', areaM2: '250,5' });
    assertRedirect(saved, `/applications/${id}/documents`);
    const documents = await open(amina, `/applications/${id}/documents`);
    assert.equal(documents.statusCode, 200);
    assert.match(documents.body, /<input id="lease" name="lease" type="file"/);
    assert.match(documents.body, /<input id="hygiene" name="hygiene" type="file"/, 'a restaurant needs a hygiene certificate');
    assert.match(text(documents.body), /PDF, JPEG ou PNG, jusqu’à 5 Mo/);
  });

  it('refuses a file that is not what it claims to be, with a message for that file, and keeps the good one', async () => {
    const response = await upload(amina, `/applications/${id}/documents`, [
      { name: 'lease', file: { name: 'bail.pdf', content: PDF, type: 'application/pdf' } },
      { name: 'hygiene', file: { name: 'hygiene.pdf', content: 'not a pdf at all', type: 'application/pdf' } },
    ]);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(summaryLinks(response.body), ['hygiene']);
    assert.match(text(response.body), new RegExp(fr('form.errors.fileType', { types: 'PDF, JPEG ou PNG' })));
    assert.match(text(response.body), /bail\.pdf/, 'the lease was kept');
  });

  it('will not go on while a required document is missing', async () => {
    const response = await upload(amina, `/applications/${id}/documents`, [{ name: 'hygiene', file: { name: '', content: '' } }]);
    assert.equal(response.statusCode, 400);
    assert.match(text(response.body), new RegExp(`${fr('form.errors.documentMissing')}`));
    const done = await upload(amina, `/applications/${id}/documents`, [{ name: 'hygiene', file: { name: 'hygiene.pdf', content: PDF } }]);
    assertRedirect(done, `/applications/${id}/check`);
  });

  it('shows every answer with a link to change it, the documents and the fee in francs', async () => {
    const check = await open(amina, `/applications/${id}/check`);
    assert.equal(check.statusCode, 200);
    const seen = text(check.body);
    for (const answer of ['Café du Port', 'Restaurant ou café', '20', 'Rue de Rome 12, Djibouti', '250,5', 'bail.pdf', 'hygiene.pdf']) assert.ok(seen.includes(answer), `shows ${answer}`);
    assert.ok(seen.includes(formatMoney('fr', '30000', 'DJF', 0)), `restaurant 25,000 + 5,000 for more than 200 m²: ${seen}`);
    assert.match(check.body, new RegExp(`href="/applications/${id}/steps/business\\?next=check#tradeName"`));
  });

  it('returns to the check after a change made from it', async () => {
    const step = await open(amina, `/applications/${id}/steps/business?next=check`);
    assert.match(step.body, /name="next" value="check"/);
    const saved = await submit(amina, `/applications/${id}/steps/business`, { next: 'check', _shown: 'tradeName category employees seats', tradeName: 'Café du Port', category: 'restaurant', employees: '5', seats: '20' });
    assertRedirect(saved, `/applications/${id}/check`);
  });

  it('submits once however often the button is pressed, and gives the tracking number', async () => {
    const [first, second] = [await submit(amina, `/applications/${id}/submit`), await submit(amina, `/applications/${id}/submit`)];
    assertRedirect(first, `/applications/${id}/confirmation`);
    assertRedirect(second, `/applications/${id}/confirmation`);
    const confirmation = await open(amina, `/applications/${id}/confirmation`);
    trackingNumber = /class="tracking">([A-Z0-9-]+)</.exec(confirmation.body)?.[1] ?? '';
    assert.match(trackingNumber, /^BL-\d{4}-[A-Z0-9]{6}-[A-Z0-9]$/);
    const mine = await app.app.inject({ method: 'GET', url: '/api/registration/applications', headers: { cookie: amina.cookie() } });
    assert.equal((mine.json() as { trackingNumber: string | null }[]).filter((a) => a.trackingNumber === trackingNumber).length, 1);
  });

  it('lists it under my applications with its number and where it stands', async () => {
    const list = await open(amina, '/applications');
    assert.equal(list.statusCode, 200);
    const seen = text(list.body);
    assert.ok(seen.includes(trackingNumber));
    assert.ok(seen.includes('Vérification du dossier'));
  });

  it('shows its status and the legal deadline', async () => {
    const status = await open(amina, `/applications/${id}`);
    assert.equal(status.statusCode, 200);
    const seen = text(status.body);
    assert.ok(seen.includes('Vérification du dossier'));
    assert.ok(seen.includes(fr('deadlines.statutory')));
    assert.ok(seen.includes(fr('history.kinds.start')));
    assert.doesNotMatch(status.body, /expectedState/, 'nothing is asked of her yet');
  });

  it('asks for what the officer requested, refuses an empty answer, and takes an answer with a document', async () => {
    const worklist = await open(officer, '/work');
    assert.match(worklist.body, new RegExp(`href="/work/cases/${id}"`), 'the trade officer finds it on the worklist');
    assert.ok(text(worklist.body).includes(trackingNumber));
    assertRedirect(await submit(officer, `/work/cases/${id}/actions/request-information`, { expectedState: 'completeness', message: 'Please send the signed lease' }), `/work/cases/${id}?done=1`);

    const asked = await open(amina, `/applications/${id}`);
    const seen = text(asked.body);
    assert.ok(seen.includes('Please send the signed lease'), 'the request is shown');
    assert.ok(seen.includes(fr('deadlines.paused', { since: '' }).split('(')[0]!.trim()), 'the legal clock is paused');
    assert.match(asked.body, new RegExp(`action="/applications/${id}/answers/answer"`));

    const empty = await upload(amina, `/applications/${id}/answers/answer`, [{ name: 'expectedState', value: 'more-information' }, { name: 'answer', value: '' }]);
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(summaryLinks(empty.body), ['answer-answer']);

    const answered = await upload(amina, `/applications/${id}/answers/answer`, [
      { name: 'expectedState', value: 'more-information' },
      { name: 'answer', value: 'Voici le bail signé' },
      { name: 'lease', file: { name: 'bail-signe.pdf', content: PDF } },
      { name: 'hygiene', file: { name: '', content: '' } },
    ]);
    assertRedirect(answered, `/applications/${id}?done=answered`);
    const back = await open(amina, `/applications/${id}?done=answered`);
    assert.ok(text(back.body).includes(fr('applications.done.answered')));
    assert.ok(text(back.body).includes('bail-signe.pdf'));
    assert.ok(text(back.body).includes('Vérification du dossier'));
  });

  it('tells an applicant answering from a stale page that the application moved on', async () => {
    const stale = await upload(amina, `/applications/${id}/answers/answer`, [{ name: 'expectedState', value: 'more-information' }, { name: 'answer', value: 'Again' }]);
    assert.equal(stale.statusCode, 409);
    assert.ok(text(stale.body).includes(fr('applications.movedOn')));
  });

  it('shows the decision and the issued licence, ready to print', async () => {
    assertRedirect(await submit(officer, `/work/cases/${id}/actions/accept`, { expectedState: 'completeness' }), `/work/cases/${id}?done=1`);
    await payFeesAtCounter(app, id);
    assertRedirect(await submit(head, `/work/cases/${id}/actions/approve`, { expectedState: 'decision' }), `/work/cases/${id}?done=1`);
    const granted = await open(amina, `/applications/${id}`);
    const seen = text(granted.body);
    assert.ok(seen.includes('Licence accordée'));
    assert.match(granted.body, new RegExp(`href="/applications/${id}/outputs/licence"`));
    const licence = await open(amina, `/applications/${id}/outputs/licence`);
    assert.equal(licence.statusCode, 200);
    const printed = text(licence.body);
    assert.ok(printed.includes('Licence commerciale'));
    assert.ok(printed.includes('Café du Port est autorisé à exercer'));
    assert.ok(printed.includes(trackingNumber));
    assert.ok(printed.includes(fr('output.validUntil')));
    const english = await open(amina, `/applications/${id}/outputs/licence?lang=en`);
    assert.ok(text(english.body).includes('Café du Port may trade'), 'in the reader’s language');
  });
});

describe('withdrawing an application', () => {
  it('needs a reason, then closes the application', async () => {
    const draft = assertRedirect(await submit(omar, '/apply/business-licence', { onBehalfOf: '' }), /\/steps\/business$/);
    const id = draft.split('/')[2]!;
    assertRedirect(await submit(omar, `/applications/${id}/steps/business`, { _shown: 'tradeName category employees', tradeName: 'Kiosque', category: 'retail', employees: '1' }), /\/steps\/premises$/);
    assertRedirect(await submit(omar, `/applications/${id}/steps/premises`, { _shown: 'address areaM2', address: 'Place Ménélik', areaM2: '12' }), /\/documents$/);
    assertRedirect(await upload(omar, `/applications/${id}/documents`, [{ name: 'lease', file: { name: 'lease.pdf', content: PDF } }]), /\/check$/);
    assertRedirect(await submit(omar, `/applications/${id}/submit`), /\/confirmation$/);

    const noReason = await submit(omar, `/applications/${id}/withdraw`, { reason: ' ' });
    assert.equal(noReason.statusCode, 400);
    assert.deepEqual(summaryLinks(noReason.body), ['withdraw-reason']);
    const withdrawn = assertRedirect(await submit(omar, `/applications/${id}/withdraw`, { reason: 'Opening elsewhere' }), `/applications/${id}?done=withdrawn`);
    const closed = await open(omar, withdrawn);
    const ar = translator('ar');
    assert.ok(text(closed.body).includes(ar('applications.done.withdrawn')), 'Omar reads Arabic');
    assert.ok(text(closed.body).includes('مسحوبة'));
    assert.doesNotMatch(closed.body, /action="[^"]*\/withdraw"/, 'it cannot be withdrawn twice');
  });
});

describe('acting for someone else', () => {
  it('an architect applies in the name of the owner who gave him a mandate, and she sees it too', async () => {
    const start = await open(omar, '/apply/business-licence');
    const aminaParty = /name="onBehalfOf" type="radio" value="([0-9a-f-]{36})"/.exec(start.body)?.[1];
    assert.ok(aminaParty, 'Amina is offered');
    const draft = assertRedirect(await submit(omar, '/apply/business-licence', { onBehalfOf: aminaParty }), /\/steps\/business$/);
    const id = draft.split('/')[2]!;
    assert.equal((await open(amina, `/applications/${id}`)).statusCode, 303, 'her draft, continued from where it stands');
    const refused = await submit(hawa, '/apply/business-licence', { onBehalfOf: aminaParty });
    assert.equal(refused.statusCode, 403);
    assert.ok(text(refused.body).includes(en('apply.start.noMandate')));
  });
});

// Who may use each page, and who is told an application does not exist, is the permission table's (apply-pages.scopes.test.ts).
describe('a visitor who is not signed in', () => {
  it('is refused each applicant page with one that links to the sign-in', async () => {
    const id = assertRedirect(await submit(amina, '/apply/business-licence'), /\/steps\/business$/).split('/')[2]!;
    const pages = ['/apply/business-licence', '/applications', `/applications/${id}`, `/applications/${id}/steps/business`, `/applications/${id}/documents`, `/applications/${id}/check`, `/applications/${id}/confirmation`, `/applications/${id}/outputs/licence`];
    for (const url of pages) {
      const response = await open(null, url);
      assert.equal(response.statusCode, 401, url);
      assert.match(response.body, /href="\/sign-in\?next=/, `${url} links to sign-in`);
    }
  });
});
