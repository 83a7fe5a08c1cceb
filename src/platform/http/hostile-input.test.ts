import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { SHIPPED_LOCALES } from '../i18n/index.ts';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import type { FamilyReport } from '../../../test/support/fuzz-report.ts';

/**
 * Every operation in the OpenAPI document that takes a body or parameters gets generated hostile
 * input, anonymously and as a signed-in administrator (whose cookie and CSRF token carry requests
 * past access checks into validation and handlers). Whatever arrives, the answer is never a server
 * error, errors are problem+json, and a refused request writes nothing of business value.
 *
 * A failure prints fast-check's seed and the request; `FUZZ_SEED=<seed> npm test -- <this file>`
 * replays the same run, and FUZZ_RUNS=<n> runs n cases per operation for a deeper search.
 */
const SEED = Number(process.env.FUZZ_SEED) || randomInt(2 ** 31);
// Cases shared out among the operations, so the file's time stays bounded as the API grows.
const RUNS_IN_ALL = 1200;
// Fuzzed sign-ins fail by the dozen; counting them against their own address keeps the address the
// administrator signs in from unthrottled.
const FUZZ_ADDRESS = '127.0.0.2';

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema: JsonSchema;
}

interface Operation {
  method: string;
  /** OpenAPI template, e.g. `/api/identity/users/{id}/roles`. */
  path: string;
  parameters: Parameter[];
  body: JsonSchema | null;
}

interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

function operationsTakingInput(document: unknown): Operation[] {
  const paths = (document as { paths: Record<string, Record<string, OpenApiOperation>> }).paths;
  return Object.entries(paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema ?? null,
      })),
    )
    .filter((op) => op.parameters.length > 0 || op.body !== null);
}

// ---------------------------------------------------------------------------------------------
// Valid input, generated from the schemas the document publishes

/** With `everyField`, optional properties are always present, so hostile values reach them all. */
function validValue(schema: JsonSchema, everyField = false): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validValue(s, everyField)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      if (schema.properties) {
        const model = Object.fromEntries(Object.entries(schema.properties).map(([name, s]) => [name, validValue(s, everyField)]));
        return fc.record(model, everyField ? {} : { requiredKeys: schema.required ?? [] });
      }
      // @fastify/swagger publishes a record's key pattern as plain additionalProperties; the only
      // records this API takes are keyed by language code.
      const values = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : {};
      return fc.dictionary(fc.constantFrom(...SHIPPED_LOCALES), validValue(values, everyField), { minKeys: schema.minProperties ?? 0, maxKeys: 3 });
    }
    case 'array':
      return fc.array(validValue(schema.items ?? {}, everyField), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'integer':
      return fc.bigInt(BigInt(schema.minimum ?? -1_000_000), BigInt(schema.maximum ?? 1_000_000)).map(Number);
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return validString(schema);
    default:
      return fc.jsonValue();
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 60, 60);
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress().filter((address) => address.length <= max);
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  // "One or more" under a length limit: bound the repetition so generated strings fit the limit.
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern.replace(/\+\$$/, `{${Math.max(min, 1)},${max}}$`)));
  return fc.string({ unit: 'grapheme', minLength: min, maxLength: max });
}

// ---------------------------------------------------------------------------------------------
// Hostile input

/** JSON texts put in place of a field's value; each has broken some server before. */
const HOSTILE_VALUES = [
  '1e400', '-1e400', '-0', '1e-400', '18446744073709551616', '-9223372036854775809', '9007199254740993', '0.1e1',
  'null', 'true', '[]', '{}', '[{}]', '[null]',
  JSON.stringify('\u0000'), JSON.stringify('a\u0000b'), '"\\ud800"', '"\\udfff\\ud800"', '"\\u202e"', '"\\ufeff"', JSON.stringify(' '),
  JSON.stringify('../../etc/passwd'), JSON.stringify('%2e%2e%2f%2e%2e%2fetc%2fpasswd'), JSON.stringify('..\\..\\windows\\win.ini'), JSON.stringify('file:///etc/passwd'),
  JSON.stringify("' OR 1=1 --"), JSON.stringify('<script>alert(1)</script>'), JSON.stringify('${7*7}{{7*7}}'),
  JSON.stringify('x'.repeat(100_000)), JSON.stringify('😀'.repeat(20_000)),
  '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
];

