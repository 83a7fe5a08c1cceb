import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { isLocale, translator, type Locale, type Translate } from '../../platform/i18n/index.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf, recordAudit, type AuditActor } from '../../blocks/audit/index.ts';
import type { Signer } from '../../blocks/esignature/index.ts';
import { findAgencyByCode, holdersOfRole, listAgencies } from '../../blocks/identity/index.ts';
import type { Messenger } from '../../blocks/messaging/index.ts';
import { CHAIR, DELEGATE, isChair, isSecretariat, MINISTER, MEMBER_ROLES, notifiableTitle, readableMemo, SECRETARIAT, type Level, type Viewer } from './clearance.ts';
import { readableMemoById } from './memos.ts';

export type MeetingState = 'planned' | 'circulated' | 'in-session' | 'closed' | 'approved';
export type Track = 'discussion' | 'consent';
export type Outcome = 'adopted' | 'amended' | 'deferred' | 'rejected';
export type Stance = 'agree' | 'object' | 'comment';

export interface Meeting {
  id: string;
  title: string;
  startsAt: Date;
  papersDueAt: Date;
  state: MeetingState;
  circulatedAt: Date | null;
  minutes: string | null;
  minutesDocumentId: string | null;
  minutesVerifyUrl: string | null;
}

export interface Item {
  id: string;
  meetingId: string;
  memoId: string;
  position: number;
  track: Track;
  movedByObjection: boolean;
  late: boolean;
  lateApproved: boolean;
  outcome: Outcome | null;
  decisionText: string | null;
  votes: { for: number; against: number; abstain: number } | null;
  public: boolean;
  decisionNumber: string | null;
  title: string;
  classification: Level;
  agencyId: string;
  proposedDecision: string;
}

export interface Member {
  userId: string;
  name: string;
  email: string | null;
  phone: string | null;
  locale: string | null;
  agencyId: string;
  role: string;
}

const MEETING_COLUMNS = sql`id, title, starts_at AS "startsAt", papers_due_at AS "papersDueAt", state, circulated_at AS "circulatedAt", minutes, minutes_document_id AS "minutesDocumentId", minutes_verify_url AS "minutesVerifyUrl"`;
const ITEM_COLUMNS = sql`i.id, i.meeting_id AS "meetingId", i.memo_id AS "memoId", i.position, i.track, i.moved_by_objection AS "movedByObjection", i.late, (i.late_approved_by IS NOT NULL) AS "lateApproved",
  i.outcome, i.decision_text AS "decisionText", i.votes, i.public, i.decision_number AS "decisionNumber", m.title, m.classification, m.agency_id AS "agencyId", m.proposed_decision AS "proposedDecision"`;

function requireSecretariat(principal: Principal): void {
  if (!isSecretariat(principal)) throw Problem.forbidden('Only the cabinet secretariat does this.');
}

export async function createMeeting(db: Db, principal: Principal, input: { title: string; startsAt: Date; papersDueAt: Date }, requestId: string): Promise<Meeting> {
  requireSecretariat(principal);
  if (input.papersDueAt > input.startsAt) throw Problem.invalidField('/body/papersDueAt', 'papers are circulated before the meeting', 'ecabinetPapersAfterMeeting');
  return db.transaction().execute(async (trx) => {
    const id = randomUUID();
    await sql`INSERT INTO ecabinet_meetings (id, title, starts_at, papers_due_at, state, created_by) VALUES (${id}, ${input.title}, ${input.startsAt}, ${input.papersDueAt}, 'planned', ${JSON.stringify(actorOf(principal))}::jsonb)`.execute(trx);
    await recordAudit(trx, { actor: actorOf(principal), action: 'ecabinet.create-meeting', subjectType: 'cabinet-meeting', subjectId: id, requestId });
    return (await meetingById(trx, id))!;
  });
}

export async function meetingById(executor: Executor, id: string, opts: { lock?: boolean } = {}): Promise<Meeting | undefined> {
  return (await sql<Meeting>`SELECT ${MEETING_COLUMNS} FROM ecabinet_meetings WHERE id = ${id} ${opts.lock ? sql`FOR UPDATE` : sql``}`.execute(executor)).rows[0];
}

async function requireMeeting(executor: Executor, id: string, states: MeetingState[]): Promise<Meeting> {
  const meeting = await meetingById(executor, id, { lock: true });
  if (!meeting) throw Problem.notFound('No cabinet meeting has this id.');
  if (!states.includes(meeting.state)) throw Problem.conflict(`The meeting is ${meeting.state}; this is done when it is ${states.join(' or ')}.`);
  return meeting;
}

export async function meetingOfItem(executor: Executor, itemId: string): Promise<string | undefined> {
  return (await sql<{ id: string }>`SELECT meeting_id AS id FROM ecabinet_items WHERE id = ${itemId}`.execute(executor)).rows[0]?.id;
}

