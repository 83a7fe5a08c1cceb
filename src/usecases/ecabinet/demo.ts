import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { Signer } from '../../blocks/esignature/index.ts';
import { createAgency, createUser, findAgencyByCode, findUserByLogin, principalForUser, type NewUser } from '../../blocks/identity/index.ts';
import type { Messenger } from '../../blocks/messaging/index.ts';
import { CHAIR, DELEGATE, DRAFTER, LEGAL, MINISTER, SECRETARIAT, setClearance, viewerOf, type Level } from './clearance.ts';
import { addAction, addItem, publishDecision, adoptConsentAgenda, approveMinutes, circulate, closeMeeting, createMeeting, recordAttendance, recordDecision, recordPosition, agendaOf, cabinetMembers } from './meetings.ts';
import { createMemo, requestConsultation, replyToConsultation, takeStep, type MemoStep, type MemoText } from './memos.ts';

const PASSWORD = 'daftari-demo-2026';

const EXTRA_AGENCIES = [{ code: 'education', kind: 'ministry', names: { en: 'Ministry of Education', fr: "Ministère de l'Éducation", ar: 'وزارة التعليم', sw: 'Wizara ya Elimu', ru: 'Министерство образования', tg: 'Вазорати маориф' } }] as const;

interface CabinetAccount {
  username: string;
  displayName: string;
  what: string;
  role: string;
  agency: string;
  clearance: Level | null;
  locale?: string;
}

/** The cabinet's demo accounts (password daftari-demo-2026), for the README. */
export const ECABINET_DEMO_ACCOUNTS: CabinetAccount[] = [
  { username: 'pm.chair', displayName: 'Abdoulkader Kamil', what: 'Prime Minister, chairs the cabinet (clearance: secret)', role: CHAIR, agency: 'pmo', clearance: 'secret' },
  { username: 'cabinet.secretariat', displayName: 'Nasra Houmed', what: 'cabinet secretariat: agendas, meetings, minutes, follow-up, clearances (secret)', role: SECRETARIAT, agency: 'pmo', clearance: 'secret' },
  { username: 'minister.urban', displayName: 'Amina Abdi', what: 'Minister of Housing and Urban Planning (confidential)', role: MINISTER, agency: 'urban', clearance: 'confidential', locale: 'fr' },
  { username: 'minister.trade', displayName: 'Mohamed Daoud', what: 'Minister of Trade (restricted: refused confidential papers)', role: MINISTER, agency: 'commerce', clearance: null },
  { username: 'minister.finance', displayName: 'Ilyas Dawaleh', what: 'Minister of Finance (secret)', role: MINISTER, agency: 'finance', clearance: 'secret' },
  { username: 'minister.health', displayName: 'Ahmed Robleh', what: 'Minister of Health (restricted)', role: MINISTER, agency: 'health', clearance: null, locale: 'ar' },
  { username: 'minister.education', displayName: 'Moustapha Ibrahim', what: 'Minister of Education (restricted)', role: MINISTER, agency: 'education', clearance: null },
  { username: 'delegate.urban', displayName: 'Farhan Aden', what: "delegate of the Minister of Housing: reads papers, records the ministry's positions (restricted)", role: DELEGATE, agency: 'urban', clearance: null },
  { username: 'drafter.urban', displayName: 'Hibo Said', what: 'drafts the Ministry of Housing’s cabinet memos (confidential)', role: DRAFTER, agency: 'urban', clearance: 'confidential' },
  { username: 'legal.urban', displayName: 'Yacin Elmi', what: 'legal reviewer of the Ministry of Housing (confidential)', role: LEGAL, agency: 'urban', clearance: 'confidential' },
  { username: 'drafter.trade', displayName: 'Zahra Ali', what: 'drafts the Ministry of Trade’s cabinet memos (restricted)', role: DRAFTER, agency: 'commerce', clearance: null },
];

const PAST_MEETING = 'Cabinet meeting of 16 November 2026';
const NEXT_MEETING = 'Cabinet meeting of 30 November 2026';

function memo(title: string, classification: Level, summary: string, proposedDecision: string, cost = ''): MemoText {
  return { title, summary, proposedDecision, cost, classification };
}

