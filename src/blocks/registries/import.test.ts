import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, csrfFrom, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, postMultipart } from '../../../test/support/http.ts';
import { importRunner, type ImportStatus } from './imports.ts';
import { dataUsesOf } from './index.ts';

/**
 * Bulk import, as a job with progress: a few thousand lines here (bench/registry-import.ts runs
 * 100,000), one of them bad, in each mode and format.
 */
let app: TestApp;
let admin: Session;
let officer: Session;
let fire: Session;

const LICENCES = {
  code: 'driving-licences',
  agency: 'transport',
  names: { en: 'Driving licences', fr: 'Permis de conduire', ar: 'رخص القيادة', sw: 'Leseni za udereva', ru: 'Водительские удостоверения', tg: 'Шаҳодатномаҳои ронандагӣ' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['number', 'holderNationalId', 'category', 'points'],
    properties: {
      number: { type: 'string', pattern: '^DL-[0-9]{6}$' },
      holderNationalId: { type: 'string' },
      category: { enum: ['A', 'B', 'C', 'D'] },
      points: { type: 'integer', minimum: 0, maximum: 12 },
      professional: { type: 'boolean' },
    },
  },
  key: 'number',
  searchable: ['number', 'holderNationalId'],
  personal: true,
  personField: 'holderNationalId',
  access: [
    { role: 'officer', agency: 'commerce', read: '*', write: ['number', 'holderNationalId', 'category', 'points'] },
    { role: 'officer', agency: 'fire', read: ['number'] },
  ],
};

const LINES = 3000;
const person = (i: number) => `DJ-1990-${String(700000 + i).padStart(6, '0')}`;
const csvLine = (i: number) => `DL-${String(i).padStart(6, '0')},${person(i)},B,${i % 13}`;

/** A CSV of `count` licences from `first`, the header being line 1; `bad` lines get a category that does not exist. */
function csv(first: number, count: number, bad: number[] = []): string {
  const lines = ['number,holderNationalId,category,points'];
  for (let i = first; i < first + count; i++) lines.push(bad.includes(lines.length + 1) ? csvLine(i).replace(',B,', ',Z,') : csvLine(i));
  return `${lines.join('\n')}\n`;
}

before(async () => {
  app = await startTestApp();
  [admin, officer, fire] = await signInDemo(app, 'admin', 'officer.trade', 'officer.fire');
  const defined = await app.app.inject({ method: 'PUT', url: `/api/registries/${LICENCES.code}`, headers: asSession(admin), payload: LICENCES });
  assert.equal(defined.statusCode, 201, defined.body);
});
after(() => app.stop());

async function upload(session: Session, body: string, contentType: string, mode: string, fileName = 'licences.csv'): Promise<string> {
  const response = await app.app.inject({ method: 'POST', url: `/api/registries/${LICENCES.code}/imports?mode=${mode}&fileName=${fileName}`, headers: { ...asSession(session), 'content-type': contentType }, payload: body });
  assert.equal(response.statusCode, 202, response.body);
  return response.json<{ id: string }>().id;
}

async function status(id: string, session = admin): Promise<ImportStatus> {
  const response = await app.app.inject({ method: 'GET', url: `/api/registries/imports/${id}`, headers: asSession(session) });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<ImportStatus>();
}