export async function listMeetings(executor: Executor): Promise<Meeting[]> {
  return (await sql<Meeting>`SELECT ${MEETING_COLUMNS} FROM ecabinet_meetings ORDER BY starts_at DESC LIMIT 50`.execute(executor)).rows;
}

/** The agenda as this viewer may see it: items on papers beyond their clearance or role are left out. */
export async function agendaOf(executor: Executor, viewer: Viewer, meetingId: string): Promise<Item[]> {
  return (await sql<Item>`SELECT ${ITEM_COLUMNS} FROM ecabinet_items i JOIN ecabinet_memos m ON m.id = i.memo_id WHERE i.meeting_id = ${meetingId} AND ${readableMemo(viewer)} ORDER BY i.position`.execute(executor)).rows;
}

/** Every item, for the secretariat's own bookkeeping inside a transaction (never shown as such). */
async function allItems(executor: Executor, meetingId: string): Promise<Item[]> {
  return (await sql<Item>`SELECT ${ITEM_COLUMNS} FROM ecabinet_items i JOIN ecabinet_memos m ON m.id = i.memo_id WHERE i.meeting_id = ${meetingId} ORDER BY i.position`.execute(executor)).rows;
}

async function itemForUpdate(trx: Tx, viewer: Viewer, itemId: string): Promise<Item> {
  const row = (await sql<{ memoId: string }>`SELECT memo_id AS "memoId" FROM ecabinet_items WHERE id = ${itemId} FOR UPDATE`.execute(trx)).rows[0];
  if (!row) throw Problem.notFound('No agenda item has this id.');
  await readableMemoById(trx, viewer, row.memoId);
  return (await sql<Item>`SELECT ${ITEM_COLUMNS} FROM ecabinet_items i JOIN ecabinet_memos m ON m.id = i.memo_id WHERE i.id = ${itemId}`.execute(trx)).rows[0]!;
}

/** Put a ready memo on the agenda; after circulation or the papers deadline it is late and waits for the chair. */
export async function addItem(db: Db, viewer: Viewer, meetingId: string, input: { memoId: string; track: Track }, requestId: string, now = new Date()): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const meeting = await requireMeeting(trx, meetingId, ['planned', 'circulated']);
    const memo = await readableMemoById(trx, viewer, input.memoId, { lock: true });
    if (memo.state !== 'ready') throw Problem.conflict('Only a memo the secretariat has marked ready goes on an agenda.');
    const late = meeting.state === 'circulated' || meeting.papersDueAt < now;
    const next = (await sql<{ next: number }>`SELECT coalesce(max(position), 0) + 1 AS next FROM ecabinet_items WHERE meeting_id = ${meetingId}`.execute(trx)).rows[0]!.next;
    const id = randomUUID();
    await sql`INSERT INTO ecabinet_items (id, meeting_id, memo_id, position, track, late) VALUES (${id}, ${meetingId}, ${memo.id}, ${next}, ${input.track}, ${late})`.execute(trx);
    await sql`UPDATE ecabinet_memos SET state = 'scheduled', updated_at = now() WHERE id = ${memo.id}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.add-item', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { item: id, memo: memo.id, track: input.track, late } });
  });
}

/** Swap an item with its neighbour above or below. */
export async function moveItem(db: Db, viewer: Viewer, itemId: string, direction: 'up' | 'down', requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['planned', 'circulated']);
    const neighbour = (await sql<{ id: string; position: number }>`
      SELECT id, position FROM ecabinet_items WHERE meeting_id = ${item.meetingId} AND position ${direction === 'up' ? sql`<` : sql`>`} ${item.position}
      ORDER BY position ${direction === 'up' ? sql`DESC` : sql`ASC`} LIMIT 1 FOR UPDATE`.execute(trx)).rows[0];
    if (!neighbour) return;
    await sql`UPDATE ecabinet_items SET position = CASE WHEN id = ${item.id} THEN ${neighbour.position}::int ELSE ${item.position}::int END WHERE id IN (${item.id}, ${neighbour.id})`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.move-item', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: item.id, direction } });
  });
}

export async function setTrack(db: Db, viewer: Viewer, itemId: string, track: Track, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['planned', 'circulated']);
    if (track === 'consent' && (await objectionsTo(trx, itemId)) > 0) throw Problem.conflict('A minister objects to this item: it is discussed.');
    await sql`UPDATE ecabinet_items SET track = ${track} WHERE id = ${itemId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.set-track', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId, track } });
  });
}

async function objectionsTo(executor: Executor, itemId: string): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ecabinet_positions WHERE item_id = ${itemId} AND stance = 'object'`.execute(executor)).rows[0]!.n;
}

export async function approveLateItem(db: Db, viewer: Viewer, itemId: string, requestId: string): Promise<void> {
  if (!isChair(viewer.principal)) throw Problem.forbidden('Only the chair admits a late item.');
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['planned', 'circulated', 'in-session']);
    if (!item.late) throw Problem.conflict('This item was on time.');
    await sql`UPDATE ecabinet_items SET late_approved_by = ${JSON.stringify(actorOf(viewer.principal))}::jsonb WHERE id = ${itemId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.approve-late-item', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId } });
  });
}

