import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { HEALTH_OFFICER, loadTestDataIntoDemo, readSpecFile, type TestData } from './test-data.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

async function counts() {
  const applications = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registration_applications WHERE status = 'submitted'`.execute(app.database.db);
  const assigned = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM workflow_tasks t JOIN identity_users u ON u.id = t.assignee_id WHERE u.username = ${HEALTH_OFFICER.username}`.execute(app.database.db);
  return { applications: applications.rows[0]!.n, assigned: assigned.rows[0]!.n };
}

describe("GovStack's registration test data in the demo", () => {
  it('loads its services and applications, taken by a health officer, and loading again adds nothing', async () => {
    const data = readSpecFile<TestData>('test-data.json');
    const before = await counts();
    const loaded = await loadTestDataIntoDemo(app.registration, DEMO_PASSWORD);
    assert.deepEqual(loaded, { services: data.services.length, applications: data.applications.length });
    const after = await counts();
    assert.equal(after.applications - before.applications, new Set(data.applications.map((a) => a.fileId)).size);
    assert.equal(after.assigned, after.applications - before.applications);
    const listed = await app.app.inject({ method: 'GET', url: '/govstack/registration/services' });
    for (const service of data.services) assert.ok(listed.body.includes(service.name), `${service.name} is offered`);
    await loadTestDataIntoDemo(app.registration, DEMO_PASSWORD);
    assert.deepEqual(await counts(), after);
  });
});
