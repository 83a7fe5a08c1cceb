/**
 * GovStack's compliance test data (spec/test-data.json) loaded into a test database, mapping
 * what maps: each of its services becomes a published service of the Ministry of Health whose
 * form has a field for every plain value of the spec's example payload (spec/ExamplePayload.json);
 * each of its applications is applied for through our GovStack API on the service it names, and
 * its task is taken by a health officer, so list entries carry an assignee like the test data's.
 * Ids cannot be kept (ours are made by Daftari); the returned maps lead from theirs to ours.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { asSession, DEMO_PASSWORD, signIn, type Session, type TestApp } from '../../../../test/support/app.ts';
import { createUser, findUserByLogin } from '../../identity/index.ts';
import { publishDefinition } from '../definitions.ts';
import { GOVSTACK_PREFIX } from './routes.ts';

const SPEC_DIR = new URL('./spec/', import.meta.url);

export function readSpecFile<T = any>(name: string): T {
  // ExamplePayload.json starts with a comment line, as published.
  const source = fs.readFileSync(new URL(name, SPEC_DIR), 'utf8').replace(/^#.*\n/, '');
  return JSON.parse(source) as T;
}

export interface TestData {
  informationMediatorClientHeader: { key: string; value: string };
  applications: Record<string, any>[];
  tasks: Record<string, any>[];
  services: (Record<string, any> & { id: string; name: string; version: string; description: string })[];
}

const text = (value: string) => ({ en: value, fr: value, ar: value });
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** The example payload's plain values under names our forms allow: what a form of ours can hold. */
export function examplePayloadData(): Record<string, string | number | boolean> {
  const payload = readSpecFile<Record<string, unknown>>('ExamplePayload.json');
  return Object.fromEntries(
    Object.entries(payload).filter((entry): entry is [string, string | number | boolean] => /^[a-zA-Z][a-zA-Z0-9]{0,62}$/.test(entry[0]) && ['string', 'number', 'boolean'].includes(typeof entry[1])),
  );
}

function fieldFor(id: string, value: string | number | boolean) {
  const type = typeof value === 'boolean' ? 'yes-no' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'decimal') : /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : 'text';
  return { id, type, label: text(id) };
}

/** A registration service as the test data describes one, with a registrar's review. */
function definitionFor(service: TestData['services'][number]) {
  const fields = Object.entries(examplePayloadData()).map(([id, value]) => fieldFor(id, value));
  const steps = [];
  for (let i = 0; i < fields.length; i += 60) steps.push({ id: `part-${steps.length + 1}`, title: text(`Part ${steps.length + 1}`), fields: fields.slice(i, i + 60) });
  return {
    id: slug(service.name),
    // Our versions are whole numbers: "3.1" is kept as 3.
    version: Math.max(1, Math.trunc(Number(service.version))),
    agency: 'health',
    title: text(service.name),
    description: text(service.description),
    applicants: ['person'],
    form: { steps },
    workflow: {
      initial: 'registrar-review',
      states: [
        {
          id: 'registrar-review',
          label: text('Registrar review'),
          assignee: { role: 'officer' },
          slaDays: 5,
          actions: [
            { id: 'approve', label: text('Approve'), to: 'approved' },
            { id: 'send-back', label: text('Send back'), to: 'corrections', inputs: [{ id: 'message', type: 'textarea', label: text('What to correct') }] },
            { id: 'reject', label: text('Reject'), to: 'rejected' },
          ],
        },
        { id: 'corrections', label: text('Corrections'), pausesClock: true, applicantActions: [{ id: 'resubmit', label: text('Resubmit'), to: 'registrar-review' }] },
        { id: 'approved', label: text('Approved'), outcome: 'granted' },
        { id: 'rejected', label: text('Rejected'), outcome: 'refused' },
      ],
    },
  };
}

export interface LoadedTestData {
  data: TestData;
  /** Our service id for each test-data service id. */
  services: Map<string, string>;
  /** Our file id for each test-data file id. */
  files: Map<string, string>;
  applicant: Session;
  officer: Session;
}

export async function loadGovStackTestData(app: TestApp): Promise<LoadedTestData> {
  const data = readSpecFile<TestData>('test-data.json');
  const db = app.database.db;
  const services = new Map<string, string>();
  for (const service of data.services) {
    const { definition } = await publishDefinition(db, app.jobs, { data: definitionFor(service) }, null, 'govstack-test-data');
    services.set(service.id, definition.serviceId);
  }
  if (!(await findUserByLogin(db, 'officer.health'))) {
    await createUser(db, { username: 'officer.health', displayName: 'Hibo Ahmed', password: DEMO_PASSWORD, roles: [{ role: 'officer', agencyCode: 'health' }] });
  }
  const [applicant, officer] = [await signIn(app, 'amina', DEMO_PASSWORD), await signIn(app, 'officer.health', DEMO_PASSWORD)];
  const header = { [data.informationMediatorClientHeader.key]: data.informationMediatorClientHeader.value };
  const aminaParty = (await findUserByLogin(db, 'amina'))!.party_id!;
  const files = new Map<string, string>();
  for (const item of data.applications) {
    const serviceId = slug(item.serviceName);
    const submitted = await app.app.inject({
      method: 'POST',
      url: `${GOVSTACK_PREFIX}/services/${serviceId}/applications`,
      headers: { ...asSession(applicant), ...header, 'idempotency-key': item.fileId },
      payload: { applicationName: item.taskTitle, applicantId: aminaParty, created: item.created, formData: { data: examplePayloadData() } },
    });
    assert.equal(submitted.statusCode, 200, submitted.body);
    const fileId = submitted.json<{ fileId: string }>().fileId;
    files.set(item.fileId, fileId);
    const tasks = await app.app.inject({ method: 'GET', url: `${GOVSTACK_PREFIX}/tasks?fileId=${fileId}`, headers: { ...asSession(officer), ...header } });
    const [task] = tasks.json<{ taskId: string }[]>();
    assert.ok(task, tasks.body);
    const claimed = await app.app.inject({ method: 'POST', url: `/api/workflow/tasks/${task.taskId}/claim`, headers: asSession(officer) });
    assert.equal(claimed.statusCode, 204, claimed.body);
  }
  return { data, services, files, applicant, officer };
}