/** Who is on the roll of a meeting: the chair, the ministers and the delegates who may stand in for them. */
export const ROLL_ROLES = [CHAIR, MINISTER, DELEGATE];

/** The holders of these roles (by default the roll), each once, with the ministry they sit for; the chair first. */
export async function cabinetMembers(executor: Executor, roles: string[] = ROLL_ROLES): Promise<Member[]> {
  const members = new Map<string, Member>();
  for (const agency of await listAgencies(executor)) {
    for (const role of roles) {
      for (const holder of await holdersOfRole(executor, role, agency.id)) {
        if (!members.has(holder.id)) members.set(holder.id, { userId: holder.id, name: holder.display_name, email: holder.email, phone: holder.phone, locale: holder.locale, agencyId: agency.id, role });
      }
    }
  }
  return [...members.values()].sort((a, b) => Number(b.role === CHAIR) - Number(a.role === CHAIR) || a.name.localeCompare(b.name));
}

/**
 * Tell a member, through the messaging block: by e-mail when they have an address, and by SMS when
 * they have a mobile number. The texts are the caller's, which never carry a classified title.
 */
async function tellMember(messenger: Messenger, trx: Tx, member: Member, message: { subject: string; body: string; sms: string; about: { type: string; id: string }; template: string; dedupeKey: string; actor?: AuditActor; requestId?: string }): Promise<void> {
  const common = { locale: isLocale(member.locale) ? member.locale : 'en', about: message.about, template: message.template, userId: member.userId, ...(message.actor ? { actor: message.actor } : {}), ...(message.requestId ? { requestId: message.requestId } : {}) };
  if (member.email) await messenger.queue(trx, { ...common, channel: 'email', to: member.email, subject: message.subject, body: message.body, dedupeKey: `${message.dedupeKey}:${member.userId}` });
  if (member.phone) await messenger.queue(trx, { ...common, channel: 'sms', to: member.phone, body: message.sms, dedupeKey: `${message.dedupeKey}:${member.userId}:sms` });
}

const reachable = (m: Member) => Boolean(m.email || m.phone);

/**
 * Circulate the agenda with its papers: members are told by e-mail and SMS, and a message names
 * only public papers (the others are "a confidential item"), for messages leave the government's
 * hands; the SMS names none, only how many items there are.
 */
export async function circulate(db: Db, notify: { messenger: Messenger; baseUrl: string }, viewer: Viewer, meetingId: string, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  const recipients = (await cabinetMembers(db, [CHAIR, MINISTER, DELEGATE])).filter(reachable);
  await db.transaction().execute(async (trx) => {
    const meeting = await requireMeeting(trx, meetingId, ['planned']);
    const items = await allItems(trx, meetingId);
    if (items.length === 0) throw Problem.conflict('The agenda has no items yet.');
    await sql`UPDATE ecabinet_meetings SET state = 'circulated', circulated_at = now() WHERE id = ${meetingId}`.execute(trx);
    for (const member of recipients) {
      const t = translator(isLocale(member.locale) ? member.locale : 'en');
      const list = items.map((item) => `${item.position}. ${notifiableTitle(t, item)}`).join('\n');
      const link = `${notify.baseUrl}/cabinet/meetings/${meetingId}`;
      await tellMember(notify.messenger, trx, member, {
        subject: t('ecabinet.mail.circulatedSubject', { meeting: meeting.title }),
        body: t('ecabinet.mail.circulatedBody', { meeting: meeting.title, items: list, link }),
        sms: t('ecabinet.sms.circulated', { meeting: meeting.title, count: items.length, link }),
        about: { type: 'cabinet-meeting', id: meetingId },
        template: 'ecabinet.agenda-circulated',
        dedupeKey: `ecabinet-circulated:${meetingId}`,
        actor: actorOf(viewer.principal),
        requestId,
      });
    }
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.circulate-agenda', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { items: items.length, notified: recipients.length } });
  });
}

/** The ministry a member records positions for, and whether they do so as its delegate rather than its minister. */
export function memberSeat(principal: Principal): { agencyId: string; delegate: boolean } | null {
  const grant = MEMBER_ROLES.map((role) => principal.roles.find((g) => g.role === role && g.agencyId)).find(Boolean);
  return grant?.agencyId ? { agencyId: grant.agencyId, delegate: grant.role === DELEGATE } : null;
}

export function memberMinistry(principal: Principal): string | null {
  return memberSeat(principal)?.agencyId ?? null;
}

/**
 * A minister's (or delegate's) position on an item before the meeting, one per ministry; an
 * objection takes a consent item to discussion. A delegate records it for the minister, and the
 * record names both; once the minister has recorded the ministry's position themself, a delegate
 * no longer changes it (the minister may still replace a delegate's).
 */
