import { findUserByLogin, principalForUser } from '../blocks/identity/index.ts';
import { demoParcels, demoPeople, type RecordData } from '../blocks/registries/index.ts';
import {
  actOnApplication,
  answerAsApplicant,
  applicationsOf,
  attachDocument,
  reviewApplication,
  saveStep,
  startApplication,
  submitApplication,
  withdrawApplication,
  type RegistrationDeps,
} from '../blocks/registration/index.ts';
import type { Principal } from '../platform/http/access.ts';
import { PDF, PNG } from './sample-files.ts';

const SERVICE = 'construction-permit';

/**
 * What happens to a permit, one move at a time, as the people of the department and the
 * applicant make them: the permit desk (ask, accept, inspections), the ministry's cashier (the
 * fee, paid at the counter), the three reviewing agencies (a bare name agrees, `-objects`
 * objects), the head of the ministry (revise, grant, refuse, appeals) and the applicant (answer,
 * resubmit, appeal, finish, withdraw).
 */
type Move =
  | 'ask' | 'answer' | 'accept' | 'pay'
  | 'urban' | 'fire' | 'water' | 'fire-objects' | 'water-objects'
  | 'visit' | 'visit-fails' | 'revise' | 'resubmit'
  | 'grant' | 'refuse' | 'appeal' | 'allow' | 'dismiss'
  | 'finish' | 'final' | 'final-fails' | 'withdraw';

/** Found complete, and the fee the invoice asks for paid: the technical reviews begin. */
const PAID: Move[] = ['accept', 'pay'];
const AGREED: Move[] = ['urban', 'fire', 'water'];
const REVIEWED: Move[] = [...PAID, ...AGREED];
const OBJECTED: Move[] = [...PAID, 'urban', 'fire', 'water-objects'];
const DECIDING: Move[] = [...REVIEWED, 'visit'];
const GRANTED: Move[] = [...DECIDING, 'grant'];

/**
 * Three permits for each state the department shows, each reached by a different road where the
 * definition has one (an objection or a failed visit, a refusal at the decision or after the
 * objections, an appeal allowed or dismissed), so every worklist and history has something to
 * show. The key is the state the moves end in; the first three roads, one per state, go to
 * Amina's own parcels, so her account has a certificate, a visit and a question to answer. A
 * revised project found complete again goes on without paying twice: its fee is paid already.
 */
const ROADS: Record<string, Move[][]> = {
  completed: [[...GRANTED, 'finish', 'final'], [...GRANTED, 'finish', 'final'], [...GRANTED, 'finish', 'final-fails', 'finish', 'final']],
  'site-inspection': [REVIEWED, ['ask', 'answer', ...REVIEWED], [...OBJECTED, 'revise', 'resubmit', 'accept', ...AGREED]],
  'more-information': [['ask'], ['ask'], ['ask', 'answer', 'ask']],
  completeness: [[], ['ask', 'answer'], [...OBJECTED, 'revise', 'resubmit']],
  payment: [['accept'], ['ask', 'answer', 'accept'], ['ask', 'answer', 'ask', 'answer', 'accept']],
  'technical-review': [PAID, [...PAID, 'urban'], [...PAID, 'fire', 'water']],
  objections: [OBJECTED, [...PAID, 'water', 'urban', 'fire-objects'], [...REVIEWED, 'visit-fails']],
  revision: [[...OBJECTED, 'revise'], [...PAID, 'water', 'urban', 'fire-objects', 'revise'], [...REVIEWED, 'visit-fails', 'revise']],
  decision: [DECIDING, DECIDING, [...DECIDING, 'refuse', 'appeal', 'allow']],
  granted: [GRANTED, GRANTED, [...DECIDING, 'refuse', 'appeal', 'allow', 'grant']],
  // The third is a refusal upheld on appeal: refused for good, a state of its own.
  refused: [[...DECIDING, 'refuse'], [...OBJECTED, 'refuse'], [...DECIDING, 'refuse', 'appeal', 'dismiss']],
  appeal: [[...DECIDING, 'refuse', 'appeal'], [...OBJECTED, 'refuse', 'appeal'], [...DECIDING, 'refuse', 'appeal']],
  'final-inspection': [[...GRANTED, 'finish'], [...GRANTED, 'finish'], [...GRANTED, 'finish', 'final-fails', 'finish']],
  withdrawn: [['withdraw'], [...PAID, 'urban', 'withdraw'], [...OBJECTED, 'revise', 'withdraw']],
};

