import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { publishDefinition } from '../../src/blocks/registration/index.ts';
import { createUser, findUserByLogin } from '../../src/blocks/identity/index.ts';
import { SHIPPED_LOCALES, type Locale } from '../../src/platform/i18n/index.ts';
import { asSession, DEMO_PASSWORD, signIn, type Session, type TestApp } from './app.ts';
import { PDF, PNG } from '../../src/demo/sample-files.ts';

/** The same text in every shipped language, where the wording does not matter to a test. */
export const text = (en: string) => Object.fromEntries(SHIPPED_LOCALES.map((locale) => [locale, en])) as Record<Locale, string>;

/**
 * A small service of the Ministry of Trade without documents, so it can be applied for in one
 * call: an officer's check (one way on, one way out), a review by the fire service whose
 * objection sends the file back to the applicant, and a decision by the head of the ministry.
 */
export const MARKET_STALL = {
  id: 'market-stall',
  version: 1,
  agency: 'commerce',
  title: text('Market stall permit'),
  description: text('A permit to sell from a stall at a public market.'),
  applicants: ['person'],
  timeLimitDays: 5,
  form: {
    steps: [
      {
        id: 'stall',
        title: text('Your stall'),
        fields: [
          { id: 'stallName', type: 'text', label: text('Name of the stall'), required: true, maxLength: 80 },
          { id: 'market', type: 'select', label: text('Market'), required: true, options: [{ value: 'central', label: text('Central market') }, { value: 'harbour', label: text('Harbour market') }] },
          { id: 'cooking', type: 'yes-no', label: text('Do you cook on the stall?'), required: true },
          { id: 'stoves', type: 'integer', label: text('Number of stoves'), when: 'cooking', required: true, min: 1, max: 4 },
        ],
      },
    ],
  },
  workflow: {
    initial: 'check',
    states: [
      {
        id: 'check',
        label: text('Check'),
        assignee: { role: 'officer' },
        slaDays: 2,
        actions: [
          { id: 'accept', label: text('Accept'), to: 'fire-review', inputs: [{ id: 'visited', type: 'yes-no', label: text('Stall visited'), required: false }] },
          { id: 'reject', label: text('Reject'), to: 'refused', inputs: [{ id: 'reason', type: 'textarea', label: text('Reason') }] },
        ],
      },
      {
        id: 'fire-review',
        label: text('Fire safety review'),
        reviews: { reviewers: [{ id: 'fire-safety', label: text('Fire safety'), by: { role: 'officer', agency: 'fire' } }], whenAllAgree: 'decision', whenAnyObjects: 'correction' },
      },
      { id: 'correction', label: text('Sent back for correction'), pausesClock: true, applicantActions: [{ id: 'correct', label: text('Send the correction'), to: 'check' }] },
      {
        id: 'decision',
        label: text('Decision'),
        assignee: { role: 'agency-head' },
        actions: [
          { id: 'approve', label: text('Grant the permit'), to: 'granted' },
          { id: 'refuse', label: text('Refuse'), to: 'refused', inputs: [{ id: 'reason', type: 'textarea', label: text('Reason') }] },
        ],
      },
      { id: 'granted', label: text('Permit granted'), outcome: 'granted' },
      { id: 'refused', label: text('Refused'), outcome: 'refused' },
    ],
  },
};

export { PDF, PNG };

export interface Part {
  name: string;
  fileName?: string;
  content: Buffer | string;
}

export function multipartBody(parts: Part[]): { contentType: string; payload: Buffer } {
  const boundary = '----daftari-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.fileName ? `form-data; name="${part.name}"; filename="${part.fileName}"` : `form-data; name="${part.name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, payload: Buffer.concat(chunks) };
}

/** The demo accounts these fixtures act as, and Zara, a citizen nobody gave a mandate. */
export const ACTORS = ['amina', 'omar.architect', 'zara', 'officer.trade', 'officer.fire', 'head.trade', 'admin'] as const;
export type Actor = (typeof ACTORS)[number];

type Json = Record<string, any>;

/**
 * Applications in the states tests need, made through the native API as people would make them:
 * a business licence of Amina's (Ministry of Trade, with a lease), and market stall permits.
 */
export class RegistrationFixtures {
  private counter = 0;

  private constructor(
    readonly app: TestApp,
    private readonly sessions: Map<Actor, Session>,
  ) {}

  static async start(app: TestApp): Promise<RegistrationFixtures> {
    await createUser(app.database.db, { username: 'zara', displayName: 'Zara Ibrahim', email: 'zara@example.org', password: DEMO_PASSWORD, party: { kind: 'person' } });
    await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
    const sessions = new Map<Actor, Session>();
    for (const who of ACTORS) sessions.set(who, await signIn(app, who, DEMO_PASSWORD));
    return new RegistrationFixtures(app, sessions);
  }

  /** A value no other call of this run has used. */
  unique(prefix: string): string {
    return `${prefix}-${++this.counter}`;
  }

  /** The account's user id and, for a citizen, the party they are. */
  async idsOf(who: Actor): Promise<{ userId: string; partyId: string | null }> {
    const user = (await findUserByLogin(this.app.database.db, who))!;
    return { userId: user.id, partyId: user.party_id };
  }