export async function recordPosition(db: Db, viewer: Viewer, itemId: string, input: { stance: Stance; reason: string; wantsToSpeak: boolean }, requestId: string): Promise<{ movedToDiscussion: boolean }> {
  const seat = memberSeat(viewer.principal);
  if (!seat) throw Problem.forbidden('Only ministers and their delegates record positions.');
  const { agencyId } = seat;
  if (input.stance === 'object' && !input.reason.trim()) throw Problem.invalidField('/body/reason', 'say why you object', 'ecabinetReasonNeeded');
  return db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['circulated']);
    const actor = actorOf(viewer.principal);
    let actingFor: AuditActor | null = null;
    if (seat.delegate) {
      const current = (await sql<{ byDelegate: boolean }>`SELECT by_delegate AS "byDelegate" FROM ecabinet_positions WHERE item_id = ${itemId} AND agency_id = ${agencyId} FOR UPDATE`.execute(trx)).rows[0];
      if (current && !current.byDelegate) throw Problem.conflict("The minister has recorded the ministry's position; a delegate does not replace it.");
      const minister = (await holdersOfRole(trx, MINISTER, agencyId))[0];
      actingFor = minister ? { type: 'user', id: minister.id, name: minister.display_name } : null;
    }
    await sql`
      INSERT INTO ecabinet_positions (item_id, agency_id, stance, reason, wants_to_speak, recorded_by, by_delegate, acting_for)
      VALUES (${itemId}, ${agencyId}, ${input.stance}, ${input.reason}, ${input.wantsToSpeak}, ${JSON.stringify(actor)}::jsonb, ${seat.delegate}, ${actingFor ? JSON.stringify(actingFor) : null}::jsonb)
      ON CONFLICT (item_id, agency_id) DO UPDATE SET stance = EXCLUDED.stance, reason = EXCLUDED.reason, wants_to_speak = EXCLUDED.wants_to_speak, recorded_by = EXCLUDED.recorded_by,
        by_delegate = EXCLUDED.by_delegate, acting_for = EXCLUDED.acting_for, recorded_at = now()`.execute(trx);
    const movedToDiscussion = input.stance === 'object' && item.track === 'consent';
    if (movedToDiscussion) await sql`UPDATE ecabinet_items SET track = 'discussion', moved_by_objection = true WHERE id = ${itemId}`.execute(trx);
    await recordAudit(trx, { actor, agencyId, action: 'ecabinet.record-position', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId, stance: input.stance, movedToDiscussion, ...(seat.delegate ? { actingFor } : {}) } });
    return { movedToDiscussion };
  });
}

export interface Position {
  itemId: string;
  agencyId: string;
  stance: Stance;
  reason: string;
  wantsToSpeak: boolean;
  recordedBy: AuditActor;
  /** The minister a delegate recorded it for (null when the minister did, or the ministry has none). */
  actingFor: AuditActor | null;
}

export async function positionsOn(executor: Executor, itemIds: string[]): Promise<Position[]> {
  if (itemIds.length === 0) return [];
  return (await sql<Position>`SELECT item_id AS "itemId", agency_id AS "agencyId", stance, reason, wants_to_speak AS "wantsToSpeak", recorded_by AS "recordedBy", acting_for AS "actingFor" FROM ecabinet_positions WHERE item_id = ANY(${itemIds}::uuid[]) ORDER BY recorded_at`.execute(executor)).rows;
}

export interface Attendance {
  userId: string;
  name: string;
  present: boolean;
  /** The ministry (or the chair's office) the person sits for; null on rolls older than seats. */
  agencyId: string | null;
  role: string;
}

export async function attendanceAt(executor: Executor, meetingId: string): Promise<Attendance[]> {
  return (await sql<Attendance>`SELECT user_id AS "userId", name, present, agency_id AS "agencyId", role FROM ecabinet_attendance WHERE meeting_id = ${meetingId} ORDER BY name`.execute(executor)).rows;
}

/** A place at the cabinet table: the chair's, or a ministry's, which its minister and delegates share. */
export interface Seat {
  people: Attendance[];
  /** The minister (or the chair) on the roll for it; null when only delegates are. */
  holder: Attendance | null;
  /** Who sits in it: its holder when present, otherwise a delegate who is; null when the seat is empty. */
  sitting: Attendance | null;
}

/**
 * The roll as seats: a minister and their delegate both present fill one seat, and a delegate
 * fills it for an absent minister, so quorum and votes count ministries, never people.
 */
export function seatsOf(attendance: Attendance[]): Seat[] {
  const bySeat = new Map<string, Attendance[]>();
  for (const person of attendance) {
    const key = person.agencyId ?? person.userId;
    bySeat.set(key, [...(bySeat.get(key) ?? []), person]);
  }
  return [...bySeat.values()].map((people) => {
    const holders = people.filter((p) => p.role !== DELEGATE);
    const sitting = holders.find((p) => p.present) ?? people.find((p) => p.role === DELEGATE && p.present) ?? null;
    return { people, holder: holders[0] ?? null, sitting };
  });
}

/** More than half the seats are filled. */
export function hasQuorum(attendance: Attendance[]): boolean {
  const seats = seatsOf(attendance);
  return seats.length > 0 && seats.filter((s) => s.sitting).length * 2 > seats.length;
}

