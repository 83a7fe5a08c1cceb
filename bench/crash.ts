/**
 * Crash safety, ten times over: citizens keep submitting applications over HTTP while SIGKILL hits
 * the app, then (separately) the embedded PostgreSQL under it, at a random moment of each round;
 * the node is started again and every request whose answer was lost is retried with its
 * idempotency key. Prints, per kind of kill, what was sent, acknowledged and retried, and every
 * broken promise (none expected): an acknowledged submission missing or stored twice, a retry
 * answered with another application, a submission without its case or audit entry, an audit chain
 * that does not verify.
 *
 *   node --import tsx bench/crash.ts [--rounds=10] [--clients=8]
 *
 * Each kind runs a node of its own with the embedded PostgreSQL and the demo data, in a
 * temporary DATA_DIR. src/blocks/registration/applications/crash-safety.test.ts runs a few rounds
 * of the same in npm test.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { brokenPromises, runCrashRounds } from '../test/support/crash-run.ts';

const { values: options } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, clients: { type: 'string', default: '8' } } });
const rounds = Number(options.rounds);
const clients = Number(options.clients);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(clients) || clients < 1) throw new Error('--rounds and --clients are whole numbers from 1');

console.log(`Crash safety: ${rounds} rounds of SIGKILL under ${clients} submitting clients, ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('kill        sent  acknowledged  retried after restart  broken promises');
let failed = false;
for (const kill of ['app', 'postgres'] as const) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-crash-bench-'));
  try {
    const report = await runCrashRounds({ dataDir, rounds, clients, kill });
    await report.node.stop();
    const problems = brokenPromises(report);
    failed ||= problems.length > 0;
    console.log(`${kill.padEnd(10)} ${String(report.submitted).padStart(5)} ${String(report.acknowledged.size).padStart(13)} ${String(report.retried).padStart(22)}  ${problems.length}`);
    for (const problem of problems) console.log(`  - ${problem}`);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
if (failed) process.exitCode = 1;