/** The zoning limits of construction-permit.yaml, less a margin, so every project passes the pre-check. */
const ZONES: Record<string, { uses: string[]; floors: number[]; storey: number; coverage: number; setback: number }> = {
  R1: { uses: ['housing'], floors: [1, 2, 2], storey: 3.2, coverage: 0.35, setback: 5 },
  R2: { uses: ['housing', 'mixed', 'public'], floors: [2, 3, 4], storey: 2.8, coverage: 0.45, setback: 4 },
  C1: { uses: ['shop', 'mixed', 'public', 'shop'], floors: [3, 5, 8, 2], storey: 3.4, coverage: 0.6, setback: 3 },
  I1: { uses: ['industry', 'shop', 'industry'], floors: [1, 2, 1], storey: 6, coverage: 0.5, setback: 6 },
};

const QUARTERS = ['Quartier 7', 'Héron', 'Haramous', 'Balbala, Cité Hodan', 'Plateau du Serpent', 'Gabode 4', 'Arhiba', 'Salines Ouest', 'Quartier 4', 'Cité Progrès', 'PK12', 'Ambouli'];
const STREETS = ['Rue de Rome', 'Avenue Nasser', 'Boulevard de Gaulle', 'Rue Ménélik', 'Avenue Georges Clemenceau', 'Rue de Venise', 'Route de Venise', 'Rue d’Athènes', 'Avenue Maréchal Lyautey', 'Route d’Arta'];

/** What people write at each move; picked by the road's number, so the histories differ. */
const SAID = {
  ask: ['The title deed is not legible: please send a clearer scan.', 'The site plan lacks the north arrow and the scale.', 'Please add the sections of the staircase to the plans.'],
  answer: ['A clearer scan of the deed is attached.', 'The site plan now shows the north arrow and a scale of 1:500.', 'The sections are on sheet A-07.'],
  waterObjects: ['The water main in the street cannot serve another meter before the network is extended.', 'The transformer of the quarter is full: the building needs its own substation.', 'The plans connect the rainwater to the sewer, which the utilities forbid.'],
  fireObjects: ['The stairs are the only way out above the second floor: add a second exit.', 'No room is left for the fire engines along the front of the building.', 'The car park has no smoke extraction.'],
  revise: ['Share one water meter between the dwellings, or wait for the extension of the main.', 'Add an outside fire escape on the courtyard side.', 'Redraw the site plan from a surveyed boundary.'],
  resubmit: ['One shared meter, shown on sheet A-02.', 'An outside stair added on the courtyard side.', 'New site plan drawn by a sworn surveyor.'],
  visitFails: ['The plot is 2 m narrower than the site plan shows.', 'Foundations already poured before the permit.', 'The access road is a track of 3 m, not the 6 m drawn.'],
  refuse: ['The access road is too narrow for fire engines.', 'The project blocks the drainage channel of the quarter.', 'The building would stand on the right of way of the future ring road.'],
  appeal: ['The road was widened last month; see the works order of the town hall.', 'The drainage channel was moved in 2024; the survey is attached.', 'The ring road plan was abandoned by the decree of March.'],
  allow: ['The road is now 6 m wide.', 'The channel no longer crosses the plot.', 'The decree confirms the right of way is released.'],
  dismiss: ['The works order concerns another street.', 'The survey shows the channel still on the plot.', 'The right of way still stands.'],
  finalFails: ['No extinguisher on the stairs.', 'The rainwater is not yet connected to the street drain.', 'One floor more than permitted on the rear wing.'],
  withdraw: ['We are selling the plot.', 'The bank did not grant the loan this year.', 'We will apply again with a smaller project.'],
};

const SITE_PASSED = { boundaries: 'pass', access: 'pass', 'no-early-works': 'pass' };
const WORKS_PASSED = { 'as-permitted': 'pass', 'fire-exits': 'pass', connections: 'pass' };
const PLANS = ['title-deed', 'site-plan', 'architectural-plans'];

interface People {
  amina: Principal;
  omar: Principal;
  desk: Principal;
  fire: Principal;
  utilities: Principal;
  head: Principal;
  cashier: Principal;
}

