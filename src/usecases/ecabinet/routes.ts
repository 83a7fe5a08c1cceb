import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../platform/db/database.ts';
import type { BlobStore } from '../../platform/files/blob-store.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { listAgencies } from '../../blocks/identity/index.ts';
import { CABINET_ROLES, SECRETARIAT, setClearance, viewerOf } from './clearance.ts';
import { publishedDecisions, decisionsRegister, type Decision } from './meetings.ts';
import { attachmentsOf, downloadAttachment, listMemos, memoVersions, viewMemo, type Memo, type MemoState } from './memos.ts';

const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const Level = Type.Union([Type.Literal('public'), Type.Literal('restricted'), Type.Literal('confidential'), Type.Literal('secret')]);
const MemoStateSchema = Type.Union(['draft', 'legal-review', 'sign-off', 'submitted', 'ready', 'scheduled', 'decided'].map((s) => Type.Literal(s as MemoState)));

const MemoOut = Type.Object({
  id: Type.String(),
  ministry: Type.String({ description: 'Code of the submitting ministry' }),
  title: Type.String(),
  summary: Type.String(),
  proposedDecision: Type.String(),
  cost: Type.String(),
  classification: Level,
  state: Type.String(),
  version: Type.Integer(),
  updatedAt: DateTime,
});

const DecisionOut = Type.Object({
  number: Type.String({ description: 'Number in the decisions register, year/sequence' }),
  date: Type.String({ format: 'date' }),
  meeting: Type.String(),
  title: Type.String(),
  ministry: Type.String(),
  outcome: Type.String(),
  decision: Type.String(),
});

export async function agencyCodes(db: Db): Promise<Map<string, string>> {
  return new Map((await listAgencies(db)).map((a) => [a.id, a.code]));
}

function memoOut(memo: Memo, codes: Map<string, string>) {
  return { id: memo.id, ministry: codes.get(memo.agencyId) ?? '', title: memo.title, summary: memo.summary, proposedDecision: memo.proposedDecision, cost: memo.cost, classification: memo.classification, state: memo.state, version: memo.version, updatedAt: memo.updatedAt };
}

export function decisionOut(decision: Decision, codes: Map<string, string>) {
  return { number: decision.number, date: decision.decidedOn, meeting: decision.meetingTitle, title: decision.title, ministry: codes.get(decision.agencyId) ?? '', outcome: decision.outcome, decision: decision.text };
}