/** Who may vote on an item: each filled seat once, less the seats of those recused (a delegate shares the minister's conflict). */
export function votingSeats(attendance: Attendance[], recusals: { userId: string }[]): number {
  const recused = new Set(recusals.map((r) => r.userId));
  return seatsOf(attendance).filter((s) => s.sitting && !s.people.some((p) => recused.has(p.userId))).length;
}

/** Take the roll: opens a circulated meeting, or corrects the roll during it. */
export async function recordAttendance(db: Db, viewer: Viewer, meetingId: string, present: string[], requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  const members = await cabinetMembers(db);
  await db.transaction().execute(async (trx) => {
    const meeting = await requireMeeting(trx, meetingId, ['circulated', 'in-session']);
    for (const member of members) {
      await sql`
        INSERT INTO ecabinet_attendance (meeting_id, user_id, name, present, agency_id, role) VALUES (${meetingId}, ${member.userId}, ${member.name}, ${present.includes(member.userId)}, ${member.agencyId}, ${member.role})
        ON CONFLICT (meeting_id, user_id) DO UPDATE SET present = EXCLUDED.present, agency_id = EXCLUDED.agency_id, role = EXCLUDED.role`.execute(trx);
    }
    if (meeting.state === 'circulated') await sql`UPDATE ecabinet_meetings SET state = 'in-session' WHERE id = ${meetingId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.record-attendance', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { present: present.length, members: members.length } });
  });
}

async function requireQuorum(trx: Tx, meetingId: string): Promise<Attendance[]> {
  const attendance = await attendanceAt(trx, meetingId);
  if (!hasQuorum(attendance)) throw Problem.conflict('The cabinet has no quorum: more than half its seats (the chair and the ministries) must be filled to decide.');
  return attendance;
}

function decidable(item: Item): boolean {
  return item.outcome === null && (!item.late || item.lateApproved);
}

/** Every consent item nobody objected to passes at once, without discussion. */
export async function adoptConsentAgenda(db: Db, viewer: Viewer, meetingId: string, requestId: string): Promise<number> {
  requireSecretariat(viewer.principal);
  return db.transaction().execute(async (trx) => {
    await requireMeeting(trx, meetingId, ['in-session']);
    await requireQuorum(trx, meetingId);
    const block = (await allItems(trx, meetingId)).filter((i) => i.track === 'consent' && decidable(i));
    for (const item of block) await sql`UPDATE ecabinet_items SET outcome = 'adopted', decision_text = ${item.proposedDecision}, decided_at = now() WHERE id = ${item.id}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.adopt-consent-agenda', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { items: block.map((i) => i.id) } });
    return block.length;
  });
}

export interface DecisionInput {
  outcome: Outcome;
  text: string;
  votes: { for: number; against: number; abstain: number } | null;
  public: boolean;
}

export async function recordDecision(db: Db, viewer: Viewer, itemId: string, input: DecisionInput, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['in-session']);
    const attendance = await requireQuorum(trx, item.meetingId);
    if (item.late && !item.lateApproved) throw Problem.conflict('A late item is decided only once the chair admits it.');
    if (input.public && item.classification !== 'public') throw Problem.invalidField('/body/public', 'a decision on a classified paper is not published', 'ecabinetClassifiedNotPublic');
    if (input.votes) {
      const voters = votingSeats(attendance, await recusalsOn(trx, [itemId]));
      if (input.votes.for + input.votes.against + input.votes.abstain > voters) throw Problem.invalidField('/body/votes', `more votes than the ${voters} seats filled and not recused`, 'ecabinetTooManyVotes', { voters });
    }
    const text = input.text.trim() || item.proposedDecision;
    await sql`UPDATE ecabinet_items SET outcome = ${input.outcome}, decision_text = ${text}, votes = ${input.votes ? JSON.stringify(input.votes) : null}::jsonb, public = ${input.public}, decided_at = now() WHERE id = ${itemId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.record-decision', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId, outcome: input.outcome, public: input.public } });
  });
}

/** Publish a decision already recorded (one adopted with the consent agenda, say): only on a public paper. */
export async function publishDecision(db: Db, viewer: Viewer, itemId: string, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    if (!item.outcome || item.outcome === 'deferred') throw Problem.conflict('Only a decision is published.');
    if (item.classification !== 'public') throw Problem.conflict('A decision on a classified paper is not published.');
    await sql`UPDATE ecabinet_items SET public = true WHERE id = ${itemId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.publish-decision', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId } });
  });
}

export interface Recusal {
  itemId: string;
  userId: string;
  name: string;
  reason: string;
}

export async function recusalsOn(executor: Executor, itemIds: string[]): Promise<Recusal[]> {
  if (itemIds.length === 0) return [];
  return (await sql<Recusal>`SELECT item_id AS "itemId", user_id AS "userId", name, reason FROM ecabinet_recusals WHERE item_id = ANY(${itemIds}::uuid[])`.execute(executor)).rows;
}