/**
 * A seeded cabinet: its members and staff, memos at every stage, a past meeting with signed
 * minutes, numbered decisions (one public) and follow-up actions, and the next meeting being
 * prepared. Safe to run on every start: accounts are added when missing, the cabinet's papers once.
 */
export async function seedEcabinetDemo(db: Db, deps: { signer: Signer; messenger: Messenger; jobs: JobQueue; baseUrl: string }): Promise<string[]> {
  const created: string[] = [];
  for (const agency of EXTRA_AGENCIES) {
    if (await findAgencyByCode(db, agency.code)) continue;
    await createAgency(db, { code: agency.code, kind: agency.kind, names: agency.names, parentCode: 'gov' });
    created.push(`agency ${agency.code}`);
  }
  const principals = new Map<string, Principal>();
  for (const account of ECABINET_DEMO_ACCOUNTS) {
    let user = await findUserByLogin(db, account.username);
    if (!user) {
      const input: NewUser = { username: account.username, displayName: account.displayName, email: `${account.username}@daftari.localhost`, locale: account.locale ?? null, password: PASSWORD, roles: [{ role: account.role, agencyCode: account.agency }] };
      user = await createUser(db, input);
      created.push(`account ${account.username}`);
    }
    principals.set(account.username, (await principalForUser(db, user.id, null))!);
  }
  const as = (username: string) => principals.get(username)!;
  const seeded = (await sql`SELECT 1 FROM ecabinet_meetings WHERE title = ${PAST_MEETING}`.execute(db)).rows.length > 0;
  if (seeded) return created;

  const admin = as('cabinet.secretariat');
  for (const account of ECABINET_DEMO_ACCOUNTS) {
    if (account.clearance) await setClearance(db, null, { username: account.username, level: account.clearance }, 'seed');
  }
  const viewer = (username: string) => viewerOf(db, as(username));
  const steps = async (username: string, id: string, ...names: MemoStep[]) => {
    for (const name of names) await takeStep(db, await viewer(username === '*' ? stepActor(name) : username), id, name, 'seed');
  };
  const stepActor = (name: MemoStep) => ({ 'send-to-legal': 'drafter.urban', clear: 'legal.urban', return: 'legal.urban', submit: 'minister.urban', 'mark-ready': 'cabinet.secretariat' })[name];
  const draft = async (username: string, text: MemoText) => (await createMemo(db, await viewer(username), text, 'seed')).id;

  // The past meeting: a consent item passed as a block, a discussed one amended, signed minutes.
  const registration = await draft('drafter.urban', memo('Online building permits for all municipalities', 'public', 'Extends the online building permit service, already used in Djibouti city, to every municipality by June 2027.', 'The cabinet approves the extension of online building permits to all municipalities by 30 June 2027.', 'DJF 45,000,000 over two years, within the ministry budget'));
  await steps('*', registration, 'send-to-legal', 'clear', 'submit', 'mark-ready');
  const land = await draft('drafter.urban', memo('Land acquisition for the port access road', 'confidential', 'Negotiated purchase of 14 parcels along the planned port access road; prices and owners are in the annex.', 'The cabinet authorises the Minister of Housing to conclude the purchases within the envelope in the annex.', 'See the confidential annex'));
  await steps('*', land, 'send-to-legal', 'clear', 'submit', 'mark-ready');
  const past = await createMeeting(db, admin, { title: PAST_MEETING, startsAt: new Date('2026-11-16T09:00:00Z'), papersDueAt: new Date('2026-11-13T12:00:00Z') }, 'seed');
  const pastNow = new Date('2026-11-12T12:00:00Z');
  await addItem(db, await viewer('cabinet.secretariat'), past.id, { memoId: registration, track: 'consent' }, 'seed', pastNow);
  await addItem(db, await viewer('cabinet.secretariat'), past.id, { memoId: land, track: 'discussion' }, 'seed', pastNow);
  await circulate(db, deps, await viewer('cabinet.secretariat'), past.id, 'seed');
  const pastItems = await agendaOf(db, await viewer('cabinet.secretariat'), past.id);
  await recordPosition(db, await viewer('minister.finance'), pastItems[1]!.id, { stance: 'comment', reason: 'Finance asks for payment in two instalments.', wantsToSpeak: true }, 'seed');
  await recordPosition(db, await viewer('minister.trade'), pastItems[0]!.id, { stance: 'agree', reason: '', wantsToSpeak: false }, 'seed');
  // Everyone came but one minister.
  const members = await cabinetMembers(db);
  await recordAttendance(db, await viewer('cabinet.secretariat'), past.id, members.slice(0, -1).map((m) => m.userId), 'seed');
  await adoptConsentAgenda(db, await viewer('cabinet.secretariat'), past.id, 'seed');
  await recordDecision(db, await viewer('cabinet.secretariat'), pastItems[1]!.id, { outcome: 'amended', text: 'The cabinet authorises the purchases, paid in two instalments in 2027 and 2028.', votes: null, public: false }, 'seed');
  await closeMeeting(db, await viewer('cabinet.secretariat'), past.id, 'en', 'seed');
  await approveMinutes(db, deps.signer, await viewer('pm.chair'), past.id, 'en', 'seed');
  await publishDecision(db, await viewer('cabinet.secretariat'), pastItems[0]!.id, 'seed');
  await addAction(db, deps.jobs, await viewer('cabinet.secretariat'), pastItems[0]!.id, { agency: 'urban', description: 'Open the online service in Ali Sabieh and Dikhil', dueOn: '2026-11-20' }, 'seed');
  await addAction(db, deps.jobs, await viewer('cabinet.secretariat'), pastItems[0]!.id, { agency: 'urban', description: 'Open the online service in every municipality', dueOn: '2027-06-30' }, 'seed');
  created.push(`cabinet meeting "${PAST_MEETING}" with signed minutes`);

  // Memos at every stage before a meeting, and the next meeting being prepared.
  await draft('drafter.urban', memo('Social housing programme 2027', 'restricted', 'Builds 1,200 social housing units in Balbala over three years.', 'The cabinet adopts the social housing programme 2027–2029.', 'DJF 2,400,000,000'));
  const code = await draft('drafter.urban', memo('Revision of the building code', 'public', 'Brings the building code in line with current seismic standards.', 'The cabinet approves the draft decree revising the building code.'));
  await steps('*', code, 'send-to-legal');
  const tenancy = await draft('drafter.urban', memo('Tenancy deposit protection', 'public', 'Deposits are held by a public fund and returned within 30 days of the end of a lease.', 'The cabinet approves the draft law on tenancy deposits.'));
  await steps('*', tenancy, 'send-to-legal', 'clear');
  await draft('drafter.trade', memo('Opening hours of public markets', 'public', 'Allows municipal markets to open until 22:00.', 'The cabinet approves the decree on market opening hours.'));
  const zoning = await draft('drafter.urban', memo('Zoning plan for the free zone extension', 'restricted', 'Zoning of 40 hectares next to the Djibouti free zone.', 'The cabinet adopts the zoning plan.'));
  await steps('*', zoning, 'send-to-legal', 'clear', 'submit');
  await requestConsultation(db, await viewer('cabinet.secretariat'), zoning, { agency: 'commerce', dueOn: '2026-11-27' }, 'seed');
  await requestConsultation(db, await viewer('cabinet.secretariat'), zoning, { agency: 'finance', dueOn: '2026-11-27' }, 'seed');
  const consultation = (await sql<{ id: string }>`SELECT id FROM ecabinet_consultations WHERE memo_id = ${zoning} AND agency_id = ${as('minister.trade').roles[0]!.agencyId}`.execute(db)).rows[0]!;
  await replyToConsultation(db, await viewer('minister.trade'), consultation.id, 'Trade supports the plan and asks that 5 hectares be kept for warehouses.', 'seed');
  const school = await draft('drafter.urban', memo('School building standards', 'public', 'Common standards for new school buildings, agreed with the Ministry of Education.', 'The cabinet approves the school building standards.'));
  await steps('*', school, 'send-to-legal', 'clear', 'submit', 'mark-ready');
  const next = await createMeeting(db, admin, { title: NEXT_MEETING, startsAt: new Date('2026-11-30T09:00:00Z'), papersDueAt: new Date('2026-11-27T12:00:00Z') }, 'seed');
  await addItem(db, await viewer('cabinet.secretariat'), next.id, { memoId: school, track: 'consent' }, 'seed', pastNow);
  created.push(`cabinet memos at every stage and "${NEXT_MEETING}" in preparation`);
  return created;
}