/** The plot, the parcel as the land register holds it, and a project within its zone's rules. */
function answersFor(parcel: RecordData, road: number): Record<string, Record<string, unknown>> {
  const zone = ZONES[String(parcel.zone)]!;
  const plotArea = Number(parcel.areaM2);
  const floors = zone.floors[road % zone.floors.length]!;
  const footprint = Math.max(20, Math.round(plotArea * (zone.coverage - (road % 4) * 0.04)));
  return {
    plot: { parcelNumber: parcel.parcelNumber, address: `${STREETS[road % STREETS.length]} ${3 + ((road * 7) % 90)}, ${QUARTERS[road % QUARTERS.length]}, Djibouti` },
    parcel: { ownerName: parcel.ownerName, zone: parcel.zone, plotArea: String(plotArea) },
    project: {
      use: zone.uses[road % zone.uses.length],
      floors,
      floorArea: String(Math.round(footprint * floors * 0.92 * 10) / 10),
      height: String(Math.round((floors * zone.storey + 0.8) * 10) / 10),
      footprint: String(footprint),
      setback: String(zone.setback + (road % 3)),
    },
  };
}

/**
 * Construction permits in every state of their workflow, made through the real use cases by the
 * demo's people: Amina on her own parcels (one through Omar, her architect, under her mandate),
 * Omar for his other clients, whose parcels the land register names. The permit's definition
 * asks for the fee once the file is complete: the ministry's cashier takes it at the counter,
 * through the payments block, and the settlement moves the case on as it would any payment.
 * A permit is known by its parcel: a second run finds each one and makes none again.
 */
export async function seedDemoPermits(deps: RegistrationDeps): Promise<string[]> {
  const people = await peopleOf(deps);
  if (!people) return [];
  const known = new Set<unknown>();
  for (const who of [people.amina, people.omar]) {
    for (const application of await applicationsOf(deps.db, { userId: who.id, partyId: who.partyId! }, 1000)) {
      if (application.service_id === SERVICE) known.add(application.data.parcelNumber);
    }
  }
  const parcels = demoParcels(demoPeople());
  const roads = [0, 1, 2].flatMap((variant) => Object.values(ROADS).map((byState) => byState[variant]!));
  let made = 0;
  for (const [i, moves] of roads.entries()) {
    const parcel = parcels[i]!;
    if (known.has(parcel.parcelNumber)) continue;
    // Amina owns the first three parcels of the register; Omar files the third for her.
    const [applicant, onBehalfOf] = i < 2 ? [people.amina, null] : i === 2 ? [people.omar, people.amina.partyId] : [people.omar, null];
    const id = await submitPermit(deps, applicant, onBehalfOf, answersFor(parcel, i));
    for (const move of moves) await makeMove(deps, people, applicant, id, move, i % 3);
    made++;
  }
  return made === 0 ? [] : [`${made} construction permits in every state of their workflow`];
}

async function peopleOf(deps: RegistrationDeps): Promise<People | null> {
  const principal = async (login: string) => {
    const user = await findUserByLogin(deps.db, login);
    return user ? principalForUser(deps.db, user.id, null) : null;
  };
  const [amina, omar, desk, fire, utilities, head, cashier] = await Promise.all(['amina', 'omar.architect', 'officer.permits', 'officer.fire', 'officer.utilities', 'head.urban', 'cashier.urban'].map(principal));
  return amina && omar && desk && fire && utilities && head && cashier ? { amina, omar, desk, fire, utilities, head, cashier } : null;
}

/** A draft answered step by step, its plans attached, and sent: the permit desk's completeness check. */
async function submitPermit(deps: RegistrationDeps, applicant: Principal, onBehalfOf: string | null, answers: Record<string, Record<string, unknown>>): Promise<string> {
  const base = { principal: applicant, requestId: 'seed' };
  const draft = await startApplication(deps, { serviceId: SERVICE, onBehalfOf, locale: applicant.locale ?? 'fr', ...base });
  for (const [stepId, stepAnswers] of Object.entries(answers)) await saveStep(deps, { applicationId: draft.id, stepId, answers: stepAnswers, ...base });
  for (const documentType of PLANS) await attachDocument(deps, { applicationId: draft.id, upload: { documentType, fileName: `${documentType}.pdf`, bytes: PDF }, ...base });
  await submitApplication(deps, { applicationId: draft.id, ...base });
  return draft.id;
}