/** A member steps out of an item for a conflict of interest. */
export async function recordRecusal(db: Db, viewer: Viewer, itemId: string, input: { userId: string; reason: string }, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    await requireMeeting(trx, item.meetingId, ['in-session']);
    const member = (await attendanceAt(trx, item.meetingId)).find((a) => a.userId === input.userId);
    if (!member) throw Problem.invalidField('/body/member', 'is not a member of the cabinet');
    await sql`INSERT INTO ecabinet_recusals (item_id, user_id, name, reason) VALUES (${itemId}, ${member.userId}, ${member.name}, ${input.reason}) ON CONFLICT DO NOTHING`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.record-recusal', subjectType: 'cabinet-meeting', subjectId: item.meetingId, requestId, details: { item: itemId, member: member.userId } });
  });
}

/** Who sits in a filled seat, as the minutes and the meeting page say it: "Farhan Aden for Amina Abdi" for a delegate. */
export function sitterName(t: Translate, seat: Seat): string {
  const { sitting, holder } = seat;
  if (!sitting) return '';
  return sitting.role !== DELEGATE || !holder ? sitting.name : t('ecabinet.meeting.standIn', { delegate: sitting.name, minister: holder.name });
}

/**
 * The minutes as drafted from what was recorded. Titles of classified papers stay out: the
 * signed minutes are verifiable by anyone holding them, so they say no more than public text.
 */
export function draftMinutes(locale: Locale, meeting: Meeting, attendance: Attendance[], items: Item[], recusals: Recusal[]): string {
  const t = translator(locale);
  const seats = seatsOf(attendance);
  const present = seats.flatMap((s) => (s.sitting ? [sitterName(t, s)] : []));
  const absent = seats.filter((s) => !s.sitting).map((s) => (s.holder ?? s.people[0]!).name);
  const lines = [t('ecabinet.minutes.present', { names: present.join(', ') || '—' }), t('ecabinet.minutes.absent', { names: absent.join(', ') || '—' }), ''];
  for (const item of items.filter((i) => i.outcome)) {
    lines.push(t('ecabinet.minutes.item', { position: item.position, title: notifiableTitle(t, item), outcome: t(`ecabinet.outcomes.${item.outcome}`) }));
    if (item.classification === 'public' && item.decisionText) lines.push(item.decisionText);
    if (item.votes) lines.push(t('ecabinet.minutes.votes', { for: item.votes.for, against: item.votes.against, abstain: item.votes.abstain }));
    for (const r of recusals.filter((x) => x.itemId === item.id)) lines.push(t('ecabinet.minutes.recused', { name: r.name }));
  }
  return [t('ecabinet.minutes.heading', { meeting: meeting.title }), ...lines].join('\n');
}

/** End the meeting: items not admitted go back to the ready pile, and the minutes are drafted. */
export async function closeMeeting(db: Db, viewer: Viewer, meetingId: string, locale: Locale, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    const meeting = await requireMeeting(trx, meetingId, ['in-session']);
    const items = await allItems(trx, meetingId);
    const dropped = items.filter((i) => i.late && !i.lateApproved);
    const open = items.filter((i) => decidable(i));
    if (open.length > 0) throw Problem.conflict(`${open.length} item(s) have no decision yet.`);
    for (const item of dropped) {
      await sql`DELETE FROM ecabinet_positions WHERE item_id = ${item.id}`.execute(trx);
      await sql`DELETE FROM ecabinet_items WHERE id = ${item.id}`.execute(trx);
      await sql`UPDATE ecabinet_memos SET state = 'ready', updated_at = now() WHERE id = ${item.memoId}`.execute(trx);
    }
    const kept = items.filter((i) => !dropped.includes(i));
    const minutes = draftMinutes(locale, meeting, await attendanceAt(trx, meetingId), kept, await recusalsOn(trx, kept.map((i) => i.id)));
    await sql`UPDATE ecabinet_meetings SET state = 'closed', minutes = ${minutes} WHERE id = ${meetingId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.close-meeting', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { decided: kept.length, dropped: dropped.length } });
  });
}

export async function saveMinutes(db: Db, viewer: Viewer, meetingId: string, minutes: string, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  await db.transaction().execute(async (trx) => {
    await requireMeeting(trx, meetingId, ['closed']);
    await sql`UPDATE ecabinet_meetings SET minutes = ${minutes} WHERE id = ${meetingId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), action: 'ecabinet.edit-minutes', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, change: { minutes } });
  });
}

/**
 * The chair approves the minutes: each decision takes the next number of the year's register
 * (the counter row stays locked until commit, so numbers have no gaps), and the minutes are signed.
 */
