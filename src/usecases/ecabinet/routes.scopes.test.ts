/**
 * Who may call each route of the eCabinet: its API, its open data and its pages. None of the
 * table's eight usual callers holds a cabinet role (the administrator sets clearances and sees the
 * home page, no more), so six columns follow them: the chair, the secretariat, and four of the
 * cabinet's own people. The record is a public paper of the Ministry of Housing (urban): its
 * minister, drafter and legal reviewer work on it, the Minister of Trade is the minister of
 * another ministry. Papers, meetings and items are made afresh for each caller through the
 * cabinet's use cases, by the demo's cabinet accounts.
 */
import { PDF, type RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';
import { findUserByLogin, principalForUser } from '../../blocks/identity/index.ts';
import { CABINET_ROLES, seedEcabinetDemo, viewerOf, type Viewer } from './index.ts';
import { actionsFor, addAction, addItem, adoptConsentAgenda, agendaOf, cabinetMembers, circulate, closeMeeting, createMeeting, recordAttendance } from './meetings.ts';
import { attachFile, consultationsOf, createMemo, requestConsultation, reviseMemo, takeStep, type MemoStep } from './memos.ts';

/** In the order of the columns after the eight usual callers. */
const CABINET = [
  { column: 'chair', account: 'pm.chair' },
  { column: 'secretariat', account: 'cabinet.secretariat' },
  /** the minister of the paper's ministry */
  { column: 'minister', account: 'minister.urban' },
  /** the minister of another ministry, cleared for restricted papers */
  { column: 'other minister', account: 'minister.trade' },
  { column: 'drafter', account: 'drafter.urban' },
  { column: 'legal reviewer', account: 'legal.urban' },
] as const;
type CabinetRow = Row<typeof CABINET>;

const IN_CABINET = `roles: ${CABINET_ROLES.join(', ')}`;
const SECRETARIAT = 'roles: cabinet-secretariat';
const CHAIR = 'roles: cabinet-chair';
const MEMBERS = 'roles: minister, minister-delegate';
const CLEARANCES = 'roles: admin, cabinet-secretariat';

/** Far ahead, so no item added before circulation is late. */
const STARTS_AT = new Date('2030-01-10T09:00:00Z');
const PAPERS_DUE_AT = new Date('2030-01-07T12:00:00Z');
const TEXT = { title: 'Street lighting in Balbala', summary: 'Solar street lights on the main roads of Balbala.', proposedDecision: 'The cabinet approves the street lighting plan.', cost: '', classification: 'public' } as const;

async function viewer(f: RegistrationFixtures, username: string): Promise<Viewer> {
  const db = f.app.database.db;
  const user = (await findUserByLogin(db, username))!;
  return viewerOf(db, (await principalForUser(db, user.id, null))!);
}

/** Who takes each step of a Ministry of Housing paper, as the demo's cabinet does. */
const STEP_TAKERS: [MemoStep, string][] = [['send-to-legal', 'drafter.urban'], ['clear', 'legal.urban'], ['submit', 'minister.urban'], ['mark-ready', 'cabinet.secretariat']];
const STATES = ['draft', 'legal-review', 'sign-off', 'submitted', 'ready'] as const;

/** A fresh public paper of the Ministry of Housing, taken as far as `state`. */
async function paper(f: RegistrationFixtures, state: (typeof STATES)[number]): Promise<string> {
  const db = f.app.database.db;
  const { id } = await createMemo(db, await viewer(f, 'drafter.urban'), TEXT, 'test');
  for (const [step, taker] of STEP_TAKERS.slice(0, STATES.indexOf(state))) await takeStep(db, await viewer(f, taker), id, step, 'test');
  return id;
}

/** A draft with a second wording, to compare. */
async function revisedDraft(f: RegistrationFixtures): Promise<string> {
  const id = await paper(f, 'draft');
  await reviseMemo(f.app.database.db, await viewer(f, 'drafter.urban'), id, { ...TEXT, cost: 'DJF 30,000,000', note: 'Costed' }, 'test');
  return id;
}

/** A draft with a PDF attached. */
async function draftWithAttachment(f: RegistrationFixtures): Promise<{ id: string; attachmentId: string }> {
  const id = await paper(f, 'draft');
  const attachment = await attachFile(f.app.database.db, f.app.registration.blobs, await viewer(f, 'drafter.urban'), id, { name: 'plan.pdf', bytes: PDF, classification: 'public' }, 'test');
  return { id, attachmentId: attachment.id };
}

/** A submitted paper on which the Ministry of Trade is consulted. */
async function tradeConsultation(f: RegistrationFixtures): Promise<string> {
  const db = f.app.database.db;
  const id = await paper(f, 'submitted');
  await requestConsultation(db, await viewer(f, 'cabinet.secretariat'), id, { agency: 'commerce', dueOn: '2030-01-05' }, 'test');
  return (await consultationsOf(db, id))[0]!.id;
}

const STAGES = ['planned', 'circulated', 'in-session', 'decided', 'closed'] as const;

/**
 * A fresh meeting with one paper on its consent agenda, taken as far as `stage`: the agenda
 * circulated, the roll taken with everyone present, the consent agenda adopted, the meeting closed.
 */
async function meeting(f: RegistrationFixtures, stage: (typeof STAGES)[number]): Promise<{ id: string; itemId: string }> {
  const db = f.app.database.db;
  const secretariat = await viewer(f, 'cabinet.secretariat');
  const { id } = await createMeeting(db, secretariat.principal, { title: f.unique('Cabinet meeting'), startsAt: STARTS_AT, papersDueAt: PAPERS_DUE_AT }, 'test');
  await addItem(db, secretariat, id, { memoId: await paper(f, 'ready'), track: 'consent' }, 'test');
  const reached = (s: (typeof STAGES)[number]) => STAGES.indexOf(stage) >= STAGES.indexOf(s);
  if (reached('circulated')) await circulate(db, { messenger: f.app.messenger, baseUrl: f.app.config.baseUrl }, secretariat, id, 'test');
  if (reached('in-session')) await recordAttendance(db, secretariat, id, (await cabinetMembers(db)).map((m) => m.userId), 'test');
  if (reached('decided')) await adoptConsentAgenda(db, secretariat, id, 'test');
  if (reached('closed')) await closeMeeting(db, secretariat, id, 'en', 'test');
  return { id, itemId: (await agendaOf(db, secretariat, id))[0]!.id };
}

/** An item put on a circulated agenda: late, waiting for the chair. */
async function lateItem(f: RegistrationFixtures): Promise<string> {
  const db = f.app.database.db;
  const secretariat = await viewer(f, 'cabinet.secretariat');
  const { id } = await meeting(f, 'circulated');
  await addItem(db, secretariat, id, { memoId: await paper(f, 'ready'), track: 'discussion' }, 'test');
  return (await agendaOf(db, secretariat, id)).find((item) => item.late)!.id;
}

/** A follow-up action of an adopted decision, assigned to the Ministry of Housing. */
async function housingAction(f: RegistrationFixtures): Promise<string> {
  const db = f.app.database.db;
  const secretariat = await viewer(f, 'cabinet.secretariat');
  const { itemId } = await meeting(f, 'decided');
  await addAction(db, f.app.jobs, secretariat, itemId, { agency: 'urban', description: 'Light the main roads', dueOn: '2030-03-01' }, 'test');
  return (await actionsFor(db, secretariat)).find((action) => action.itemId === itemId)!.id;
}

const step = async (f: RegistrationFixtures, state: (typeof STATES)[number], name: MemoStep) => ({ method: 'POST' as const, url: `/cabinet/memos/${await paper(f, state)}/steps/${name}`, json: {} });

// prettier-ignore
const ROWS: CabinetRow[] = [
  //                                                                                                 anon owner other officer agency head admin client chair secr. minister other-min drafter legal
  // The API
  { route: 'GET /api/ecabinet/memos', access: IN_CABINET,                                         expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/ecabinet/memos' }) },
  { route: 'GET /api/ecabinet/memos/:id', access: IN_CABINET, what: 'a draft: its ministry reads it, no one else yet',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/ecabinet/memos/${await paper(f, 'draft')}` }) },
  { route: 'GET /api/ecabinet/memos/:id', access: IN_CABINET, what: 'submitted: the chair, the secretariat and every minister read it too',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/ecabinet/memos/${await paper(f, 'submitted')}` }) },
  {
    route: 'GET /api/ecabinet/memos/:id/attachments/:attachmentId', access: IN_CABINET, what: 'of a draft',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 200, 200],
    call: async (f) => {
      const { id, attachmentId } = await draftWithAttachment(f);
      return { method: 'GET', url: `/api/ecabinet/memos/${id}/attachments/${attachmentId}` };
    },
  },
  { route: 'GET /api/ecabinet/decisions', access: IN_CABINET,                                     expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/ecabinet/decisions' }) },
  { route: 'PUT /api/ecabinet/clearances/:username', access: CLEARANCES,                          expect: [401, 403, 403, 403, 403, 403, 204, 403, 403, 204, 403, 403, 403, 403], call: () => ({ method: 'PUT', url: '/api/ecabinet/clearances/drafter.trade', json: { level: 'restricted' } }) },

  // Open data
  { route: 'GET /cabinet/decisions.json', access: 'public',                                       expect: everyone(200, CABINET), call: () => ({ method: 'GET', url: '/cabinet/decisions.json' }) },
  { route: 'GET /cabinet/decisions.csv', access: 'public',                                        expect: everyone(200, CABINET), call: () => ({ method: 'GET', url: '/cabinet/decisions.csv' }) },

  // Papers
  { route: 'GET /cabinet', access: `${IN_CABINET}, admin`,                                        expect: [401, 403, 403, 403, 403, 403, 200, 403, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/cabinet' }) },
  { route: 'POST /cabinet/clearances', access: CLEARANCES,                                        expect: [401, 403, 403, 403, 403, 403, 303, 403, 403, 303, 403, 403, 403, 403], call: () => ({ method: 'POST', url: '/cabinet/clearances', json: { username: 'drafter.trade', level: 'restricted' } }) },
  { route: 'GET /cabinet/memos/new', access: IN_CABINET, what: 'ministers and drafters draft',    expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 403], call: () => ({ method: 'GET', url: '/cabinet/memos/new' }) },
  { route: 'POST /cabinet/memos', access: IN_CABINET, what: 'ministers and drafters draft',       expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 303, 403], call: () => ({ method: 'POST', url: '/cabinet/memos', json: TEXT }) },
  { route: 'GET /cabinet/memos/:id', access: IN_CABINET, what: 'a draft',                         expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 200, 200], call: async (f) => ({ method: 'GET', url: `/cabinet/memos/${await paper(f, 'draft')}` }) },
  { route: 'GET /cabinet/memos/:id/compare', access: IN_CABINET, what: 'a draft',                 expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 200, 200], call: async (f) => ({ method: 'GET', url: `/cabinet/memos/${await revisedDraft(f)}/compare?from=1&to=2` }) },
  { route: 'POST /cabinet/memos/:id/steps/:step', access: IN_CABINET, what: 'send to legal review: the drafter or the minister',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 303, 403], call: (f) => step(f, 'draft', 'send-to-legal') },
  { route: 'POST /cabinet/memos/:id/steps/:step', access: IN_CABINET, what: 'clear: the legal reviewer',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303], call: (f) => step(f, 'legal-review', 'clear') },
  { route: 'POST /cabinet/memos/:id/steps/:step', access: IN_CABINET, what: 'sign off and submit: the minister',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403], call: (f) => step(f, 'sign-off', 'submit') },
  { route: 'POST /cabinet/memos/:id/steps/:step', access: IN_CABINET, what: 'mark ready: the secretariat',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: (f) => step(f, 'submitted', 'mark-ready') },
  { route: 'POST /cabinet/memos/:id/revisions', access: IN_CABINET, what: 'the drafter or the minister',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 303, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/memos/${await paper(f, 'draft')}/revisions`, json: { ...TEXT, note: 'Reworded' } }) },
  {
    route: 'POST /cabinet/memos/:id/attachments', access: IN_CABINET, what: 'the drafter or the minister; a form, so never the API client',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 303, 403],
    call: async (f) => ({ method: 'POST', url: `/cabinet/memos/${await paper(f, 'draft')}/attachments`, multipart: [{ name: 'classification', content: 'public' }, { name: 'file', fileName: 'plan.pdf', content: PDF }] }),
  },
  { route: 'POST /cabinet/memos/:id/consultations', access: IN_CABINET, what: 'the secretariat or the submitting ministry asks the Ministry of Trade; the chair only reads',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 403, 303, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/memos/${await paper(f, 'submitted')}/consultations`, json: { agency: 'commerce', dueOn: '2030-01-05' } }) },
  { route: 'POST /cabinet/consultations/:id/reply', access: IN_CABINET, what: 'only the consulted Ministry of Trade replies',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/consultations/${await tradeConsultation(f)}/reply`, json: { reply: 'Trade agrees.' } }) },

  // Meetings
  { route: 'POST /cabinet/meetings', access: SECRETARIAT,                                         expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: () => ({ method: 'POST', url: '/cabinet/meetings', json: { title: 'Cabinet meeting', startsAt: '2030-02-01T09:00', papersDueAt: '2030-01-29T12:00' } }) },
  { route: 'GET /cabinet/meetings/:id', access: IN_CABINET,                                       expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/cabinet/meetings/${(await meeting(f, 'circulated')).id}` }) },
  { route: 'GET /cabinet/meetings/:id/live', access: IN_CABINET,                                  expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/cabinet/meetings/${(await meeting(f, 'in-session')).id}/live` }) },
  { route: 'POST /cabinet/meetings/:id/circulate', access: SECRETARIAT,                           expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'planned')).id}/circulate`, json: {} }) },
  { route: 'POST /cabinet/meetings/:id/consent-agenda', access: SECRETARIAT,                      expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'in-session')).id}/consent-agenda`, json: {} }) },
  { route: 'POST /cabinet/meetings/:id/close', access: SECRETARIAT,                               expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'decided')).id}/close`, json: {} }) },
  { route: 'POST /cabinet/meetings/:id/approve', access: CHAIR,                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'closed')).id}/approve`, json: {} }) },
  { route: 'POST /cabinet/meetings/:id/items', access: SECRETARIAT,                               expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'planned')).id}/items`, json: { memo: await paper(f, 'ready'), track: 'discussion' } }) },
  {
    route: 'POST /cabinet/meetings/:id/attendance', access: SECRETARIAT,                          expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'circulated')).id}/attendance`, json: { present: (await cabinetMembers(f.app.database.db)).map((m) => m.userId) } }),
  },
  { route: 'POST /cabinet/meetings/:id/minutes', access: SECRETARIAT,                             expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/meetings/${(await meeting(f, 'closed')).id}/minutes`, json: { minutes: 'The cabinet met and decided.' } }) },

  // Agenda items
  { route: 'POST /cabinet/items/:id/move', access: SECRETARIAT,                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'planned')).itemId}/move`, json: { direction: 'down' } }) },
  { route: 'POST /cabinet/items/:id/track', access: SECRETARIAT,                                  expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'planned')).itemId}/track`, json: { track: 'discussion' } }) },
  { route: 'POST /cabinet/items/:id/approve-late', access: CHAIR,                                 expect: [401, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${await lateItem(f)}/approve-late`, json: {} }) },
  { route: 'POST /cabinet/items/:id/position', access: MEMBERS, what: 'every minister records one', expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 303, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'circulated')).itemId}/position`, json: { stance: 'agree' } }) },
  { route: 'POST /cabinet/items/:id/decision', access: SECRETARIAT,                               expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'in-session')).itemId}/decision`, json: { outcome: 'adopted' } }) },
  {
    route: 'POST /cabinet/items/:id/recusals', access: SECRETARIAT, what: 'the Minister of Housing steps out',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'in-session')).itemId}/recusals`, json: { member: (await findUserByLogin(f.app.database.db, 'minister.urban'))!.id, reason: 'Owns land along the road' } }),
  },
  { route: 'POST /cabinet/items/:id/publish', access: SECRETARIAT,                                expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'decided')).itemId}/publish`, json: {} }) },

  // Follow-up and publication
  { route: 'POST /cabinet/items/:id/actions', access: SECRETARIAT,                                expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/cabinet/items/${(await meeting(f, 'decided')).itemId}/actions`, json: { agency: 'urban', description: 'Light the main roads', dueOn: '2030-03-01' } }) },
  { route: 'POST /cabinet/actions/:id/progress', access: IN_CABINET, what: 'only the Ministry of Housing, which the action is assigned to, reports',
                                                                                                   expect: [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 303, 403, 303, 303], call: async (f) => ({ method: 'POST', url: `/cabinet/actions/${await housingAction(f)}/progress`, json: { progress: 'Half the roads are lit', done: 'no' } }) },
  { route: 'GET /cabinet/follow-up', access: IN_CABINET,                                          expect: [401, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/cabinet/follow-up' }) },
  { route: 'GET /cabinet/decisions', access: 'public',                                            expect: everyone(200, CABINET), call: () => ({ method: 'GET', url: '/cabinet/decisions' }) },
];

permissionTable({
  covers: PERMISSION_TABLES['src/usecases/ecabinet/routes.scopes.test.ts'],
  rows: ROWS,
  callers: CABINET,
  // The cabinet's accounts (with their clearances) are the demo's, which the test data leaves out.
  setup: (app) => seedEcabinetDemo(app.database.db, { signer: app.signer, messenger: app.messenger, jobs: app.jobs, baseUrl: app.config.baseUrl }),
});
