/**
 * The GovStack Consent API as a person and an agency use it: what we answer is checked with ajv
 * against the response schemas of the spec's own OpenAPI document (spec/consent-openapi.yaml).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem } from '../../../../test/support/http.ts';
import { checkConsent } from '../index.ts';
import { findAgencyByCode } from '../../identity/index.ts';
import { GOVSTACK_CONSENT as P } from './routes.ts';

type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
const spec = parse(fs.readFileSync(new URL('./spec/consent-openapi.yaml', import.meta.url), 'utf8')) as Spec;
const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema(spec, 'consent');
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function assertConforms(path: string, method: string, body: unknown): void {
  const content = spec.paths[path]![method]!.responses['200']!.content!;
  const valid = ajv.validate({ $ref: `consent#/${pointer('paths', path, method, 'responses', '200', 'content', Object.keys(content)[0]!, 'schema')}` }, body);
  assert.ok(valid, `${method.toUpperCase()} ${path}: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(body, null, 2).slice(0, 1500)}`);
}

const AGREEMENT = 'identity-for-business-licence';
let app: TestApp;
let amina: Session;
let trade: Session;
let fire: Session;

before(async () => {
  app = await startTestApp();
  [amina, trade, fire] = await signInDemo(app, 'amina', 'officer.trade', 'officer.fire');
});
after(() => app.stop());

async function send(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  return app.app.inject({ method, url: `${P}${url}`, headers: asSession(session), ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function ok(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const response = await send(session, method, url, payload);
  assert.equal(response.statusCode, 200, response.body);
  return response.json<any>();
}

describe('data agreements', () => {
  it('reads one with its revision, and lists them, in the shapes of the spec', async () => {
    const one = await ok(amina, 'GET', `/service/data-agreement/${AGREEMENT}/`);
    assertConforms('/service/data-agreement/{dataAgreementId}/', 'get', one);
    assert.equal(one.dataAgreement.controller.id, 'commerce');
    assert.deepEqual(one.dataAgreement.dataAttributes.map((a: { name: string }) => a.name), ['nationalId', 'firstName', 'lastName', 'birthDate']);
    const list = await ok(amina, 'GET', '/service/verification/data-agreements/');
    assertConforms('/service/verification/data-agreements/', 'get', list);
    assert.ok(list.dataAgreements.some((a: { id: string }) => a.id === AGREEMENT));
  });
});

describe('a person and their consent records', () => {
  let id: string;

  it('gives consent for herself (serviceIndividualConsentRecordCreate)', async () => {
    const created = await ok(amina, 'POST', `/service/individual/record/data-agreement/${AGREEMENT}/?individualId=DJ-1985-000123`);
    assertConforms('/service/individual/record/data-agreement/{dataAgreementId}/', 'post', created);
    assert.equal(created.consentRecord.optIn, true);
    assert.equal(created.consentRecord.individual.id, 'DJ-1985-000123');
    id = created.consentRecord.id;
    assertProblem(await send(amina, 'POST', `/service/individual/record/data-agreement/${AGREEMENT}/?individualId=DJ-1979-004567`), 403);
  });

  it('reads her current record, all her records, and those for one agreement', async () => {
    const current = await ok(amina, 'GET', `/service/individual/record/data-agreement/${AGREEMENT}/`);
    assertConforms('/service/individual/record/data-agreement/{dataAgreementId}/', 'get', current);
    assert.equal(current.consentRecord.id, id);
    const all = await ok(amina, 'GET', '/service/individual/record/consent-record/');
    assertConforms('/service/individual/record/consent-record/', 'get', all);
    assert.ok(all.consentRecords.length >= 2, 'the demo consent and this one');
    const forOne = await ok(amina, 'GET', `/service/individual/record/data-agreement/${AGREEMENT}/all/`);
    assertConforms('/service/individual/record/data-agreement/{dataAgreementId}/all/', 'get', forOne);
    assert.deepEqual(forOne.consentRecords.map((r: { id: string }) => r.id), [id]);
  });

  it('an agency verifies the consents given to it, and only those', async () => {
    const listed = await ok(trade, 'GET', `/service/verification/consent-records/?individualId=DJ-1985-000123`);
    assertConforms('/service/verification/consent-records/', 'get', listed);
    assert.deepEqual(listed.consentRecords.map((r: { id: string }) => r.id), [id]);
    const one = await ok(trade, 'GET', `/service/verification/consent-record/${id}/`);
    assertConforms('/service/verification/consent-record/{consentRecordId}/', 'get', one);
    assert.deepEqual((await ok(fire, 'GET', '/service/verification/consent-records/')).consentRecords, []);
    assertProblem(await send(fire, 'GET', `/service/verification/consent-record/${id}/`), 404);
  });

  it('withdraws it with optIn false (serviceIndividualConsentRecordUpdate), after which checkConsent refuses', async () => {
    const updated = await ok(amina, 'PUT', `/service/individual/record/consent-record/${id}/`, { consentRecord: { optIn: false } });
    assertConforms('/service/individual/record/consent-record/{consentRecordId}/', 'put', updated);
    assert.equal(updated.consentRecord.optIn, false);
    assert.equal(updated.consentRecord.status, 'withdrawn');
    const commerce = (await findAgencyByCode(app.database.db, 'commerce'))!;
    const answer = await checkConsent(app.database.db, { personNationalId: 'DJ-1985-000123', purpose: 'business-licence', registry: 'civil-register', fields: ['lastName'], recipientAgencyId: commerce.id });
    assert.deepEqual(answer, { allowed: false, reason: 'withdrawn' });
    assertProblem(await send(amina, 'PUT', `/service/individual/record/consent-record/${id}/`, { consentRecord: { optIn: true } }), 409);
  });
});