export async function approveMinutes(db: Db, signer: Signer, viewer: Viewer, meetingId: string, locale: Locale, requestId: string): Promise<Meeting> {
  if (!isChair(viewer.principal)) throw Problem.forbidden('Only the chair approves the minutes.');
  const pmo = await findAgencyByCode(db, 'pmo');
  if (!pmo) throw Problem.conflict("There is no Prime Minister's Office (agency pmo) to sign the minutes.");
  return db.transaction().execute(async (trx) => {
    const meeting = await requireMeeting(trx, meetingId, ['closed']);
    if (!meeting.minutes?.trim()) throw Problem.conflict('The minutes are empty.');
    const items = await allItems(trx, meetingId);
    const year = meeting.startsAt.getUTCFullYear();
    await sql`INSERT INTO ecabinet_decision_counters (year, last) VALUES (${year}, 0) ON CONFLICT (year) DO NOTHING`.execute(trx);
    let last = (await sql<{ last: number }>`SELECT last FROM ecabinet_decision_counters WHERE year = ${year} FOR UPDATE`.execute(trx)).rows[0]!.last;
    const numbered: string[] = [];
    for (const item of items) {
      if (item.outcome === 'deferred') {
        await sql`UPDATE ecabinet_memos SET state = 'ready', updated_at = now() WHERE id = ${item.memoId}`.execute(trx);
        continue;
      }
      last += 1;
      const number = `${year}/${String(last).padStart(4, '0')}`;
      numbered.push(number);
      await sql`UPDATE ecabinet_items SET decision_number = ${number} WHERE id = ${item.id}`.execute(trx);
      await sql`UPDATE ecabinet_memos SET state = 'decided', updated_at = now() WHERE id = ${item.memoId}`.execute(trx);
    }
    await sql`UPDATE ecabinet_decision_counters SET last = ${last} WHERE year = ${year}`.execute(trx);
    const t = translator(locale);
    const actor = actorOf(viewer.principal);
    const issued = await signer.issue(trx, {
      agencyId: pmo.id,
      kind: 'cabinet-minutes',
      subjectType: 'cabinet-meeting',
      subjectId: meetingId,
      locale,
      title: t('ecabinet.minutes.documentTitle', { meeting: meeting.title }),
      body: meeting.minutes,
      facts: [
        { label: t('ecabinet.minutes.factMeeting'), value: meeting.title },
        { label: t('ecabinet.minutes.factDecisions'), value: numbered.join(', ') || '—' },
      ],
      holderName: null,
      issuedAt: new Date(),
      validUntil: null,
      issuedBy: actor,
      requestId,
    });
    await sql`UPDATE ecabinet_meetings SET state = 'approved', approved_by = ${JSON.stringify(actor)}::jsonb, minutes_document_id = ${issued.id}, minutes_verify_url = ${issued.verifyUrl} WHERE id = ${meetingId}`.execute(trx);
    await recordAudit(trx, { actor, agencyId: pmo.id, action: 'ecabinet.approve-minutes', subjectType: 'cabinet-meeting', subjectId: meetingId, requestId, details: { decisions: numbered, document: issued.id, sha256: issued.sha256 } });
    return (await meetingById(trx, meetingId))!;
  });
}

export interface Decision {
  itemId: string;
  number: string;
  title: string;
  classification: Level;
  agencyId: string;
  outcome: Outcome;
  text: string;
  public: boolean;
  decidedOn: string;
  meetingId: string;
  meetingTitle: string;
}

const DECISION_COLUMNS = sql`i.id AS "itemId", i.decision_number AS number, m.title, m.classification, m.agency_id AS "agencyId", i.outcome, i.decision_text AS text, i.public,
  to_char(g.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "decidedOn", g.id AS "meetingId", g.title AS "meetingTitle"`;

/** The register as the viewer may read it. */
export async function decisionsRegister(executor: Executor, viewer: Viewer): Promise<Decision[]> {
  return (await sql<Decision>`SELECT ${DECISION_COLUMNS} FROM ecabinet_items i JOIN ecabinet_memos m ON m.id = i.memo_id JOIN ecabinet_meetings g ON g.id = i.meeting_id
    WHERE i.decision_number IS NOT NULL AND ${readableMemo(viewer)} ORDER BY i.decision_number DESC LIMIT 500`.execute(executor)).rows;
}

/** What anyone may read: decisions marked public, on public papers, once the minutes are signed. */
export async function publishedDecisions(executor: Executor): Promise<Decision[]> {
  return (await sql<Decision>`SELECT ${DECISION_COLUMNS} FROM ecabinet_items i JOIN ecabinet_memos m ON m.id = i.memo_id JOIN ecabinet_meetings g ON g.id = i.meeting_id
    WHERE i.public AND m.classification = 'public' AND i.decision_number IS NOT NULL AND g.state = 'approved' ORDER BY i.decision_number DESC`.execute(executor)).rows;
}

export const OVERDUE_TASK = 'ecabinet.action-overdue';

export interface Action {
  id: string;
  itemId: string;
  agencyId: string;
  description: string;
  dueOn: string;
  done: boolean;
  progress: string;
  overdue: boolean;
  decisionNumber: string | null;
  title: string;
  classification: Level;
}

