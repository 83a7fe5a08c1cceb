/**
 * Who may call each consent route: the native API, the GovStack Consent API and the citizen's
 * pages. The consent is Amina's, to the Ministry of Trade reading her identity for a business
 * licence; Zara has no national id, so no registry record and no consent is hers.
 */
import { sql } from 'kysely';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { findAgreement, giveConsent } from './index.ts';
import { GOVSTACK_CONSENT as G } from './govstack/routes.ts';

const AGREEMENT = 'identity-for-business-licence';
const AMINA = 'DJ-1985-000123';
const SIGNED_IN = 'signed-in';
const STAFF = 'roles: officer, agency-head, admin';
let serial = 0;

/** Amina without a live consent to the agreement, so giving it is new each time. */
async function withoutConsent(f: RegistrationFixtures): Promise<void> {
  await sql`UPDATE consent_records SET withdrawn_at = now() WHERE person_id = ${AMINA} AND withdrawn_at IS NULL AND replaced_at IS NULL
            AND agreement_id = (SELECT id FROM consent_agreements WHERE code = ${AGREEMENT})`.execute(f.app.database.db);
}

/** A fresh, active consent of Amina's to the agreement. */
async function aminasConsent(f: RegistrationFixtures): Promise<string> {
  await withoutConsent(f);
  const { userId } = await f.idsOf('amina');
  const agreement = (await findAgreement(f.app.database.db, AGREEMENT))!;
  const { consent } = await giveConsent(f.app.database.db, { agreement, personId: AMINA, by: { actor: { type: 'user', id: userId, name: 'Amina Said' }, agencyId: null }, paperReason: null, requestId: 'test' });
  return consent.id;
}

const newAgreement = () => ({ code: `business-identity-${++serial}`, purpose: 'business-licence', names: { en: 'Identity' }, registry: 'civil-register', fields: ['nationalId'], recipient: 'commerce' });

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                  anon owner other officer agency head admin client
  { route: 'GET /api/consent/agreements', access: SIGNED_IN,                       expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/consent/agreements' }) },
  { route: 'POST /api/consent/agreements', access: 'roles: admin, agency-head', what: 'for the Ministry of Trade',
                                                                                   expect: [401, 403, 403, 403, 403, 201, 201, 403], call: () => ({ method: 'POST', url: '/api/consent/agreements', json: newAgreement() }) },
  { route: 'GET /api/consent/records', access: SIGNED_IN, what: 'my own',          expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: '/api/consent/records' }) },
  { route: 'GET /api/consent/records', access: SIGNED_IN, what: "Amina's: staff of the receiving agency",
                                                                                   expect: [401, 200, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'GET', url: `/api/consent/records?person=${AMINA}` }) },
  {
    route: 'POST /api/consent/records', access: SIGNED_IN, what: 'for oneself: only a person with a national id',
                                                                                   expect: [401, 201, 403, 403, 403, 403, 403, 403],
    call: async (f) => {
      await withoutConsent(f);
      return { method: 'POST', url: '/api/consent/records', json: { agreement: AGREEMENT } };
    },
  },
  {
    route: 'POST /api/consent/records', access: SIGNED_IN, what: "Amina's, given on paper: staff of the receiving agency",
                                                                                   expect: [401, 400, 403, 201, 403, 201, 201, 201],
    call: async (f) => {
      await withoutConsent(f);
      return { method: 'POST', url: '/api/consent/records', json: { agreement: AGREEMENT, person: AMINA, paperReason: 'Signed form at the counter' } };
    },
  },
  { route: 'POST /api/consent/records/:id/withdraw', access: SIGNED_IN,            expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'POST', url: `/api/consent/records/${await aminasConsent(f)}/withdraw`, json: { reason: 'Asked to by letter' } }) },
  { route: 'GET /api/consent/data-uses', access: 'roles: citizen',                 expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: '/api/consent/data-uses' }) },

  { route: `GET ${G}/service/data-agreement/:dataAgreementId/`, access: SIGNED_IN, expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${G}/service/data-agreement/${AGREEMENT}/` }) },
  { route: `GET ${G}/service/verification/data-agreements/`, access: SIGNED_IN,   expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${G}/service/verification/data-agreements/` }) },
  { route: `GET ${G}/service/verification/consent-records/`, access: STAFF,       expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${G}/service/verification/consent-records/` }) },
  { route: `GET ${G}/service/verification/consent-record/:consentRecordId/`, access: STAFF,
                                                                                   expect: [401, 403, 403, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${G}/service/verification/consent-record/${await aminasConsent(f)}/` }) },
  { route: `POST ${G}/service/individual/record/data-agreement/:dataAgreementId/`, access: SIGNED_IN,
                                                                                   expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'POST', url: `${G}/service/individual/record/data-agreement/${AGREEMENT}/` }) },
  { route: `GET ${G}/service/individual/record/data-agreement/:dataAgreementId/`, access: SIGNED_IN,
                                                                                   expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: `${G}/service/individual/record/data-agreement/${AGREEMENT}/` }) },
  { route: `GET ${G}/service/individual/record/consent-record/`, access: SIGNED_IN, expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: `${G}/service/individual/record/consent-record/` }) },
  { route: `PUT ${G}/service/individual/record/consent-record/:consentRecordId/`, access: SIGNED_IN, what: "Amina's: only she withdraws it here",
                                                                                   expect: [401, 200, 404, 404, 404, 404, 404, 404], call: async (f) => ({ method: 'PUT', url: `${G}/service/individual/record/consent-record/${await aminasConsent(f)}/`, json: { consentRecord: { optIn: false } } }) },
  { route: `GET ${G}/service/individual/record/data-agreement/:dataAgreementId/all/`, access: SIGNED_IN,
                                                                                   expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: `${G}/service/individual/record/data-agreement/${AGREEMENT}/all/` }) },

  { route: 'GET /account/consents', access: 'roles: citizen',                      expect: [401, 200, 200, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: '/account/consents' }) },
  {
    route: 'POST /account/consents', access: 'roles: citizen',                     expect: [401, 303, 403, 403, 403, 403, 403, 403],
    call: async (f) => {
      await withoutConsent(f);
      return { method: 'POST', url: '/account/consents', json: { agreement: AGREEMENT } };
    },
  },
  { route: 'POST /account/consents/:id/withdraw', access: 'roles: citizen', what: "Amina's",
                                                                                   expect: [401, 303, 404, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/account/consents/${await aminasConsent(f)}/withdraw`, json: {} }) },
  { route: 'GET /account/data-use', access: 'roles: citizen',                      expect: [401, 200, 200, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: '/account/data-use' }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/consent/routes.scopes.test.ts'], rows: ROWS });