  headersOf(who: Actor | null): Record<string, string> {
    return who ? asSession(this.sessions.get(who)!) : {};
  }

  async call(who: Actor | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; response: LightMyRequestResponse }> {
    const response = await this.app.app.inject({ method, url, headers: { ...this.headersOf(who), ...headers }, ...(payload === undefined ? {} : { payload: payload as Json }) });
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Json) : {}, response };
  }

  upload(who: Actor | null, url: string, parts: Part[]): Promise<LightMyRequestResponse> {
    const { contentType, payload } = multipartBody(parts);
    return this.app.app.inject({ method: 'POST', url, headers: { ...this.headersOf(who), 'content-type': contentType }, payload });
  }

  private async expect(result: Promise<{ status: number; body: Json }>, status: number): Promise<Json> {
    const { status: got, body } = await result;
    assert.equal(got, status, JSON.stringify(body));
    return body;
  }

  /** Amina's business licence with every answer given (a retail shop: only the lease is needed). */
  async licenceDraft(): Promise<string> {
    const { id } = await this.expect(this.call('amina', 'POST', '/api/registration/drafts', { serviceId: 'business-licence' }), 201);
    await this.expect(this.call('amina', 'PUT', `/api/registration/drafts/${id}/steps/business`, { answers: { tradeName: 'Kiosk Ménélik', category: 'retail', employees: 1 } }), 200);
    await this.expect(this.call('amina', 'PUT', `/api/registration/drafts/${id}/steps/premises`, { answers: { address: 'Place Ménélik 3, Djibouti', areaM2: 12 } }), 200);
    return id as string;
  }

  /** The draft with its lease: ready to submit. Returns the draft and the document. */
  async licenceDraftWithLease(): Promise<{ id: string; documentId: string }> {
    const id = await this.licenceDraft();
    const uploaded = await this.upload('amina', `/api/registration/drafts/${id}/documents`, [{ name: 'lease', fileName: 'lease.pdf', content: PDF }]);
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    return { id, documentId: (JSON.parse(uploaded.body) as { id: string }[])[0]!.id };
  }

  /** Submitted, waiting for the Ministry of Trade's completeness check. */
  async submittedLicence(): Promise<{ id: string; documentId: string; trackingNumber: string }> {
    const draft = await this.licenceDraftWithLease();
    const { trackingNumber } = await this.expect(this.call('amina', 'POST', `/api/registration/drafts/${draft.id}/submit`), 200);
    return { ...draft, trackingNumber };
  }

  /** Submitted, and the officer has asked Amina for more. */
  async licenceWaitingForAmina(): Promise<string> {
    const { id } = await this.submittedLicence();
    await this.expect(this.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/request-information`, { inputs: { message: 'Please send the signed lease' } }), 200);
    return id;
  }

  /** Accepted, its fee paid at the counter, and granted by the head: the licence is issued. */
  async grantedLicence(): Promise<string> {
    const { id } = await this.submittedLicence();
    await this.expect(this.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, {}), 200);
    await payFeesAtCounter(this.app, id);
    await this.expect(this.call('head.trade', 'POST', `/api/workflow/cases/${id}/actions/approve`, {}), 200);
    return id;
  }

  /** Amina's market stall, applied for in one call. */
  async submittedStall(who: Actor = 'amina'): Promise<string> {
    const body = { serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: this.unique('stall-key') };
    return (await this.expect(this.call(who, 'POST', '/api/registration/applications', body), 201)).id as string;
  }

  /** Accepted by the trade officer, waiting for the fire service's opinion. */
  async stallInFireReview(): Promise<string> {
    const id = await this.submittedStall();
    await this.expect(this.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, {}), 200);
    return id;
  }

  /** The open task of a file (the only one, or the one for this review). */
  async openTask(fileId: string, reviewId: string | null = null): Promise<string> {
    const { rows } = await this.app.database.pool.query<{ id: string }>('SELECT id FROM workflow_tasks WHERE case_id = $1 AND completed_at IS NULL AND review_id IS NOT DISTINCT FROM $2', [fileId, reviewId]);
    assert.equal(rows.length, 1, `one open task on ${fileId}`);
    return rows[0]!.id;
  }
}

/**
 * The cashier of the agency takes the open fees of an application at the counter, and the case,
 * waiting for them, moves on (the settlement is delivered by the job queue, drained here).
 */
export async function payFeesAtCounter(app: TestApp, applicationId: string, cashier = 'cashier.trade'): Promise<void> {
  const open = (await app.payments.invoicesFor(app.database.db, 'application', applicationId)).filter((i) => i.state === 'open');
  assert.equal(open.length, 1, 'one open invoice for the fees');
  const session = await signIn(app, cashier, DEMO_PASSWORD);
  const paid = await app.app.inject({ method: 'POST', url: '/api/payments/cash', headers: asSession(session), payload: { invoiceId: open[0]!.id, tendered: open[0]!.amount } });
  assert.equal(paid.statusCode, 201, paid.body);
  await app.jobs.drain();
}