const ACTION_COLUMNS = sql`x.id, x.item_id AS "itemId", x.agency_id AS "agencyId", x.description, to_char(x.due_on, 'YYYY-MM-DD') AS "dueOn", x.done, x.progress,
  (NOT x.done AND x.due_on < current_date) AS overdue, i.decision_number AS "decisionNumber", m.title, m.classification`;

/** A decision assigns work to a ministry, due on a date; if still open then, the secretariat is told. */
export async function addAction(db: Db, jobs: JobQueue, viewer: Viewer, itemId: string, input: { agency: string; description: string; dueOn: string }, requestId: string): Promise<void> {
  requireSecretariat(viewer.principal);
  const agency = await findAgencyByCode(db, input.agency);
  if (!agency) throw Problem.invalidField('/body/agency', 'no agency has this code');
  await db.transaction().execute(async (trx) => {
    const item = await itemForUpdate(trx, viewer, itemId);
    if (!item.outcome || item.outcome === 'deferred' || item.outcome === 'rejected') throw Problem.conflict('Actions follow an adopted (or amended) decision.');
    const id = randomUUID();
    await sql`INSERT INTO ecabinet_actions (id, item_id, agency_id, description, due_on, created_by) VALUES (${id}, ${itemId}, ${agency.id}, ${input.description}, ${input.dueOn}, ${JSON.stringify(actorOf(viewer.principal))}::jsonb)`.execute(trx);
    await jobs.enqueue(trx, OVERDUE_TASK, { actionId: id }, { runAt: new Date(`${input.dueOn}T23:59:59Z`), dedupeKey: `ecabinet-overdue:${id}` });
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: agency.id, action: 'ecabinet.add-action', subjectType: 'cabinet-action', subjectId: id, requestId, details: { item: itemId, dueOn: input.dueOn } });
  });
}

/** Follow-up as the viewer may see it: actions on decisions about papers they may read. */
export async function actionsFor(executor: Executor, viewer: Viewer): Promise<Action[]> {
  return (await sql<Action>`SELECT ${ACTION_COLUMNS} FROM ecabinet_actions x JOIN ecabinet_items i ON i.id = x.item_id JOIN ecabinet_memos m ON m.id = i.memo_id
    WHERE ${readableMemo(viewer)} ORDER BY x.done, x.due_on, x.id`.execute(executor)).rows;
}

/** The ministry the action is assigned to reports how it stands. */
export async function reportProgress(db: Db, viewer: Viewer, actionId: string, input: { progress: string; done: boolean }, requestId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const action = (await sql<Action>`SELECT ${ACTION_COLUMNS} FROM ecabinet_actions x JOIN ecabinet_items i ON i.id = x.item_id JOIN ecabinet_memos m ON m.id = i.memo_id WHERE x.id = ${actionId} FOR UPDATE OF x`.execute(trx)).rows[0];
    if (!action) throw Problem.notFound('No action has this id.');
    const row = (await sql<{ memoId: string }>`SELECT memo_id AS "memoId" FROM ecabinet_items WHERE id = ${action.itemId}`.execute(trx)).rows[0]!;
    await readableMemoById(trx, viewer, row.memoId);
    if (viewer.ministries !== 'all' && !viewer.ministries.includes(action.agencyId)) throw Problem.forbidden('Only the ministry the action is assigned to reports on it.');
    await sql`UPDATE ecabinet_actions SET progress = ${input.progress}, done = ${input.done}, reported_at = now() WHERE id = ${actionId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: action.agencyId, action: 'ecabinet.report-progress', subjectType: 'cabinet-action', subjectId: actionId, requestId, details: { done: input.done } });
  });
}

/** When an action's due date passes and it is still open, the secretariat hears of it: the decision's number, never its text. */
export function overdueNotifier(db: Db, messenger: Messenger, baseUrl: string) {
  return async (payload: { actionId: string }) => {
    await db.transaction().execute(async (trx) => {
      const action = (await sql<{ done: boolean; number: string | null; dueOn: string }>`SELECT x.done, i.decision_number AS number, to_char(x.due_on, 'YYYY-MM-DD') AS "dueOn" FROM ecabinet_actions x JOIN ecabinet_items i ON i.id = x.item_id WHERE x.id = ${payload.actionId}`.execute(trx)).rows[0];
      if (!action || action.done) return;
      for (const member of (await cabinetMembers(trx, [SECRETARIAT])).filter(reachable)) {
        const t = translator(isLocale(member.locale) ? member.locale : 'en');
        const facts = { number: action.number ?? '—', due: action.dueOn, link: `${baseUrl}/cabinet/follow-up` };
        await tellMember(messenger, trx, member, {
          subject: t('ecabinet.mail.overdueSubject', facts),
          body: t('ecabinet.mail.overdueBody', facts),
          sms: t('ecabinet.sms.overdue', facts),
          about: { type: 'cabinet-action', id: payload.actionId },
          template: 'ecabinet.action-overdue',
          dedupeKey: `ecabinet-overdue:${payload.actionId}`,
        });
      }
    });
  };
}
