import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { pdftotext } from '../../../test/support/pdftotext.ts';
import { formatDate, translator } from '../../platform/i18n/index.ts';
import { appendInfoUpdate, readInfoUpdate } from '../../platform/pdf/index.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { issueLicence, stateOf, uploadForCheck, verdictOf } from './document-fixtures.ts';
import { documentStatus, revokeDocument, type AgencyJwk } from './index.ts';
import { PAYLOAD_ENTRY, SIGNATURE_ENTRY } from './seal.ts';

let app: TestApp;
let headTrade: Session;
before(async () => {
  app = await startTestApp();
  [headTrade] = await signInDemo(app, 'head.trade');
});
after(() => app.stop());

const jwks = async () => (await app.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: AgencyJwk[] };
const kidOf = (bytes: Buffer) => decodeProtectedHeader(readInfoUpdate(bytes)!.info[SIGNATURE_ENTRY]!).kid;
const auditCount = async (action: string, subjectId: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries WHERE action = ${action} AND subject_id = ${subjectId}`.execute(app.database.db)).rows[0]!.n;

describe('a document issued by an agency', () => {
  it('is a signed PDF whose QR code leads to /verify/{id}, recorded with an audit entry in the issuing transaction', async () => {
    const doc = await issueLicence(app);
    assert.equal(doc.verifyUrl, `${app.config.baseUrl}/verify/${doc.id}`);
    assert.equal(doc.bytes.subarray(0, 5).toString(), '%PDF-');
    const seal = readInfoUpdate(doc.bytes);
    assert.ok(seal, 'the seal travels in the file');
    const payload = JSON.parse(seal.info[PAYLOAD_ENTRY]!) as Record<string, unknown>;
    assert.equal(payload.id, doc.id);
    assert.equal(payload.agency, 'commerce');
    assert.equal(payload.kind, 'licence');
    assert.deepEqual(payload.facts, [{ label: 'Tracking number', value: 'BL-2026-000123-X' }, { label: 'Activity', value: 'Retail trade (category B)' }]);
    assert.equal(await auditCount('esignature.issue-document', doc.id), 1);
    const file = await app.signer.pdf(app.database.db, doc.id);
    assert.equal(file?.fileName, `licence-${doc.id}.pdf`);
    assert.equal(await app.signer.pdf(app.database.db, randomUUID()), null);
  });

  it('leaves nothing behind when the issuing transaction rolls back', async () => {
    const commerce = await findAgencyByCode(app.database.db, 'commerce');
    let id = '';
    await assert.rejects(
      app.database.db.transaction().execute(async (trx) => {
        ({ id } = await app.signer.issue(trx, { agencyId: commerce!.id, kind: 'licence', subjectType: 'application', subjectId: randomUUID(), locale: 'fr', title: 'Licence', body: '', facts: [], holderName: null, issuedAt: new Date(), validUntil: null, issuedBy: SYSTEM_ACTOR, requestId: null }));
        throw new Error('the decision failed after the document was issued');
      }),
    );
    assert.equal(await documentStatus(app.database.db, id), null);
    assert.equal(await auditCount('esignature.issue-document', id), 0);
  });

  it('shows as genuine and current on /verify/{id}, with who issued it, when, until when, and its key facts', async () => {
    const doc = await issueLicence(app);
    const page = await app.app.inject({ method: 'GET', url: `/verify/${doc.id}`, headers: { accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    assert.equal(stateOf(page), 'current');
    for (const text of ['Genuine and valid', 'Ministry of Trade', 'Amina Said', 'BL-2026-000123-X', 'Retail trade (category B)', doc.id]) assert.ok(page.body.includes(text), text);
    assert.doesNotMatch(page.body, /<script/i);
  });

  it('has a public JSON status with what is printed on it, and no more', async () => {
    const doc = await issueLicence(app);
    const response = await app.app.inject({ method: 'GET', url: `/api/documents/${doc.id}/status` });
    assert.equal(response.statusCode, 200, response.body);
    const status = response.json() as Record<string, unknown>;
    assert.equal(status.status, 'current');
    assert.equal(status.genuine, true);
    assert.equal(status.holderName, 'Amina Said');
    assert.deepEqual(status.issuer, { code: 'commerce', names: { en: 'Ministry of Trade', fr: 'Ministère du Commerce', ar: 'وزارة التجارة', sw: 'Wizara ya Biashara', ru: 'Министерство торговли', tg: 'Вазорати савдо' } });
    assert.equal(status.sha256, doc.sha256);
    assert.deepEqual(Object.keys(status).sort(), ['facts', 'genuine', 'holderName', 'id', 'issuedAt', 'issuer', 'kind', 'locale', 'revocationReason', 'revokedAt', 'sha256', 'status', 'title', 'validUntil', 'verifyUrl']);
  });

  it('is expired once its validity has ended', async () => {
    const doc = await issueLicence(app, { issuedAt: new Date('2024-01-10T09:00:00Z'), validUntil: new Date('2025-01-10T00:00:00Z') });
    const page = await app.app.inject({ method: 'GET', url: `/verify/${doc.id}` });
    assert.equal(stateOf(page), 'expired');
    assert.ok(page.body.includes(`It was valid until ${formatDate('en', new Date('2025-01-10T00:00:00Z'))}.`));
  });

  it('is rendered in its own language: an Arabic document has Arabic labels, and its page says so to a French reader', async () => {
    const doc = await issueLicence(app, { locale: 'ar', title: 'رخصة تجارية', facts: [{ label: 'رقم التتبع', value: 'BL-2026-000123-X' }], holderName: 'أمينة سعيد' });
    const payload = JSON.parse(readInfoUpdate(doc.bytes)!.info[PAYLOAD_ENTRY]!) as { locale: string };
    assert.equal(payload.locale, 'ar');
    const page = await app.app.inject({ method: 'GET', url: `/verify/${doc.id}?lang=fr` });
    assert.match(page.body, /<h1><span lang="ar" dir="rtl">رخصة تجارية<\/span><\/h1>/);
    assert.match(page.body, /<dl class="facts" lang="ar" dir="rtl">/);
    assert.match(page.body, /Authentique et valable/);
  });

  for (const [locale, licence] of [
    ['ru', { title: 'Лицензия на торговлю', body: 'Книжная лавка порта вправе вести деятельность вида «Розничная торговля» по адресу ул. Рима, 12.', holder: 'Амина Саид', agency: 'Министерство торговли' }],
    ['tg', { title: 'Иҷозатномаи тиҷоратӣ', body: 'Китобфурӯшии бандар ҳуқуқ дорад ҳамчун тиҷорати навъи «Савдои чакана» дар кӯчаи Рим 12 фаъолият кунад.', holder: 'Амина Саид', agency: 'Вазорати савдо' }],
  ] as const) {
    it(`is rendered in ${locale}: its Cyrillic text, labels, agency name and dates come out of the PDF as written`, async () => {
      const issuedAt = new Date('2026-03-05T10:00:00Z');
      const doc = await issueLicence(app, { locale, title: licence.title, body: licence.body, holderName: licence.holder, facts: [], issuedAt, validUntil: null });
      const text = pdftotext(doc.bytes).replace(/\s+/g, ' ');
      const t = translator(locale);
      for (const expected of [licence.title, licence.body, t('esignature.pdf.issuedTo', { holder: licence.holder }), t('esignature.pdf.issuedBy'), licence.agency, formatDate(locale, issuedAt)]) {
        assert.ok(text.includes(expected), `the ${locale} PDF reads "${expected}" in:\n${text}`);
      }
    });
  }

  it('answers 404 for an unknown or malformed id, as a page and as problem+json; a typed id leads to its page', async () => {
    for (const id of [randomUUID(), 'not-a-document', '../../etc/passwd']) {
      const page = await app.app.inject({ method: 'GET', url: `/verify/${encodeURIComponent(id)}`, headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 404);
      assert.match(page.body, /No such document/);
      assertProblem(await app.app.inject({ method: 'GET', url: `/api/documents/${encodeURIComponent(id)}/status` }), 404);
    }
    const doc = await issueLicence(app);
    const typed = await app.app.inject({ method: 'GET', url: `/verify?id=${encodeURIComponent(` ${doc.id.toUpperCase()} `)}` });
    assert.equal(typed.statusCode, 303);
    assert.equal(typed.headers.location, `/verify/${doc.id}`);
    const mistyped = await app.app.inject({ method: 'GET', url: '/verify?id=3f2a9c1e-5b7d' });
    assert.equal(mistyped.statusCode, 400);
    assert.match(mistyped.body, /class="error-summary"/);
  });
});

describe('checking a file on /verify/{id}', () => {
  it('says a file is genuine when it is exactly the file issued', async () => {
    const doc = await issueLicence(app);
    const response = await uploadForCheck(app, doc.id, doc.bytes);
    assert.equal(response.statusCode, 200, response.body.slice(0, 500));
    assert.equal(verdictOf(response), 'genuine');
    assert.match(response.body, /This file is exactly the document issued, signed by Ministry of Trade\./);
  });

  it('says a file with one byte of its content changed has been altered', async () => {
    const doc = await issueLicence(app);
    const tampered = Buffer.from(doc.bytes);
    const at = Math.floor(readInfoUpdate(doc.bytes)!.original.length / 2);
    tampered[at] = tampered[at]! ^ 0x01;
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, tampered)), 'altered');
  });

  it('says a file carrying the signature of another document has been altered', async () => {
    const [doc, other] = [await issueLicence(app), await issueLicence(app, { holderName: 'Zara Ali' })];
    const own = readInfoUpdate(doc.bytes)!;
    const theirs = readInfoUpdate(other.bytes)!;
    const swappedJws = appendInfoUpdate(own.original, { [PAYLOAD_ENTRY]: own.info[PAYLOAD_ENTRY]!, [SIGNATURE_ENTRY]: theirs.info[SIGNATURE_ENTRY]! });
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, swappedJws)), 'altered');
    const swappedSeal = appendInfoUpdate(own.original, { [PAYLOAD_ENTRY]: theirs.info[PAYLOAD_ENTRY]!, [SIGNATURE_ENTRY]: theirs.info[SIGNATURE_ENTRY]! });
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, swappedSeal)), 'altered');
  });

  it('says a truncated file, or one stripped of its signature, has been altered', async () => {
    const doc = await issueLicence(app);
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, doc.bytes.subarray(0, doc.bytes.length - 200))), 'altered');
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, readInfoUpdate(doc.bytes)!.original)), 'altered');
  });

  it('says a genuine file of another document is another document, and links to it', async () => {
    const [doc, other] = [await issueLicence(app), await issueLicence(app)];
    const response = await uploadForCheck(app, doc.id, other.bytes);
    assert.equal(verdictOf(response), 'other-document');
    assert.ok(response.body.includes(`href="/verify/${other.id}"`));
  });

  it('refuses a file that is not a PDF, and a form without a file, showing the form again', async () => {
    const doc = await issueLicence(app);
    const notPdf = await uploadForCheck(app, doc.id, 'just some text pretending', 'fake.pdf');
    assert.equal(notPdf.statusCode, 400);
    assert.match(notPdf.body, /This file is not a PDF\./);
    assert.match(notPdf.body, /href="#file"/);
  });

  it('refuses an upload without the form token', async () => {
    const doc = await issueLicence(app);
    const boundary = 'x-boundary';
    const response = await app.app.inject({
      method: 'POST',
      url: `/verify/${doc.id}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n${doc.bytes.toString('latin1')}\r\n--${boundary}--\r\n`,
    });
    assertProblem(response, 403);
  });
});

describe('revocation', () => {
  it("by the issuing agency's head: the page shows it revoked with its reason; again changes nothing; audited once", async () => {
    const doc = await issueLicence(app);
    const revoke = (reason: string) => app.app.inject({ method: 'POST', url: `/api/documents/${doc.id}/revoke`, headers: asSession(headTrade), payload: { reason } });
    const first = await revoke('Issued on a forged lease');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().status, 'revoked');
    const again = await revoke('Another reason');
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().revocationReason, 'Issued on a forged lease');
    assert.equal(again.json().revokedAt, first.json().revokedAt);
    assert.equal(await auditCount('esignature.revoke-document', doc.id), 1);

    const page = await app.app.inject({ method: 'GET', url: `/verify/${doc.id}` });
    assert.equal(stateOf(page), 'revoked');
    assert.match(page.body, /Genuine, but revoked/);
    assert.match(page.body, /Reason: Issued on a forged lease/);
    assert.equal(verdictOf(await uploadForCheck(app, doc.id, doc.bytes)), 'genuine', 'the file is still the one issued');
  });

  it('is open to other blocks as revokeDocument, in their transaction', async () => {
    const doc = await issueLicence(app);
    const status = await app.database.db.transaction().execute((trx) => revokeDocument(trx, { id: doc.id, reason: 'Licence withdrawn after inspection', actor: SYSTEM_ACTOR, requestId: null }));
    assert.equal(status?.state, 'revoked');
    assert.equal((await documentStatus(app.database.db, doc.id))?.revocationReason, 'Licence withdrawn after inspection');
    assert.equal(await app.database.db.transaction().execute((trx) => revokeDocument(trx, { id: randomUUID(), reason: 'x', actor: SYSTEM_ACTOR, requestId: null })), null);
  });

  it('by the head of a ministry, of a document of a department under it', async () => {
    const [headUrban] = await signInDemo(app, 'head.urban');
    const permit = (await issueLicence(app, { agencyCode: 'urban-permits', kind: 'permit' })).id;
    const revoked = await app.app.inject({ method: 'POST', url: `/api/documents/${permit}/revoke`, headers: asSession(headUrban), payload: { reason: 'Permit annulled by court order' } });
    assert.equal(revoked.statusCode, 200, revoked.body);
  });

  it('of an unknown document is 404, as is rotating the key of an unknown agency', async () => {
    const [admin] = await signInDemo(app, 'admin');
    assertProblem(await app.app.inject({ method: 'POST', url: `/api/documents/${randomUUID()}/revoke`, headers: asSession(admin), payload: { reason: 'x' } }), 404);
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/esignature/agencies/no-such-agency/keys/rotate', headers: asSession(admin) }), 404);
  });

  it('needs a reason', async () => {
    const doc = await issueLicence(app);
    const blank = await app.app.inject({ method: 'POST', url: `/api/documents/${doc.id}/revoke`, headers: asSession(headTrade), payload: { reason: '   ' } });
    assert.equal(assertProblem(blank, 400).errors?.[0]?.pointer, '/body/reason');
  });
});

describe("agencies' keys", () => {
  it('are published at /.well-known/jwks.json with their key id (the thumbprint), EdDSA, and the agency they sign for', async () => {
    const doc = await issueLicence(app);
    const { keys } = await jwks();
    const key = keys.find((k) => k.kid === kidOf(doc.bytes));
    assert.ok(key);
    assert.deepEqual({ alg: key.alg, use: key.use, kty: key.kty, crv: key.crv, agency: key.daftari_agency, status: key.daftari_status }, { alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519', agency: 'commerce', status: 'current' });
    assert.ok(keys.every((k) => !('d' in k)), 'no private part is published');
  });

  it('are kept sealed in the database under the key-encryption key in DATA_DIR/keys', async () => {
    await issueLicence(app);
    const rows = (await sql<{ row: string }>`SELECT to_jsonb(k)::text AS row FROM esignature_keys k`.execute(app.database.db)).rows;
    assert.ok(rows.length > 0);
    for (const { row } of rows) assert.doesNotMatch(row, /"d":/, 'no private key in the clear');
    const stat = await fs.stat(path.join(app.config.dataDir, 'keys', 'esignature-kek.json'));
    assert.equal(stat.mode & 0o777, 0o600);
  });

  it('are shared by every process with the same DATA_DIR/keys, and refused by one with another', async () => {
    const doc = await issueLicence(app);
    const sameKeys = await startTestApp({ database: app.testDb, env: { DATA_DIR: app.config.dataDir } });
    try {
      assert.equal(kidOf((await issueLicence(sameKeys)).bytes), kidOf(doc.bytes));
    } finally {
      await sameKeys.stop();
    }
    const otherKeys = await startTestApp({ database: app.testDb });
    try {
      await assert.rejects(issueLicence(otherKeys), /give every process the same DATA_DIR\/keys/);
    } finally {
      await otherKeys.stop();
    }
  });

  it('rotate: a new current key signs new documents, the retired one stays published, and documents of both verify', async () => {
    const before = await issueLicence(app);
    const oldKid = kidOf(before.bytes);
    const rotated = await app.app.inject({ method: 'POST', url: '/api/esignature/agencies/commerce/keys/rotate', headers: asSession(headTrade) });
    assert.equal(rotated.statusCode, 201, rotated.body);
    const { kid: newKid, retired } = rotated.json() as { kid: string; retired: string[] };
    assert.deepEqual(retired, [oldKid]);
    assert.equal(await auditCount('esignature.rotate-key', newKid), 1);

    const afterRotation = await issueLicence(app);
    assert.equal(kidOf(afterRotation.bytes), newKid);
    const published = (await jwks()).keys.filter((k) => k.daftari_agency === 'commerce');
    assert.deepEqual(published.map((k) => [k.kid, k.daftari_status]).sort(), [[oldKid, 'retired'], [newKid, 'current']].sort());

    for (const doc of [before, afterRotation]) {
      assert.equal(stateOf(await app.app.inject({ method: 'GET', url: `/verify/${doc.id}` })), 'current');
      assert.equal(verdictOf(await uploadForCheck(app, doc.id, doc.bytes)), 'genuine');
    }
    const erased = await sql<{ sealed: string | null }>`SELECT sealed_private_key AS sealed FROM esignature_keys WHERE kid = ${oldKid}`.execute(app.database.db);
    assert.equal(erased.rows[0]?.sealed, null, 'a retired key can no longer sign');
  });

  it('a record changed in the database no longer matches its signature, and the page says not to rely on it', async () => {
    const doc = await issueLicence(app);
    await sql`UPDATE esignature_documents SET payload = replace(payload, 'Amina Said', 'Mallory') WHERE id = ${doc.id}`.execute(app.database.db);
    const page = await app.app.inject({ method: 'GET', url: `/verify/${doc.id}` });
    assert.equal(stateOf(page), 'notGenuine');
    assert.equal((await app.app.inject({ method: 'GET', url: `/api/documents/${doc.id}/status` })).json().genuine, false);
  });
});
