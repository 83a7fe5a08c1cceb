import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/support/app.ts';
import { openForm, postMultipart } from '../../../test/support/http.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import type { DocumentToSign, IssuedDocument } from './index.ts';

/** For the tests of this block: documents issued as another block would issue them, and files checked as a visitor would. */

const YEAR = 365 * 24 * 3600 * 1000;

/** A business licence of the Ministry of Trade, issued in its own transaction; `overrides` change any part. */
export async function issueLicence(app: TestApp, overrides: Partial<DocumentToSign> & { agencyCode?: string } = {}): Promise<IssuedDocument & { bytes: Buffer }> {
  const { agencyCode = 'commerce', ...rest } = overrides;
  const agency = await findAgencyByCode(app.database.db, agencyCode);
  if (!agency) throw new Error(`no demo agency ${agencyCode}`);
  const issued = await app.database.db.transaction().execute((trx) =>
    app.signer.issue(trx, {
      agencyId: agency.id,
      kind: 'licence',
      subjectType: 'application',
      subjectId: randomUUID(),
      locale: 'en',
      title: 'Business licence',
      body: 'The holder may carry on a retail business at the address below.',
      facts: [
        { label: 'Tracking number', value: 'BL-2026-000123-X' },
        { label: 'Activity', value: 'Retail trade (category B)' },
      ],
      holderName: 'Amina Said',
      issuedAt: new Date(),
      validUntil: new Date(Date.now() + YEAR),
      issuedBy: SYSTEM_ACTOR,
      requestId: null,
      ...rest,
    }),
  );
  const pdf = await app.signer.pdf(app.database.db, issued.id);
  if (!pdf) throw new Error('the issued document has no PDF');
  return { ...issued, bytes: pdf.bytes };
}

/** Upload a file through the form on /verify/{id}, as a visitor with no account does. */
export async function uploadForCheck(app: TestApp, id: string, content: Buffer | string, fileName = 'document.pdf'): Promise<LightMyRequestResponse> {
  const { jar, csrf } = await openForm(app, `/verify/${id}`);
  return postMultipart(app, jar, `/verify/${id}`, [
    { name: '_csrf', value: csrf },
    { name: 'file', file: { name: fileName, content, type: 'application/pdf' } },
  ]);
}

/** What the page said of an uploaded file: the class of its result box. */
export function verdictOf(response: LightMyRequestResponse): string | null {
  return /class="verify-result verify-file-([a-z-]+)"/.exec(response.body)?.[1] ?? null;
}

/** What the page says of the document: the class of its status box. */
export function stateOf(response: LightMyRequestResponse): string | null {
  return /class="verify-status verify-([A-Za-z]+)"/.exec(response.body)?.[1] ?? null;
}
