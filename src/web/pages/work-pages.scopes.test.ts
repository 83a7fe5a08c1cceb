/**
 * Who may use the officers' pages (work-pages.tsx): the worklist, the case file and its forms.
 * The case is Amina's business licence (or market stall permit), the Ministry of Trade's: its
 * officer works it; the officer of Fire and Civil Protection is told it does not exist, except
 * where a review asks for Fire's opinion; its head hands out work and extends deadlines. Citizens
 * are refused, and so is the Ministry's API client at every form, sent as a browser sends it:
 * a form needs a session's CSRF token. The same calls through the API are the registration
 * table's (src/blocks/registration/routes.scopes.test.ts).
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';

const STAFF = 'roles: officer, agency-head, admin';

/** Amina's submitted licence and the open task of its completeness check. */
async function licenceTask(f: RegistrationFixtures): Promise<{ id: string; task: string }> {
  const { id } = await f.submittedLicence();
  return { id, task: await f.openTask(id) };
}

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                              anon owner other officer agency head admin client
  { route: 'GET /work', access: STAFF, what: 'each sees the tasks they may work on',           expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/work' }) },
  { route: 'GET /work/cases/:id', access: STAFF,                                                expect: [401, 403, 403, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/work/cases/${(await f.submittedLicence()).id}` }) },
  {
    route: 'POST /work/cases/:id/actions/:actionId', access: STAFF, what: 'the completeness check: an officer’s step',
                                                                                                 expect: [401, 403, 403, 303, 404, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/work/cases/${(await f.submittedLicence()).id}/actions/accept`, form: { expectedState: 'completeness' } }),
  },
  {
    route: 'POST /work/cases/:id/reviews/:reviewId', access: STAFF, what: "the fire service's opinion on a market stall",
                                                                                                 expect: [401, 403, 403, 403, 303, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/work/cases/${await f.stallInFireReview()}/reviews/fire-safety`, form: { opinion: 'agree' } }),
  },
  {
    route: 'POST /work/cases/:id/extend', access: 'roles: agency-head',                        expect: [401, 403, 403, 403, 403, 303, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/work/cases/${(await f.submittedLicence()).id}/extend`, form: { days: '2', reason: 'The inspector is away this week' } }),
  },
  {
    route: 'POST /work/cases/:id/tasks/:taskId/claim', access: STAFF,                           expect: [401, 403, 403, 303, 404, 403, 403, 403],
    call: async (f) => {
      const { id, task } = await licenceTask(f);
      return { method: 'POST', url: `/work/cases/${id}/tasks/${task}/claim`, form: { back: '/work' } };
    },
  },
  {
    route: 'POST /work/cases/:id/tasks/:taskId/assign', access: 'roles: agency-head', what: 'handing the check to the trade officer',
                                                                                                 expect: [401, 403, 403, 403, 403, 303, 403, 403],
    call: async (f) => {
      const { id, task } = await licenceTask(f);
      return { method: 'POST', url: `/work/cases/${id}/tasks/${task}/assign`, form: { userId: (await f.idsOf('officer.trade')).userId } };
    },
  },
  {
    route: 'POST /work/cases/:id/tasks/:taskId/release', access: STAFF, what: 'a task the trade officer took',
                                                                                                 expect: [401, 403, 403, 303, 404, 303, 403, 403],
    call: async (f) => {
      const { id, task } = await licenceTask(f);
      await f.call('officer.trade', 'POST', `/api/workflow/tasks/${task}/claim`);
      return { method: 'POST', url: `/work/cases/${id}/tasks/${task}/release`, form: { back: '/work' } };
    },
  },
];

permissionTable({ covers: PERMISSION_TABLES['src/web/pages/work-pages.scopes.test.ts'], rows: ROWS });