export function ecabinetApi(db: Db, blobs: BlobStore) {
  return async (app: App) => {
    app.get('/api/ecabinet/memos', {
      config: { access: access.roles(...CABINET_ROLES) },
      schema: {
        summary: 'Cabinet memos I may read (by role and clearance), newest first, with their count; q searches titles and texts',
        tags: ['ecabinet'],
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })), state: Type.Optional(MemoStateSchema), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ total: Type.Integer(), memos: Type.Array(MemoOut) }), ...Problems },
      },
      handler: async (request) => {
        const viewer = await viewerOf(db, requirePrincipal(request));
        const [{ total, memos }, codes] = await Promise.all([listMemos(db, viewer, request.query), agencyCodes(db)]);
        return { total, memos: memos.map((m) => memoOut(m, codes)) };
      },
    });

    app.get('/api/ecabinet/memos/:id', {
      config: { access: access.roles(...CABINET_ROLES) },
      schema: {
        summary: 'A cabinet memo with its attachments and versions (reading a classified memo is audited)',
        tags: ['ecabinet'],
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            memo: MemoOut,
            attachments: Type.Array(Type.Object({ id: Type.String(), fileName: Type.String(), mediaType: Type.String(), size: Type.Integer(), classification: Level, href: Type.String() })),
            versions: Type.Array(Type.Object({ version: Type.Integer(), title: Type.String(), classification: Level, note: Type.String(), createdAt: DateTime })),
          }),
          ...Problems,
        },
      },
      handler: async (request) => {
        const viewer = await viewerOf(db, requirePrincipal(request));
        const memo = await viewMemo(db, viewer, request.params.id, request.id);
        const [attachments, versions, codes] = await Promise.all([attachmentsOf(db, viewer, memo.id), memoVersions(db, memo.id), agencyCodes(db)]);
        return {
          memo: memoOut(memo, codes),
          attachments: attachments.map((a) => ({ id: a.id, fileName: a.fileName, mediaType: a.mediaType, size: a.size, classification: a.classification, href: `/api/ecabinet/memos/${memo.id}/attachments/${a.id}` })),
          versions: versions.map((v) => ({ version: v.version, title: v.title, classification: v.classification, note: v.note, createdAt: v.createdAt })),
        };
      },
    });

    app.get('/api/ecabinet/memos/:id/attachments/:attachmentId', {
      config: { access: access.roles(...CABINET_ROLES) },
      schema: {
        summary: 'Download an attachment of a cabinet memo (a classified one is audited)',
        tags: ['ecabinet'],
        params: Type.Object({ id: Uuid, attachmentId: Uuid }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const viewer = await viewerOf(db, requirePrincipal(request));
        const { attachment, bytes } = await downloadAttachment(db, blobs, viewer, request.params.id, request.params.attachmentId, request.id);
        return reply
          .type(attachment.mediaType)
          .header('cache-control', 'private, no-store')
          .header('content-disposition', `attachment; filename="${attachment.fileName.replace(/[^\w.-]/g, '_')}"`)
          .send(bytes);
      },
    });

    app.get('/api/ecabinet/decisions', {
      config: { access: access.roles(...CABINET_ROLES) },
      schema: { summary: 'The decisions register, as far as I may read it', tags: ['ecabinet'], response: { 200: Type.Array(DecisionOut), ...Problems } },
      handler: async (request) => {
        const viewer = await viewerOf(db, requirePrincipal(request));
        const codes = await agencyCodes(db);
        return (await decisionsRegister(db, viewer)).map((d) => decisionOut(d, codes));
      },
    });

    app.put('/api/ecabinet/clearances/:username', {
      config: { access: access.roles('admin', SECRETARIAT) },
      schema: {
        summary: "Set a person's clearance: public, restricted, confidential or secret (audited)",
        tags: ['ecabinet'],
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        body: Type.Object({ level: Level }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        await setClearance(db, requirePrincipal(request), { username: request.params.username, level: request.body.level }, request.id);
        return reply.code(204).send(null);
      },
    });

    app.get('/cabinet/decisions.json', {
      config: { access: access.public },
      schema: { summary: 'Published cabinet decisions (open data)', tags: ['ecabinet'], response: { 200: Type.Array(DecisionOut), ...Problems } },
      handler: async () => {
        const codes = await agencyCodes(db);
        return (await publishedDecisions(db)).map((d) => decisionOut(d, codes));
      },
    });

    app.get('/cabinet/decisions.csv', {
      config: { access: access.public },
      schema: { summary: 'Published cabinet decisions as CSV (open data)', tags: ['ecabinet'] },
      handler: async (_request, reply) => {
        const codes = await agencyCodes(db);
        const header = ['number', 'date', 'meeting', 'title', 'ministry', 'outcome', 'decision'];
        const rows = (await publishedDecisions(db)).map((d) => Object.values(decisionOut(d, codes)));
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="cabinet-decisions.csv"').send(stringify([header, ...rows]));
      },
    });
  };
}

/** A date a form or query sent, refused (never passed on to the database) unless it is a real day. */
export function isoDate(value: string | undefined, pointer: string): string {
  const day = value?.trim() ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw Problem.invalidField(pointer, 'must be a date such as 2026-12-31', 'ecabinetDate');
  }
  return day;
}

/** A date and time from a `datetime-local` field, read as UTC. */
export function isoDateTime(value: string | undefined, pointer: string): Date {
  const text = value?.trim() ?? '';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(text);
  if (!match || Number(match[2]) > 23 || Number(match[3]) > 59) throw Problem.invalidField(pointer, 'must be a date and time such as 2026-12-01T09:00', 'ecabinetDateTime');
  return new Date(`${isoDate(match[1], pointer)}T${match[2]}:${match[3]}:00Z`);
}