/** Already percent-encoded (or deliberately not), for path segments and query values. */
const HOSTILE_URL_PARTS = [
  '../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%2e%2e', '%252e%252e%252f', '..%5c..%5cwindows%5cwin.ini',
  '%00', 'a%00b', '%ff', '%c0%af', '%ed%a0%80', '%', '%zz',
  '1e400', '-0', '18446744073709551616', '-1', '0', 'NaN', '', 'x'.repeat(300), '__proto__', 'constructor',
];

const MALFORMED_JSON = [
  ' ', '{', '}', '{"a":}', '{"a" 1}', "{'a':1}", '{"a":1,}', '[1,]', 'NaN', 'undefined', '{"a":01}', '{"a":"\\x41"}', '{"a":"\t"}',
  '\ufeff{}', '{}{}', '{"a":1}garbage', '{"a":"\u0000"}', 'null', '0', '"a string"', 'true', '[]',
];

const WRONG_CONTENT_TYPES = [
  'text/plain', 'text/plain; charset=utf-8', 'application/xml', 'text/html', 'multipart/form-data', 'multipart/form-data; boundary=x',
  'application/octet-stream', 'application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json, text/plain',
  'APPLICATION/JSON', 'application/vnd.api+json', 'application/json;charset="utf-8"', 'application/x-www-form-urlencoded', '', 'nonsense', '*/*',
];

const HOSTILE_FORMS = ['__proto__=x', 'constructor=x', 'prototype=x', 'a=%ff', 'a=%c0%af', 'a=%00', 'a=%', '_csrf=%zz', 'a=1&a=2&a=3', '&&&=&=', `a=${'x'.repeat(100_000)}`];

const BAD_UTF8 = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]].map((bytes) => Buffer.from(bytes));

interface Body {
  label: string;
  payload: string | Buffer;
  contentType: string;
}

const asJson = (label: string) => (payload: string | Buffer): Body => ({ label, payload, contentType: 'application/json' });

/** Every leaf of the value, independently kept or replaced by a hostile JSON text (at least one). */
function withHostileFields(value: unknown): fc.Arbitrary<string> {
  const leaves: unknown[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' ? v : `@@${leaves.push(v) - 1}@@`));
  if (leaves.length === 0) return fc.constant(text);
  return fc
    .array(fc.option(fc.constantFrom(...HOSTILE_VALUES), { nil: null }), { minLength: leaves.length, maxLength: leaves.length })
    .filter((choices) => choices.some((c) => c !== null))
    .map((choices) => text.replace(/"@@(\d+)@@"/g, (_m, i: string) => choices[Number(i)] ?? JSON.stringify(leaves[Number(i)])));
}

// Some bodies are free-form (a service definition, say), so a valid body need not be an object.
const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function mutated(value: unknown): fc.Arbitrary<string> {
  const changes: fc.Arbitrary<unknown>[] = [fc.jsonValue()];
  const keys = isRecord(value) ? Object.keys(value) : [];
  if (isRecord(value) && keys.length > 0) {
    changes.push(fc.constantFrom(...keys).map((key) => ({ ...value, [key]: undefined })));
    changes.push(fc.tuple(fc.constantFrom(...keys), fc.jsonValue()).map(([key, v]) => ({ ...value, [key]: v })));
  }
  return fc.oneof(...changes).map((v) => JSON.stringify(v) ?? '');
}

/** A strict prefix of an object's or array's JSON text is never a JSON document (a number's may be). */
function truncated(value: unknown): fc.Arbitrary<string> {
  if (value === null || typeof value !== 'object') return fc.constantFrom(...MALFORMED_JSON);
  const text = JSON.stringify(value);
  return fc.nat(text.length - 1).map((n) => text.slice(0, n));
}

function withPrototypeKeys(value: unknown, key: '__proto__' | 'constructor'): string {
  const poison = key === '__proto__' ? '{"polluted":true}' : '{"prototype":{"polluted":true}}';
  const rest = JSON.stringify(isRecord(value) ? value : { value }).slice(1);
  return `{"${key}":${poison}${rest === '}' ? '' : ','}${rest}`;
}

function asForm(value: unknown): string {
  return new URLSearchParams(Object.entries(isRecord(value) ? value : { value }).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
}

function hostileBodies(schema: JsonSchema): fc.Arbitrary<Body> {
  const valid = validValue(schema);
  return fc.oneof(
    valid.map((v) => asJson('a valid body')(JSON.stringify(v))),
    valid.chain(mutated).map(asJson('a mutated valid body')),
    validValue(schema, true).chain(withHostileFields).map(asJson('hostile values in its fields')),
    fc.tuple(valid, fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 4 })).map(([v, extra]) => asJson('unknown fields')(JSON.stringify({ ...extra, ...(isRecord(v) ? v : { value: v }) }))),
    fc.tuple(valid, fc.constantFrom('__proto__', 'constructor') as fc.Arbitrary<'__proto__' | 'constructor'>).map(([v, key]) => asJson(`a ${key} key`)(withPrototypeKeys(v, key))),
    fc.oneof(fc.constantFrom(...MALFORMED_JSON), valid.chain(truncated)).map(asJson('malformed JSON')),
    fc.tuple(valid, fc.constantFrom(...WRONG_CONTENT_TYPES), fc.boolean()).map(([v, contentType, form]): Body => ({ label: `content type "${contentType}"`, payload: form ? asForm(v) : JSON.stringify(v), contentType })),
    fc.constantFrom(...HOSTILE_FORMS).map((payload): Body => ({ label: 'a hostile form', payload, contentType: 'application/x-www-form-urlencoded' })),
    fc.tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 1_000, max: 150_000 })).map(([open, depth]) => asJson(`nesting ${depth} deep`)(`${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`)),
    fc.tuple(valid, fc.constantFrom(...BAD_UTF8), fc.nat()).map(([v, bad, at]) => {
      const text = Buffer.from(JSON.stringify(v));
      const cut = at % (text.length + 1);
      return asJson('invalid UTF-8')(Buffer.concat([text.subarray(0, cut), bad, text.subarray(cut)]));
    }),
    valid.map((v) => asJson('an array where an object belongs')(JSON.stringify([v]))),
    fc.constant(asJson('a body over the size limit')(JSON.stringify({ x: 'x'.repeat(2 * 1_048_576) }))),
  );
}

