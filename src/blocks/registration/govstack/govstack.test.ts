/**
 * The GovStack Registration BB API at /govstack/registration, as a GovStack client uses it:
 * find a service and its form, apply (with documents or without), follow the file, and, as an
 * operator, work the tasks. The mapping onto Daftari is in docs/govstack-compatibility.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import pino from 'pino';
import { startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem } from '../../../../test/support/http.ts';
import { MARKET_STALL, PDF, RegistrationFixtures, type Actor, type Part } from '../../../../test/support/registration-fixtures.ts';
import { publishDefinition } from '../definitions.ts';
import { serviceUuid } from './identifiers.ts';
import { GOVSTACK_PREFIX as P } from './routes.ts';

let app: TestApp;
let f: RegistrationFixtures;
const logLines: string[] = [];
const party: Partial<Record<Actor, string>> = {};
const LICENCE = serviceUuid('business-licence');
const STALL = serviceUuid('market-stall');

before(async () => {
  app = await startTestApp({ log: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) });
  f = await RegistrationFixtures.start(app);
  for (const who of ['amina', 'zara', 'omar.architect'] as const) party[who] = (await f.idsOf(who)).partyId!;
});
after(() => app.stop());

type Json = Record<string, any>;

function call(who: Actor | null, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return f.call(who, method, `${P}${url}`, payload, headers);
}

async function ok(result: Promise<{ status: number; body: Json }>): Promise<any> {
  const { status, body } = await result;
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

const stallAnswers = { stallName: 'Chez Amina', market: 'central', cooking: true, stoves: 2 };
const applyForStall = (who: Actor, body: Json, headers: Record<string, string> = {}) => call(who, 'POST', `/services/${STALL}/applications`, body, headers);

async function upload(who: Actor, metadata: Json | string, parts: Part[] = [{ name: 'file', fileName: 'lease.pdf', content: PDF }]) {
  const query = encodeURIComponent(typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
  return f.upload(who, `${P}/documents?additionalMetadata=${query}`, parts);
}

describe('services and their forms', () => {
  it('lists the published services under UUIDs that are the same on every node, their own ids in serviceBody', async () => {
    const services = await ok(call(null, 'GET', '/services'));
    const licence = services.find((s: Json) => s.id === LICENCE);
    assert.deepEqual({ ...licence, serviceBody: undefined }, {
      id: LICENCE,
      name: 'Business licence',
      version: '1',
      type: 'Public',
      isExecutable: true,
      isClosed: true,
      description: 'Licence to trade from premises, with a fee set by the category of activity.',
      serviceBody: undefined,
    });
    const body = Object.fromEntries(licence.serviceBody.map((e: Json) => [e.code, e.value]));
    assert.equal(body.serviceKey, 'business-licence');
    assert.equal(body.agency, 'commerce');
    assert.equal(body.eFormId, 'business-licence@1');
    assert.equal(body.documents, 'lease,hygiene');
    assert.equal(serviceUuid('business-licence'), LICENCE);
    assert.match(LICENCE, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a version 5 UUID');
  });

  it('finds services by words of their title in any language, and names them in the language asked for', async () => {
    const byFrench = await ok(call(null, 'GET', '/services?name=licence%20commerciale'));
    assert.deepEqual(byFrench.map((s: Json) => s.id), [LICENCE]);
    assert.deepEqual(await ok(call(null, 'GET', '/services?name=no%20such%20service')), []);
    const inArabic = await ok(call(null, 'GET', `/services/${LICENCE}`, undefined, { 'accept-language': 'ar, en;q=0.5' }));
    assert.equal(inArabic.name, 'الرخصة التجارية');
  });

  it('finds a service by its UUID or its own id; anything else is not found', async () => {
    assert.equal((await ok(call(null, 'GET', '/services/business-licence'))).id, LICENCE);
    assertProblem((await call(null, 'GET', `/services/${serviceUuid('no-such-service')}`)).response, 404);
    assertProblem((await call(null, 'GET', '/services/n0t-ex1st1ng-s3rv1ce#')).response, 404);
  });

  it('gives the form as JSON Schema: typed fields, choices with their labels, conditions and documents as annotations', async () => {
    const [listed] = await ok(call(null, 'GET', `/services/${LICENCE}/eForms`));
    assert.deepEqual(listed, { eFormId: 'business-licence@1', name: 'Business licence', description: 'Licence to trade from premises, with a fee set by the category of activity.', version: '1', latest: true });
    const form = await ok(call(null, 'GET', '/eForms/business-licence@1'));
    const schema = form.schema;
    assert.deepEqual(schema.required, ['tradeName', 'category', 'employees', 'address', 'areaM2'], 'seats is required only for restaurants');
    assert.equal(schema.properties.seats['x-daftari-when'], "(category == 'restaurant')");
    assert.deepEqual(schema.properties.category.oneOf[0], { const: 'retail', title: 'Retail shop' });
    assert.deepEqual(schema.properties.employees, { title: 'Number of employees', type: 'integer', minimum: 0, maximum: 100000 });
    assert.deepEqual(schema['x-daftari-documents'].map((d: Json) => [d.id, d.required, d.when ?? null]), [['lease', true, null], ['hygiene', true, "category == 'restaurant'"]]);
    const validate = new Ajv2020({ strict: false }).compile(schema);
    assert.ok(validate({ tradeName: 'Kiosk', category: 'retail', employees: 1, address: 'Place Ménélik', areaM2: 12.5 }), JSON.stringify(validate.errors));
    assert.ok(!validate({ tradeName: 'Kiosk', category: 'casino', employees: -1, address: 'x', areaM2: 1, colour: 'red' }));
  });

  it('lists the form of every published version, marks the one applications use, and still gives a retired one', async () => {
    await publishDefinition(app.database.db, app.jobs, { data: { ...MARKET_STALL, id: 'fish-stall', version: 1 } }, null, 'test');
    await publishDefinition(app.database.db, app.jobs, { data: { ...MARKET_STALL, id: 'fish-stall', version: 2 } }, null, 'test');
    const forms = await ok(call(null, 'GET', '/services/fish-stall/eForms'));
    assert.deepEqual(forms.map((e: Json) => [e.eFormId, e.latest]), [['fish-stall@2', true], ['fish-stall@1', false]]);
    assert.equal((await f.call('admin', 'POST', '/api/registration/definitions/fish-stall/versions/1/retire')).status, 204);
    assert.deepEqual((await ok(call(null, 'GET', '/services/fish-stall/eForms'))).map((e: Json) => e.eFormId), ['fish-stall@2']);
    assert.equal((await ok(call(null, 'GET', '/eForms/fish-stall@1'))).latest, false);
    assertProblem((await call(null, 'GET', '/eForms/fish-stall@3')).response, 404);
  });
});

describe('applying', () => {
  it('creates and submits a file for a service without documents in one call', async () => {
    const file = await ok(applyForStall('amina', { applicantId: party.amina, formData: { data: stallAnswers, eFormId: 'market-stall@1' } }));
    assert.equal(file.serviceId, STALL);
    assert.equal(file.applicantId, party.amina);
    assert.deepEqual(file.status, { code: 'PENDING', title: 'Check' });
    assert.equal(file.ended, false);
    assert.match(file.trackingNumber, /^[A-Z]+-\d{4}-[A-Z0-9]{6}-[A-Z0-9]$/);
    assert.deepEqual(file.applicationData.formData, { eFormId: 'market-stall@1', data: stallAnswers });
    assert.ok(Date.parse(file.registered) > 0);
  });

  it('keeps yes/no answers sent as JSON booleans, and the conditions that depend on them', async () => {
    const file = await ok(applyForStall('amina', { applicantId: party.amina, formData: { data: { stallName: 'Bread', market: 'harbour', cooking: false } } }));
    assert.deepEqual(file.applicationData.formData.data, { stallName: 'Bread', market: 'harbour', cooking: false }, 'no stoves asked of a stall that does not cook');
  });

  it('a retried request returns the first file: by its Idempotency-Key, or else by being the same request', async () => {
    const body = { applicantId: party.amina, created: '2026-11-23T10:00:00.000Z', formData: { data: stallAnswers } };
    const [first, again] = [await ok(applyForStall('amina', body)), await ok(applyForStall('amina', body))];
    assert.equal(again.fileId, first.fileId);
    const later = await ok(applyForStall('amina', { ...body, created: '2026-11-24T10:00:00.000Z' }));
    assert.notEqual(later.fileId, first.fileId, 'a new "created" time is a new application');
    const keyed = await ok(applyForStall('amina', body, { 'idempotency-key': 'stall-2026-0001' }));
    const retried = await ok(applyForStall('amina', { ...body, formData: { data: { ...stallAnswers, stallName: 'Changed' } } }, { 'idempotency-key': 'stall-2026-0001' }));
    assert.equal(retried.fileId, keyed.fileId);
    assert.equal(retried.applicationData.formData.data.stallName, 'Chez Amina');
  });

  it('applies for someone else only under their mandate; applicantId must name a person', async () => {
    const forAmina = await ok(applyForStall('omar.architect', { applicantId: party.amina, formData: { data: stallAnswers } }));
    assert.equal(forAmina.applicantId, party.amina);
    assert.equal((await ok(call('amina', 'GET', `/applications/${forAmina.fileId}`))).fileId, forAmina.fileId, 'Amina sees what Omar filed for her');
    assertProblem((await applyForStall('zara', { applicantId: party.amina, formData: { data: stallAnswers } })).response, 403);
    const { body } = await applyForStall('zara', { applicantId: 'someone-else', formData: { data: stallAnswers } });
    assert.equal(body.errors[0].pointer, '/body/applicantId');
  });

  it('refuses answers to an older form, unknown fields and wrong values, naming them', async () => {
    assertProblem((await applyForStall('amina', { applicantId: party.amina, formData: { data: stallAnswers, eFormId: 'market-stall@0' } })).response, 409);
    const unknown = await applyForStall('amina', { applicantId: party.amina, formData: { data: { ...stallAnswers, colour: 'red' } } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors.map((e: Json) => e.pointer), ['/body/data/colour']);
    const wrong = await applyForStall('amina', { applicantId: party.amina, formData: { data: { ...stallAnswers, market: 'airport' } } });
    assert.deepEqual(wrong.body.errors.map((e: Json) => e.pointer), ['/body/data/market']);
  });

  it('a licence needs its documents: without them the refusal names what is missing', async () => {
    const { status, body } = await call('amina', 'POST', `/services/${LICENCE}/applications`, { applicantId: party.amina, formData: { data: { tradeName: 'Kiosk', category: 'retail', employees: 1, address: 'Place Ménélik', areaM2: 12 } } });
    assert.equal(status, 400);
    assert.deepEqual(body.errors.map((e: Json) => e.pointer), ['/documents/lease']);
  });

  it('uploads the lease into a new draft, then submits that draft with the document url; a retry changes nothing', async () => {
    const uploaded = await upload('amina', { serviceId: LICENCE, documentType: 'lease' });
    assert.equal(uploaded.statusCode, 200, uploaded.body);
    const { url, type, code } = uploaded.json<Json>();
    assert.deepEqual([code, type], [200, 'lease']);
    const answers = { tradeName: 'Kiosk Ménélik', category: 'retail', employees: 1, address: 'Place Ménélik 3', areaM2: 12 };
    const submit = () => ok(call('amina', 'POST', `/services/${LICENCE}/applications`, { applicantId: party.amina, formData: { data: answers }, documentUrls: [url] }));
    const file = await submit();
    assert.deepEqual(file.status, { code: 'PENDING', title: 'Vérification du dossier' }, "in Amina's language, as she asked for none");
    assert.deepEqual(file.applicationData.documentUrls, [url]);
    assert.ok(url.includes(file.fileId), 'the url names the file the document is in');
    const again = await submit();
    assert.deepEqual([again.fileId, again.trackingNumber], [file.fileId, file.trackingNumber]);
    const downloaded = await app.app.inject({ method: 'GET', url: new URL(url).pathname, headers: f.headersOf('amina') });
    assert.equal(downloaded.statusCode, 200);
    assert.deepEqual(downloaded.rawPayload, PDF);
  });

  it('an upload says where it goes: without that, or with a file that is not what the service asks for, nothing is kept', async () => {
    const nowhere = await upload('amina', {});
    assert.equal(assertProblem(nowhere, 400).detail.includes('only inside an application file'), true);
    assertProblem(await upload('amina', 'fileId=123'), 400);
    const draftsBefore = (await ok(call('amina', 'GET', '/applications'))).length;
    const notAPdf = await upload('amina', { serviceId: 'business-licence', documentType: 'lease' }, [{ name: 'file', fileName: 'lease.pdf', content: 'not a pdf' }]);
    assert.match(assertProblem(notAPdf, 400).detail, /accepted: PDF, JPEG, PNG/);
    assert.equal((await ok(call('amina', 'GET', '/applications'))).length, draftsBefore, 'the draft opened for it was discarded');
    assertProblem(await upload('amina', { serviceId: 'business-licence', documentType: 'lease' }, [{ name: 'file', fileName: 'a.pdf', content: PDF }, { name: 'file', fileName: 'b.pdf', content: PDF }]), 400);
  });

  it('the applicant fills in a draft with PUT, keeping what was saved before', async () => {
    const draft = await f.licenceDraft();
    const saved = await ok(call('amina', 'PUT', `/applications/${draft}`, { applicantId: party.amina, formData: { data: { address: 'Rue de Rome 4' } } }));
    assert.deepEqual(saved.applicationData.formData.data, { tradeName: 'Kiosk Ménélik', category: 'retail', employees: 1, address: 'Rue de Rome 4', areaM2: '12' });
    assert.deepEqual(saved.status, { code: 'PENDING', title: 'Draft' });
    assert.equal(saved.registered, undefined);
  });

  it('an operator does not rewrite what the applicant declared, and is told how to record findings instead', async () => {
    const { id } = await f.submittedLicence();
    const refused = await call('officer.trade', 'PUT', `/applications/${id}`, { applicantId: party.amina, formData: { data: { employees: 3 } } });
    assert.match(assertProblem(refused.response, 403).detail, /POST \/tasks\/\{taskId\}\/complete/);
  });
});

describe('following files', () => {
  it('an applicant lists their own files, newest first, by service, page by page', async () => {
    const mine = await ok(call('amina', 'GET', '/applications?maxResult=100'));
    assert.ok(mine.length > 3);
    const created = mine.map((e: Json) => e.created);
    assert.deepEqual(created, [...created].sort().reverse());
    const stalls = await ok(call('amina', 'GET', `/applications?serviceId=${STALL}&maxResult=100`));
    assert.ok(stalls.length > 0 && stalls.every((e: Json) => e.serviceId === STALL));
    const second = await ok(call('amina', 'GET', `/applications?serviceId=market-stall&firstResult=1&maxResult=1`));
    assert.deepEqual(second.map((e: Json) => e.fileId), [stalls[1].fileId]);
    assert.ok(mine.every((e: Json) => e.operatorName === undefined), 'officers are not named to applicants');
    assert.deepEqual(await ok(call('zara', 'GET', `/applications?applicantId=${party.amina}`)), [], "another citizen sees none of Amina's");
  });

  it("an operator's list is their worklist: each file with its task and who has taken it", async () => {
    const { id } = await f.submittedLicence();
    await f.call('officer.trade', 'POST', `/api/workflow/tasks/${await f.openTask(id)}/claim`);
    const list = await ok(call('officer.trade', 'GET', `/applications?serviceId=business-licence&applicantId=${party.amina}&maxResult=100`));
    const entry = list.find((e: Json) => e.fileId === id);
    assert.equal(entry.mainTaskId, id);
    assert.equal(entry.taskTitle, 'Completeness check');
    assert.equal(entry.roleId, 'officer');
    assert.match(entry.roleName, /^officer, /);
    assert.equal(entry.operatorName, 'Idriss Youssouf');
    assert.equal(entry.additionalMeta.data.case.state, 'completeness');
    assert.ok(!(await ok(call('officer.fire', 'GET', '/applications?maxResult=100'))).some((e: Json) => e.fileId === id));
  });

  it('refuses the spec sorting it cannot honour, rather than ignoring it', async () => {
    assertProblem((await call('amina', 'GET', '/applications?sortBy=created&sortOrder=asc')).response, 400);
  });

  it('a file id that is not one, or not yours, is not found', async () => {
    assertProblem((await call('amina', 'GET', '/applications/n0t-ex1st1ng-file%23-1d')).response, 404);
    const { id } = await f.submittedLicence();
    assertProblem((await call('zara', 'GET', `/applications/${id}`)).response, 404);
  });
});

describe('tasks', () => {
  it('shows a task with what completing it may send, and the answers it is about', async () => {
    const { id } = await f.submittedLicence();
    const task = await ok(call('officer.trade', 'GET', `/tasks/${await f.openTask(id)}`));
    assert.equal(task.fileId, id);
    assert.equal(task.taskName, 'Completeness check');
    assert.deepEqual(Object.keys(task.formVariables), ['accept', 'request-information']);
    assert.deepEqual(task.formVariables['request-information'].inputs, [{ id: 'message', type: 'textarea', label: 'What is missing', required: true }]);
    assert.equal(task.data.tradeName, 'Kiosk Ménélik');
    assert.deepEqual((await ok(call('officer.trade', 'GET', `/tasks?fileId=${id}`))).map((t: Json) => t.taskId), [task.taskId]);
  });

  it('completing takes the action named in data, with its inputs; a done task cannot be completed again', async () => {
    const { id } = await f.submittedLicence();
    const taskId = await f.openTask(id);
    const done = await ok(call('officer.trade', 'POST', `/tasks/${taskId}/complete`, { data: { 'request-information': { message: 'Please send the signed lease' } } }));
    assert.deepEqual(done, { taskId, fileId: id, serviceId: LICENCE, status: { code: 'SENDBACK', title: 'Waiting for the applicant' }, variables: { 'request-information': { data: { message: 'Please send the signed lease' } } } });
    assertProblem((await call('officer.trade', 'POST', `/tasks/${taskId}/complete`, { data: { accept: {} } })).response, 409);
    assertProblem((await call('officer.trade', 'POST', `/tasks/${taskId}/complete`, { data: {} })).response, 409);
  });

  it('completing without a choice takes the one action that moves the file on, and asks when there is more than one', async () => {
    const stall = await f.submittedStall();
    const check = await ok(call('officer.trade', 'POST', `/tasks/${await f.openTask(stall)}/complete`, {}));
    assert.deepEqual(check.variables, { accept: { data: {} } }, 'accept, not reject, which would close the file');
    assert.equal(check.status.title, 'Fire safety review');
    const { id } = await f.submittedLicence();
    const ambiguous = await call('officer.trade', 'POST', `/tasks/${await f.openTask(id)}/complete`, { data: {} });
    assert.match(assertProblem(ambiguous.response, 409).detail, /accept, request-information/);
  });

  it('keeps a yes/no input sent as a JSON boolean', async () => {
    const stall = await f.submittedStall();
    const done = await ok(call('officer.trade', 'POST', `/tasks/${await f.openTask(stall)}/complete`, { data: { accept: { visited: true } } }));
    assert.equal(done.status.title, 'Fire safety review');
    const history = (await f.call('officer.trade', 'GET', `/api/registration/applications/${stall}`)).body.history as Json[];
    assert.deepEqual(history.find((h) => h.action === 'accept')?.inputs, { visited: true });
  });

  it('a review task takes an opinion; an objection with its conditions sends the file back to the applicant', async () => {
    const stall = await f.stallInFireReview();
    const taskId = await f.openTask(stall, 'fire-safety');
    assert.deepEqual(Object.keys((await ok(call('officer.fire', 'GET', `/tasks/${taskId}`))).formVariables), ['agree', 'object']);
    assertProblem((await call('officer.fire', 'POST', `/tasks/${taskId}/complete`, { data: { accept: {} } })).response, 400);
    assertProblem((await call('officer.fire', 'POST', `/tasks/${taskId}/complete`, { data: { object: {} } })).response, 400);
    const objected = await ok(call('officer.fire', 'POST', `/tasks/${taskId}/complete`, { data: { object: { conditions: 'No gas bottles under the counter' } } }));
    assert.deepEqual(objected.status, { code: 'SENDBACK', title: 'Sent back for correction' });
    assert.deepEqual((await ok(call('amina', 'GET', `/applications/${stall}`))).status.code, 'SENDBACK');
  });

  it('a task id that is not one is not found', async () => {
    assertProblem((await call('officer.trade', 'GET', '/tasks/n0t-ex1st1ng-task%23-1d')).response, 404);
    assertProblem((await call('officer.trade', 'POST', '/tasks/d1e33d56-c5c7-4272-aeb6-bc2732cce1f2/complete', { data: {} })).response, 404);
  });
});

describe('statistics', () => {
  const today = new Date().toISOString().slice(0, 10);
  const counts = async (query = '') => {
    const [item] = await ok(call(null, 'GET', `/data/statistics?registrationName=market-stall${query}`));
    return { processed: item.processed, approved: item.approved, sentBack: item.sentBack, rejected: item.rejected };
  };

  it('counts the files staff approved, sent back and rejected', async () => {
    const before = await counts();
    const granted = await f.stallInFireReview();
    await ok(call('officer.fire', 'POST', `/tasks/${await f.openTask(granted, 'fire-safety')}/complete`, { data: { agree: {} } }));
    await ok(call('head.trade', 'POST', `/tasks/${await f.openTask(granted)}/complete`, { data: { approve: {} } }));
    const sentBack = await f.stallInFireReview();
    await ok(call('officer.fire', 'POST', `/tasks/${await f.openTask(sentBack, 'fire-safety')}/complete`, { data: { object: { conditions: 'A fire blanket is needed' } } }));
    const rejected = await f.submittedStall();
    await ok(call('officer.trade', 'POST', `/tasks/${await f.openTask(rejected)}/complete`, { data: { reject: { reason: 'The market is full' } } }));
    const after = await counts();
    assert.deepEqual(
      { processed: after.processed - before.processed, approved: after.approved - before.approved, sentBack: after.sentBack - before.sentBack, rejected: after.rejected - before.rejected },
      { processed: 3, approved: 1, sentBack: 1, rejected: 1 },
    );
    const byHead = await ok(call('head.trade', 'GET', `/data/statistics?registrationName=Market%20stall%20permit&operator=${encodeURIComponent('Kadra Mahamoud')}&role=agency-head`));
    assert.ok(byHead[0].approved >= 1 && byHead[0].rejected === 0, 'the head approved; the officer rejected');
    const [byOfficers] = await ok(call(null, 'GET', `/data/statistics?registrationName=market-stall&role=officer`));
    assert.equal(byOfficers.approved, 0);
    assert.equal(byOfficers.sentBack, 0, "a review's outcome is the workflow's move, not an operator's");
  });

  it('gives one entry per period of the window, empty ones included, each cut to the window', async () => {
    const days = await ok(call(null, 'GET', '/data/statistics?startDate=2026-01-01&endDate=2026-01-07&timeframe=day'));
    assert.deepEqual(days.map((d: Json) => [d.references.startDate, d.references.endDate, d.processed]), [1, 2, 3, 4, 5, 6, 7].map((n) => [`2026-01-0${n}`, `2026-01-0${n}`, 0]));
    const weeks = await ok(call(null, 'GET', '/data/statistics?startDate=2026-01-01&endDate=2026-01-07&timeframe=week'));
    assert.deepEqual(weeks.map((w: Json) => [w.references.startDate, w.references.endDate, w.references.timeframeWeek]), [['2026-01-01', '2026-01-04', true], ['2026-01-05', '2026-01-07', true]]);
    const whole = await ok(call(null, 'GET', `/data/statistics?endDate=${today}`));
    assert.equal(whole.length, 1);
    assert.equal(whole[0].references.endDate, today);
  });

  it('refuses a window that ends before it starts, too many periods, and a service that does not exist', async () => {
    assertProblem((await call(null, 'GET', '/data/statistics?startDate=2026-02-01&endDate=2026-01-01')).response, 400);
    assertProblem((await call(null, 'GET', '/data/statistics?startDate=2000-01-01&endDate=2026-01-01&timeframe=day')).response, 400);
    assertProblem((await call(null, 'GET', '/data/statistics?registrationName=n0tex1st')).response, 404);
  });
});

describe('the Information-Mediator-Client header', () => {
  it('is recorded with the request when given, and not required', async () => {
    const client = 'eGovStack/GOV/90000009/eregistrations-dev';
    const { response } = await call(null, 'GET', '/services', undefined, { 'information-mediator-client': client });
    assert.equal(response.statusCode, 200);
    const requestId = response.headers['x-request-id'];
    const line = logLines.map((l) => JSON.parse(l) as Json).find((l) => l.reqId === requestId && l.msg === 'GovStack exchange');
    assert.equal(line?.informationMediatorClient, client);
    assert.equal(line?.operation, `GET ${P}/services`);
    assert.equal((await call(null, 'GET', '/services')).status, 200);
  });

  it('is refused when it is not INSTANCE/CLASS/MEMBER/SUBSYSTEM', async () => {
    for (const value of ['invalid_header', 'eGovStack/GOV/90000009/', '']) {
      const { response } = await call(null, 'GET', '/data/statistics', undefined, { 'information-mediator-client': value });
      assertProblem(response, 400);
    }
  });
});