/** Make one move as the person whose move it is; `n` picks what they write. */
async function makeMove(deps: RegistrationDeps, people: People, applicant: Principal, applicationId: string, move: Move, n: number): Promise<void> {
  const act = (principal: Principal, actionId: string, inputs: Record<string, unknown> = {}, photo = false) =>
    actOnApplication(deps, { applicationId, actionId, inputs, uploads: photo ? [{ documentType: 'photos', fileName: 'site.png', bytes: PNG }] : [], principal, requestId: 'seed' });
  const review = (principal: Principal, reviewId: string, opinion: 'agree' | 'object', conditions = '') => reviewApplication(deps, { applicationId, reviewId, opinion, conditions, principal, requestId: 'seed' });
  const answer = (actionId: string, inputs: Record<string, unknown>) => answerAsApplicant(deps, { applicationId, actionId, inputs, uploads: [], principal: applicant, requestId: 'seed' });
  const today = new Date().toISOString().slice(0, 10);
  // Payments announce a settlement through the job queue; it is delivered before the next move,
  // which needs the case moved on (a revised project, its fee paid before, moves on by itself).
  const settled = async (work: Promise<unknown>) => {
    await work;
    await deps.jobs.drain();
  };
  const moves: Record<Move, () => Promise<unknown>> = {
    ask: () => act(people.desk, 'request-information', { message: SAID.ask[n] }),
    answer: () => answer('answer', { answer: SAID.answer[n] }),
    accept: () => settled(act(people.desk, 'accept', { checks: ['deed-matches-parcel', 'plans-signed', 'site-plan-readable'] })),
    pay: () => settled(payAtCounter(deps, people.cashier, applicationId)),
    urban: () => review(people.desk, 'urban-planning', 'agree'),
    fire: () => review(people.fire, 'fire-safety', 'agree'),
    water: () => review(people.utilities, 'utilities', 'agree'),
    'fire-objects': () => review(people.fire, 'fire-safety', 'object', SAID.fireObjects[n]),
    'water-objects': () => review(people.utilities, 'utilities', 'object', SAID.waterObjects[n]),
    visit: () => act(people.desk, 'record-inspection', { checklist: SITE_PASSED, result: 'pass', remarks: 'Plot pegged out as drawn.' }, true),
    'visit-fails': () => act(people.desk, 'record-inspection', { checklist: { ...SITE_PASSED, boundaries: 'fail' }, result: 'fail', remarks: SAID.visitFails[n] }, true),
    revise: () => act(people.head, 'ask-revision', { changes: SAID.revise[n] }),
    resubmit: () => answer('resubmit', { changesMade: SAID.resubmit[n] }),
    grant: () => act(people.head, 'grant'),
    refuse: () => act(people.head, 'refuse', { reason: SAID.refuse[n] }),
    appeal: () => answer('appeal', { grounds: SAID.appeal[n] }),
    allow: () => act(people.head, 'allow-appeal', { findings: SAID.allow[n] }),
    dismiss: () => act(people.head, 'dismiss-appeal', { reason: SAID.dismiss[n] }),
    finish: () => answer('declare-completion', { finishedOn: today }),
    final: () => act(people.desk, 'record-final-inspection', { checklist: WORKS_PASSED, result: 'pass', remarks: 'Built as permitted.' }, true),
    'final-fails': () => act(people.desk, 'record-final-inspection', { checklist: { ...WORKS_PASSED, 'fire-exits': 'fail' }, result: 'fail', remarks: SAID.finalFails[n] }, true),
    withdraw: () => withdrawApplication(deps, { applicationId, reason: SAID.withdraw[n]!, principal: applicant, requestId: 'seed' }),
  };
  await moves[move]();
}

/** The cashier takes the cash for the application's open invoice, as on the counter's page. */
async function payAtCounter(deps: RegistrationDeps, cashier: Principal, applicationId: string): Promise<void> {
  const open = (await deps.payments.invoicesFor(deps.db, 'application', applicationId)).find((i) => i.state === 'open');
  if (!open) throw new Error(`No fee to pay on ${applicationId}`);
  await deps.payments.recordCash({ invoiceId: open.id, tendered: open.amount, principal: cashier, requestId: 'seed' });
}