/** Percent-encodes every byte, so any generated string (lone surrogates too) makes a valid URL. */
function encode(value: unknown): string {
  return [...Buffer.from(String(value))].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

// Mostly valid, so that with several parameters a request still often gets past validation.
function urlPart(schema: JsonSchema): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: validValue(schema).map(encode), weight: 4 },
    { arbitrary: fc.constantFrom(...HOSTILE_URL_PARTS), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(encode), weight: 1 },
  );
}

const QUERY_EXTRAS = ['', '&unknown=1', '&__proto__[polluted]=1', '&constructor[prototype][polluted]=1', '&__proto__=1', '&&&==&'];

function hostileUrls(op: Operation): fc.Arbitrary<string> {
  const path = op.parameters.filter((p) => p.in === 'path');
  const query = op.parameters.filter((p) => p.in === 'query');
  return fc
    .tuple(
      fc.tuple(...path.map((p) => urlPart(p.schema))),
      fc.tuple(...query.map((p) => fc.option(fc.array(urlPart(p.schema), { minLength: 1, maxLength: 2 }), { nil: null, freq: 1 }))),
      fc.constantFrom(...QUERY_EXTRAS),
    )
    .map(([pathValues, queryValues, extra]) => {
      let url = op.path;
      path.forEach((p, i) => (url = url.replace(`{${p.name}}`, pathValues[i]!)));
      const pairs = query.flatMap((p, i) => (queryValues[i] ?? []).map((v) => `${p.name}=${v}`));
      const search = pairs.join('&') + extra;
      return search ? `${url}?${search}` : url;
    });
}

interface HostileRequest {
  as: 'anonymous' | 'admin';
  method: string;
  url: string;
  body: Body | null;
}

function describeRequest(r: HostileRequest): string {
  const payload = r.body ? ` with ${r.body.label}: ${String(r.body.payload).slice(0, 160)}${r.body.payload.length > 160 ? '…' : ''}` : '';
  return `${r.method} ${r.url.slice(0, 200)} as ${r.as}${payload}`;
}

function hostileRequests(op: Operation): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      as: fc.constantFrom('anonymous', 'admin') as fc.Arbitrary<'anonymous' | 'admin'>,
      url: hostileUrls(op),
      body: op.body ? hostileBodies(op.body) : fc.constant(null),
    })
    // Counterexamples may carry megabytes; print them short.
    .map((r) => Object.assign({ method: op.method, ...r }, { [fc.toStringMethod]: () => describeRequest({ method: op.method, ...r }) }));
}

let app: TestApp;
let admin: Session;
let tables: string[];

// ---------------------------------------------------------------------------------------------
// What a refused request may write

type RowAlias = 'OLD' | 'NEW';

