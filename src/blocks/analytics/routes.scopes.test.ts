/**
 * Who may see and change the performance figures and give feedback. The dashboard row asks for
 * the Ministry of Trade's figures, as do the lists of cases behind them, so an officer of Fire and
 * Civil Protection is refused them; the feedback is on a market stall permit of Amina's that the
 * Ministry has refused, so only she may rate it or open the page the invitation links to. The
 * public pages and open data hold no personal data and answer everyone.
 */
import { findAgencyByCode } from '../identity/index.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';

const STAFF = 'roles: officer, agency-head, admin';

async function tradeId(f: RegistrationFixtures): Promise<string> {
  return (await findAgencyByCode(f.app.database.db, 'commerce'))!.id;
}

/** A fresh permit of Amina's, refused at the completeness check: decided, so open to feedback. */
async function refusedStall(f: RegistrationFixtures): Promise<string> {
  const id = await f.submittedStall();
  const refused = await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/reject`, { inputs: { reason: 'Incomplete' } });
  if (refused.status !== 200) throw new Error(JSON.stringify(refused.body));
  return id;
}

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                       anon owner other officer agency head admin client
  { route: 'GET /agency/performance', access: STAFF, what: "the Ministry of Trade's figures", expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/agency/performance?agency=${await tradeId(f)}` }) },
  { route: 'GET /agency/performance/cases', access: STAFF, what: "the Ministry of Trade's granted cases", expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/agency/performance/cases?agency=${await tradeId(f)}&figure=granted` }) },
  { route: 'GET /agency/performance/cases.csv', access: STAFF, what: "the Ministry of Trade's open cases", expect: [401, 403, 403, 200, 403, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/agency/performance/cases.csv?agency=${await tradeId(f)}&figure=open` }) },
  { route: 'POST /agency/performance/targets', access: 'roles: admin',                   expect: [401, 403, 403, 403, 403, 403, 303, 403], call: () => ({ method: 'POST', url: '/agency/performance/targets', json: { service: 'market-stall', sharePercent: '90', withinDays: '10' } }) },
  { route: 'GET /agency/feedback', access: STAFF, what: "each sees their own agencies' feedback", expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/agency/feedback' }) },
  { route: 'GET /performance', access: 'public',                                         expect: everyone(200), call: () => ({ method: 'GET', url: '/performance' }) },
  { route: 'GET /performance/services/:serviceId', access: 'public',                     expect: everyone(200), call: () => ({ method: 'GET', url: '/performance/services/market-stall' }) },
  { route: 'GET /performance/open-data.json', access: 'public',                          expect: everyone(200), call: () => ({ method: 'GET', url: '/performance/open-data.json' }) },
  { route: 'GET /performance/open-data.csv', access: 'public',                           expect: everyone(200), call: () => ({ method: 'GET', url: '/performance/open-data.csv' }) },
  { route: 'GET /performance/open-data/steps.json', access: 'public',                    expect: everyone(200), call: () => ({ method: 'GET', url: '/performance/open-data/steps.json' }) },
  { route: 'GET /performance/open-data/steps.csv', access: 'public',                     expect: everyone(200), call: () => ({ method: 'GET', url: '/performance/open-data/steps.csv' }) },
  { route: 'GET /applications/:id/feedback', access: 'roles: citizen', what: 'the page the invitation links to', expect: [401, 200, 404, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'GET', url: `/applications/${await refusedStall(f)}/feedback` }) },
  { route: 'POST /applications/:id/feedback', access: 'roles: citizen',                  expect: [401, 303, 404, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/applications/${await refusedStall(f)}/feedback`, json: { rating: '4', theme: 'speed', comment: 'Quick' } }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/analytics/routes.scopes.test.ts'], rows: ROWS });
