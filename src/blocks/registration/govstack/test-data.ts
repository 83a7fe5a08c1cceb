/**
 * GovStack's compliance test data (spec/test-data.json), mapped onto Daftari, mapping what maps:
 * each of its services becomes a published service of the Ministry of Health whose form has a
 * field for every plain value of the spec's example payload (spec/ExamplePayload.json); each of
 * its applications is applied for by a demo citizen on the service it names, and its task is taken
 * by a health officer, so list entries carry an assignee like the test data's. Ids cannot be kept
 * (ours are made by Daftari). `npx daftari govstack load-test-data` loads it into the demo.
 */
import fs from 'node:fs';
import type { Db } from '../../../platform/db/database.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import { SHIPPED_LOCALES } from '../../../platform/i18n/index.ts';
import { createUser, findUserByLogin, principalForUser } from '../../identity/index.ts';
import { claimTask, caseTasks } from '../../workflow/index.ts';
import { publishDefinition } from '../definitions.ts';
import { applyInOneStep } from '../applications/submit-application.ts';
import type { RegistrationDeps } from '../applications/context.ts';

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

const text = (value: string) => Object.fromEntries(SHIPPED_LOCALES.map((locale) => [locale, value]));
export const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

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
export function definitionFor(service: TestData['services'][number]) {
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


export const HEALTH_OFFICER = { username: 'officer.health', displayName: 'Hibo Ahmed' };

/** Publish the test data's services (idempotent). Returns our service id for each of theirs. */
export async function publishTestDataServices(db: Db, jobs: JobQueue, data: TestData): Promise<Map<string, string>> {
  const services = new Map<string, string>();
  for (const service of data.services) {
    const { definition } = await publishDefinition(db, jobs, { data: definitionFor(service) }, null, 'govstack-test-data');
    services.set(service.id, definition.serviceId);
  }
  return services;
}

/**
 * Load the test data into a demo: its services, a health officer, and its applications made by
 * the demo citizen `amina` and taken by that officer. Safe to run twice (idempotency keys).
 */
export async function loadTestDataIntoDemo(deps: RegistrationDeps, password: string): Promise<{ services: number; applications: number }> {
  const { db, jobs } = deps;
  const data = readSpecFile<TestData>('test-data.json');
  await publishTestDataServices(db, jobs, data);
  if (!(await findUserByLogin(db, HEALTH_OFFICER.username))) {
    await createUser(db, { ...HEALTH_OFFICER, password, roles: [{ role: 'officer', agencyCode: 'health' }] });
  }
  const amina = await findUserByLogin(db, 'amina');
  const officer = await findUserByLogin(db, HEALTH_OFFICER.username);
  const applicant = amina && (await principalForUser(db, amina.id, null));
  const worker = officer && (await principalForUser(db, officer.id, null));
  if (!applicant || !worker) throw new Error('The demo accounts are missing: load the demo first (DEMO=true npx daftari seed).');
  for (const item of data.applications) {
    const { application } = await applyInOneStep(deps, { serviceId: slug(item.serviceName), data: examplePayloadData(), principal: applicant, idempotencyKey: item.fileId, locale: 'en', requestId: 'govstack-test-data' });
    const open = (await caseTasks(db, application.id)).find((t) => !t.completed_at && !t.assignee_id);
    if (open) await db.transaction().execute((trx) => claimTask(trx, open.id, worker, 'govstack-test-data'));
  }
  return { services: data.services.length, applications: data.applications.length };
}