/**
 * Refusing a wrong password is what counting failed attempts is for, and a failed sign-in is a
 * security event worth keeping; authenticating any request touches its session's idle timer; the
 * mediator keeps every refused exchange in its message log as evidence.
 * Nothing else may change when a request is refused, queued jobs included.
 */
const WRITTEN_BY_REFUSALS: Record<string, { wholly?: true; rowsThatCount?: (row: RowAlias) => string; ignoreColumns?: string[] }> = {
  identity_throttle: { wholly: true },
  audit_entries: { rowsThatCount: (row) => `${row}.action <> 'identity.sign-in-failed'` },
  identity_sessions: { ignoreColumns: ['last_seen_at'] },
  mediator_log: { wholly: true },
};

/**
 * Every table gets row triggers that note each committed insert, update and delete (and a
 * statement trigger for truncation) in `fuzz_writes`, except what refusals may write. A write
 * rolled back leaves no note, as it leaves no change. Reading the notes costs the same however
 * large the tables are, so a case costs little more than its request.
 */
async function recordWrites(): Promise<void> {
  const db = app.database.db;
  await sql`CREATE UNLOGGED TABLE fuzz_writes (table_name text NOT NULL, operation text NOT NULL)`.execute(db);
  await sql`
    CREATE FUNCTION fuzz_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO fuzz_writes VALUES (TG_TABLE_NAME, TG_OP);
      RETURN NULL;
    END $$`.execute(db);
  for (const table of tables.filter((t) => !WRITTEN_BY_REFUSALS[t]?.wholly)) {
    const rule = WRITTEN_BY_REFUSALS[table] ?? {};
    const counts = rule.rowsThatCount ?? (() => 'true');
    const ignored = rule.ignoreColumns ?? [];
    const columns = `'{${ignored.join(',')}}'::text[]`;
    const changed = ignored.length === 0 ? 'true' : `(to_jsonb(OLD) - ${columns}) IS DISTINCT FROM (to_jsonb(NEW) - ${columns})`;
    const triggers = [
      ['INSERT', counts('NEW')],
      ['DELETE', counts('OLD')],
      ['UPDATE', `(${counts('OLD')} OR ${counts('NEW')}) AND ${changed}`],
    ];
    for (const [operation, when] of triggers) {
      await sql`CREATE TRIGGER ${sql.id(`fuzz_${operation!.toLowerCase()}`)} AFTER ${sql.raw(operation!)} ON ${sql.table(table)} FOR EACH ROW WHEN (${sql.raw(when!)}) EXECUTE FUNCTION fuzz_note_write()`.execute(db);
    }
    await sql`CREATE TRIGGER fuzz_truncate AFTER TRUNCATE ON ${sql.table(table)} FOR EACH STATEMENT EXECUTE FUNCTION fuzz_note_write()`.execute(db);
  }
}

/** The writes noted since the last call, as "table operation" (the notes are cleared). */
async function writesSinceLastLook(): Promise<string[]> {
  const result = await sql<{ table_name: string; operation: string }>`DELETE FROM fuzz_writes RETURNING table_name, operation`.execute(app.database.db);
  return [...new Set(result.rows.map((row) => `${row.table_name} ${row.operation}`))];
}

function assertAnswered(request: HostileRequest, response: LightMyRequestResponse): void {
  const where = `${describeRequest(request)}\n→ ${response.statusCode} ${response.body.slice(0, 300)}`;
  assert.ok(response.statusCode < 500, `a server error for ${where}`);
  if (response.statusCode < 400) return;
  const type = String(response.headers['content-type'] ?? '');
  // A page refuses a form by showing it again with the errors; everything else is problem+json.
  if (!request.url.startsWith('/api/') && type.startsWith('text/html')) return;
  assert.match(type, /^application\/problem\+json/, where);
  const problem = JSON.parse(response.body) as { status?: unknown; title?: unknown; detail?: unknown };
  assert.equal(problem.status, response.statusCode, where);
  assert.ok(typeof problem.title === 'string' && problem.title.length > 0, `no title: ${where}`);
  assert.ok(typeof problem.detail === 'string' && problem.detail.length > 0, `no detail: ${where}`);
}