async function count(): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registries_records r JOIN registries_registries g ON g.id = r.registry_id WHERE g.code = ${LICENCES.code} AND r.deleted_at IS NULL`.execute(app.database.db);
  return result.rows[0]!.n;
}

describe('importing all or nothing', () => {
  it('writes nothing when one line of thousands is wrong, and says which line and field', async () => {
    const before = await count();
    const id = await upload(officer, csv(1, LINES, [1500]), 'text/csv', 'all-or-nothing');
    await app.jobs.drain();
    const report = await status(id);
    assert.equal(report.state, 'failed');
    assert.equal(report.totalRows, LINES);
    assert.equal(report.checkedRows, LINES);
    assert.equal(report.writtenRows, 0);
    assert.deepEqual(report.errors.map((e) => [e.line, e.field]), [[1500, '/category']]);
    assert.equal(await count(), before);
  });

  it('writes every line of a good file, logged for each person', async () => {
    const before = await count();
    const id = await upload(officer, csv(1, LINES), 'text/csv', 'all-or-nothing');
    await app.jobs.drain();
    const report = await status(id);
    assert.equal(report.state, 'done', JSON.stringify(report.errors));
    assert.equal(report.writtenRows, LINES);
    assert.equal(await count(), before + LINES);
    const [use] = await dataUsesOf(app.database.db, person(42));
    assert.equal(use?.action, 'create');
    assert.equal(use?.reason, 'Import of licences.csv');
  });

  it('types CSV cells by the schema: whole numbers and yes/no', async () => {
    const id = await upload(officer, 'number,holderNationalId,category,points\nDL-900001,DJ-1990-900001,A,07\n', 'text/csv', 'all-or-nothing');
    await app.jobs.drain();
    assert.equal((await status(id)).state, 'done');
    const stored = await sql<{ data: Record<string, unknown> }>`SELECT data FROM registries_records WHERE data->>'number' = 'DL-900001'`.execute(app.database.db);
    assert.equal(stored.rows[0]!.data.points, 7);
  });
});

describe('importing what is good and reporting the rest', () => {
  it('writes the good lines of JSON lines and reports the bad ones: a duplicate key, a bad value, a line that is not JSON, a NUL', async () => {
    const before = await count();
    const lines = [
      JSON.stringify({ number: 'DL-800001', holderNationalId: person(1), category: 'C', points: 12 }),
      JSON.stringify({ number: 'DL-800002', holderNationalId: person(2), category: 'D', points: 13 }),
      '{"number": "DL-800003", ',
      '',
      JSON.stringify({ number: 'DL-800001', holderNationalId: person(3), category: 'A', points: 0 }),
      JSON.stringify({ number: 'DL-000001', holderNationalId: person(4), category: 'A', points: 0 }),
      JSON.stringify({ number: 'DL-800004', holderNationalId: person(4), category: 'A', points: 0 }),
      JSON.stringify({ number: 'DL-800005', holderNationalId: 'DJ\u0000', category: 'A', points: 0 }),
    ];
    const id = await upload(officer, lines.join('\n'), 'application/x-ndjson', 'skip-and-report', 'licences.jsonl');
    await app.jobs.drain();
    const report = await status(id);
    assert.equal(report.state, 'done');
    assert.equal(report.writtenRows, 2);
    assert.equal(report.errorCount, 5);
    assert.deepEqual(report.errors.map((e) => [e.line, e.field]), [[2, '/points'], [3, ''], [5, '/number'], [6, '/number'], [8, '/holderNationalId']]);
    assert.match(report.errors[2]!.reason, /line 1/);
    assert.match(report.errors[3]!.reason, /already in the registry/);
    assert.equal(await count(), before + 2);
  });

  it('a job run again after a crash writes no line twice', async () => {
    const before = await count();
    const id = await upload(officer, csv(5000, 2500, [10]), 'text/csv', 'skip-and-report');
    await app.jobs.drain();
    assert.equal(await count(), before + 2499);
    // As if the worker had died before marking the import finished: the job runs again.
    await sql`UPDATE registries_imports SET state = 'writing', content = ${csv(5000, 2500, [10])} WHERE id = ${id}`.execute(app.database.db);
    await importRunner(app.database.db)({ importId: id });
    const report = await status(id);
    assert.equal(report.state, 'done');
    assert.equal(report.writtenRows, 2499);
    assert.deepEqual(report.errors.map((e) => e.line), [10]);
    assert.equal(await count(), before + 2499);
  });
});

describe('who may import', () => {
  it('a writer may not import fields they may not write', async () => {
    const id = await upload(officer, 'number,holderNationalId,category,points,professional\nDL-700001,DJ-1990-700001,A,1,yes\n', 'text/csv', 'all-or-nothing');
    await app.jobs.drain();
    const report = await status(id);
    assert.equal(report.state, 'failed');
    assert.deepEqual(report.errors.map((e) => [e.line, e.field, e.reason]), [[2, '/professional', 'you may not write this field']]);
  });

  it('a reader who may not write cannot import, nor see the imports of others', async () => {
    const response = await app.app.inject({ method: 'POST', url: `/api/registries/${LICENCES.code}/imports`, headers: { ...asSession(fire), 'content-type': 'text/csv' }, payload: csv(1, 2) });
    assertProblem(response, 403);
    const id = await upload(officer, csv(9000, 2), 'text/csv', 'all-or-nothing');
    assertProblem(await app.app.inject({ method: 'GET', url: `/api/registries/imports/${id}`, headers: asSession(fire) }), 404);
  });
});

describe('the import pages', () => {
  it('upload a file through the form, then show progress that refreshes itself until the job is done', async () => {
    const form = await app.app.inject({ method: 'GET', url: `/admin/registries/${LICENCES.code}/import`, headers: { cookie: officer.cookie() } });
    assert.equal(form.statusCode, 200, form.body);
    officer.jar.store(form);
    const posted = await postMultipart(app, officer.jar, `/admin/registries/${LICENCES.code}/imports`, [
      { name: '_csrf', value: csrfFrom(form.body) },
      { name: 'file', file: { name: 'more.csv', content: csv(20000, 50), type: 'text/csv' } },
      { name: 'format', value: 'csv' },
      { name: 'mode', value: 'all-or-nothing' },
    ]);
    assert.equal(posted.statusCode, 303, posted.body);
    const location = String(posted.headers.location);
    assert.match(location, new RegExp(`^/admin/registries/${LICENCES.code}/imports/[0-9a-f-]{36}$`));
    const waiting = await app.app.inject({ method: 'GET', url: location, headers: { cookie: officer.cookie() } });
    assert.equal(waiting.headers.refresh, '2');
    assert.match(waiting.body, /<progress/);
    await app.jobs.drain();
    const finished = await app.app.inject({ method: 'GET', url: location, headers: { cookie: officer.cookie() } });
    assert.equal(finished.headers.refresh, undefined);
    assert.match(finished.body, /50 of 50 records written/);
  });
});
