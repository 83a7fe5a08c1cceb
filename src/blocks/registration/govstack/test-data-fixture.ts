/**
 * GovStack's compliance test data loaded into a test database (see test-data.ts), its
 * applications made through our GovStack API itself, so the conformance test checks the shapes
 * that API gives. The returned maps lead from the test data's ids to ours.
 */
import assert from 'node:assert/strict';
import { asSession, DEMO_PASSWORD, signIn, type Session, type TestApp } from '../../../../test/support/app.ts';
import { createUser, findUserByLogin } from '../../identity/index.ts';
import { GOVSTACK_PREFIX } from './routes.ts';
import { examplePayloadData, HEALTH_OFFICER, publishTestDataServices, readSpecFile, slug, type TestData } from './test-data.ts';

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
  const services = await publishTestDataServices(db, app.jobs, data);
  if (!(await findUserByLogin(db, HEALTH_OFFICER.username))) {
    await createUser(db, { ...HEALTH_OFFICER, password: DEMO_PASSWORD, roles: [{ role: 'officer', agencyCode: 'health' }] });
  }
  const [applicant, officer] = [await signIn(app, 'amina', DEMO_PASSWORD), await signIn(app, HEALTH_OFFICER.username, DEMO_PASSWORD)];
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