before(async () => {
  app = await startTestApp();
  admin = await signIn(app, 'admin', DEMO_PASSWORD);
  const result = await sql<{ tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(app.database.db);
  tables = result.rows.map((row) => row.tablename);
  await recordWrites();
});
after(() => app.stop());

/** A request that succeeded may have ended the administrator's session (signing out is an operation too). */
async function keepAdminSignedIn(): Promise<void> {
  const me = await app.app.inject({ method: 'GET', url: '/api/identity/me', headers: { cookie: admin.cookie() } });
  if (me.statusCode === 401) admin = await signIn(app, 'admin', DEMO_PASSWORD);
}

async function send(request: HostileRequest): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = request.as === 'admin' ? asSession(admin) : {};
  if (request.body) headers['content-type'] = request.body.contentType;
  return app.app.inject({ method: request.method as 'POST', url: request.url, headers, payload: request.body?.payload, remoteAddress: FUZZ_ADDRESS });
}

/** An endpoint family: one block's API (`/api/payments`, `/govstack/registries`), or one tree of pages (`/cabinet`). */
function familyOf(path: string): string {
  const [first = '', second = ''] = path.split('/').filter(Boolean);
  return first === 'api' || first === 'govstack' ? `/${first}/${second}` : `/${first}`;
}

/**
 * By default the cases are shared out among the operations; FUZZ_RUNS=<n> gives each operation n,
 * and FUZZ_PER_FAMILY=<n> gives each family at least n, shared among its operations (the bench
 * version), optionally only the families listed in FUZZ_FAMILIES.
 */
function casesPerOperation(operations: Operation[]): (op: Operation) => number {
  const perFamily = Number(process.env.FUZZ_PER_FAMILY);
  if (perFamily) {
    const sizes = new Map<string, number>();
    for (const op of operations) sizes.set(familyOf(op.path), (sizes.get(familyOf(op.path)) ?? 0) + 1);
    return (op) => Math.ceil(perFamily / sizes.get(familyOf(op.path))!);
  }
  const runs = Number(process.env.FUZZ_RUNS) || Math.max(3, Math.round(RUNS_IN_ALL / operations.length));
  return () => runs;
}

describe('hostile input', () => {
  it('notices a committed write in any table, but not one rolled back nor what refusals may write', async () => {
    const db = app.database.db;
    await writesSinceLastLook();
    await sql`UPDATE identity_users SET username = username WHERE username = 'admin'`.execute(db);
    assert.deepEqual(await writesSinceLastLook(), ['identity_users UPDATE']);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`UPDATE identity_users SET username = username WHERE username = 'admin'`.execute(trx);
        throw new Error('rolled back');
      }),
    );
    await sql`UPDATE identity_sessions SET last_seen_at = now()`.execute(db);
    assert.deepEqual(await writesSinceLastLook(), []);
    await sql`UPDATE identity_sessions SET expires_at = expires_at + interval '1 second'`.execute(db);
    assert.deepEqual(await writesSinceLastLook(), ['identity_sessions UPDATE']);
  });

  it('never gets a server error, is refused with problem+json, and a refusal writes nothing', async (t) => {
    const families = process.env.FUZZ_FAMILIES?.split(',');
    const operations = operationsTakingInput(app.app.swagger()).filter((op) => !families || families.includes(familyOf(op.path)));
    assert.ok(families || operations.length >= 20, `only ${operations.length} operations take input; is the OpenAPI document complete?`);
    const casesFor = casesPerOperation(operations);
    const reports = new Map<string, FamilyReport>();
    t.diagnostic(`${operations.length} operations, ${operations.reduce((sum, op) => sum + casesFor(op), 0)} cases, fast-check seed ${SEED}: FUZZ_SEED=${SEED} replays this run`);
    for (const [index, op] of operations.entries()) {
      const family = familyOf(op.path);
      const report = reports.get(family) ?? { family, operations: 0, cases: 0, answers: {}, seconds: 0 };
      reports.set(family, report);
      report.operations += 1;
      const started = process.hrtime.bigint();
      await t.test(`${op.method} ${op.path}`, async () => {
        await fc.assert(
          fc.asyncProperty(hostileRequests(op), async (request) => {
            await writesSinceLastLook();
            const response = await send(request);
            assertAnswered(request, response);
            const answer = `${String(response.statusCode).slice(0, 1)}xx`;
            report.answers[answer] = (report.answers[answer] ?? 0) + 1;
            report.cases += 1;
            if (response.statusCode >= 400) {
              assert.deepEqual(await writesSinceLastLook(), [], `a refused request changed the database: ${describeRequest(request)} → ${response.statusCode}`);
            } else if (request.as === 'admin') {
              await keepAdminSignedIn();
            }
          }),
          // Each operation its own stream of cases, all of them following from the one seed.
          { seed: SEED + index, numRuns: casesFor(op) },
        );
      });
      report.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no request polluted Object.prototype');
    if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify([...reports.values()], null, 2));
  });
});
