/**
 * The hostile-input property test (src/platform/http/hostile-input.test.ts) in depth: at least
 * 10,000 generated inputs per endpoint family (one block's API, or one tree of pages), printed
 * as cases, answers and cases per second per family. Any 5xx, any refusal that is not
 * problem+json, or any refused request that wrote to the database fails the run with the
 * counterexample and the seed that replays it.
 *
 *   node --import tsx bench/hostile-input.ts [--per-family=10000] [--families=/api/identity,/cabinet] [--seed=N]
 *
 * Run on its own, it prepares a database server as `npm test` does (embedded, or DATABASE_URL);
 * inside a test run (its smoke test), it uses that run's server.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FamilyReport } from '../test/support/fuzz-report.ts';

const { values } = parseArgs({ options: { 'per-family': { type: 'string', default: '10000' }, families: { type: 'string' }, seed: { type: 'string' } } });
const root = path.resolve(import.meta.dirname, '..');
const testFile = path.join(root, 'src/platform/http/hostile-input.test.ts');
const reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'daftari-fuzz-')), 'report.json');

const insideTestRun = Boolean(process.env.DAFTARI_TEST_SERVER_URL);
const command = insideTestRun
  ? ['--import', 'tsx', '--test', '--test-reporter=dot', testFile]
  : ['--import', 'tsx', path.join(root, 'scripts/run-tests.ts'), '--no-typecheck', testFile];
// Inside a test file, node's runner marks the environment so that it does not run tests within tests.
const { NODE_TEST_CONTEXT: _, ...outerEnv } = process.env;
const seed = values.seed ?? String(randomInt(2 ** 31));
const env = {
  ...outerEnv,
  FUZZ_PER_FAMILY: values['per-family'],
  FUZZ_REPORT: reportFile,
  ...(values.families ? { FUZZ_FAMILIES: values.families } : {}),
  FUZZ_SEED: seed,
};
const started = Date.now();
const run = spawnSync(process.execPath, command, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const seconds = (Date.now() - started) / 1000;
if (run.status !== 0 || !fs.existsSync(reportFile)) {
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  console.error(`hostile input: the property failed (seed ${seed}); --seed=${seed} with the same options replays it`);
  process.exit(1);
}

const reports = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as FamilyReport[];
fs.rmSync(path.dirname(reportFile), { recursive: true, force: true });

const columns = ['family', 'operations', 'cases', '2xx', '3xx', '4xx', '5xx', 'cases/s'];
const all: FamilyReport = { family: 'all', operations: 0, cases: 0, answers: {}, seconds: 0 };
for (const r of reports) {
  all.operations += r.operations;
  all.cases += r.cases;
  all.seconds += r.seconds;
  for (const [answer, n] of Object.entries(r.answers)) all.answers[answer] = (all.answers[answer] ?? 0) + n;
}
const rows = [...reports.sort((a, b) => a.family.localeCompare(b.family)), all].map((r) =>
  [r.family, r.operations, r.cases, r.answers['2xx'] ?? 0, r.answers['3xx'] ?? 0, r.answers['4xx'] ?? 0, r.answers['5xx'] ?? 0, Math.round(r.cases / r.seconds)].map(String),
);
const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
console.log(`hostile input: at least ${values['per-family']} cases per endpoint family, fast-check seed ${seed}, ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
console.log(line(columns));
for (const row of rows) console.log(line(row));
console.log(`no server error, every refusal problem+json or the form again, no refused request wrote anything; ${seconds.toFixed(0)} s in all`);
