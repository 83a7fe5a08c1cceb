import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { startSmtpInbox, type SmtpInbox } from '../../../../test/support/smtp-inbox.ts';
import { DEADLINE_TASK, loadCase } from '../../workflow/index.ts';

let app: TestApp;
let inbox: SmtpInbox;

before(async () => {
  inbox = await startSmtpInbox();
  app = await startTestApp({ env: { SMTP_URL: inbox.url, BASE_URL: 'http://daftari.test' } });
});
after(async () => {
  await inbox?.close();
  await app?.stop();
});

describe('a step that runs past its deadline', () => {
  it('is escalated by e-mail to the heads of the agency working it, and to no one else', async () => {
    const amina = await signIn(app, 'amina', DEMO_PASSWORD);
    const applied = await app.app.inject({
      method: 'POST',
      url: '/api/registration/applications',
      headers: asSession(amina),
      payload: { serviceId: 'public-complaint', data: { agency: 'commerce', subject: 'Licence office closed', details: 'Closed three days in a row.' }, idempotencyKey: `complaint-${randomUUID()}` },
    });
    assert.equal(applied.statusCode, 201, applied.body);
    const { id, trackingNumber } = applied.json<{ id: string; trackingNumber: string }>();
    await app.jobs.drain();
    const before = inbox.mail.length;

    await sql`UPDATE workflow_cases SET state_due_at = ${new Date(Date.now() - 3_600_000)} WHERE id = ${id}`.execute(app.database.db);
    await app.jobs.enqueue(app.database.db, DEADLINE_TASK, { caseId: id, visit: (await loadCase(app.database.db, id))!.visit }, { runAt: new Date() });
    await app.jobs.drain();

    const sent = inbox.mail.slice(before);
    assert.deepEqual(sent.flatMap((m) => m.to), ['head.trade@daftari.localhost'], 'the complaint was routed to trade, whose head is told');
    assert.equal(sent[0]!.subject, `Overdue: ${trackingNumber} (Complaint about a public service)`);
    assert.match(sent[0]!.text, new RegExp(`http://daftari.test/work/cases/${id}`));
  });
});
