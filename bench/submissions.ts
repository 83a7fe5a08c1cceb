/**
 * How many full applications per second does Daftari take over HTTP? Each request is the
 * one-call submission `POST /api/registration/applications` of a market-stall permit by a
 * signed-in citizen: answers validated, application stored, workflow case and first task
 * started, audit entry and outbox job written, all in one transaction. Measured with autocannon
 * at 1 and 16 connections and set against a baseline taken in the same run on the same
 * database: single-row INSERT commits per second through `pg` at as many clients. Aim: at
 * least 50% of the baseline.
 *
 *   node --import tsx bench/submissions.ts [--connections=1,16] [--seconds=10]
 *
 * Starts its own Daftari on a scratch database (see bench/support); never asserts on timing.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { insertCommitsPerSecond, machine, perRequest, printTable, startDaftariUnderLoad, summarise } from './support/daftari-under-load.ts';

const AIM = 0.5;

const { values: options } = parseArgs({
  options: {
    connections: { type: 'string', default: '1,16' },
    seconds: { type: 'string', default: '10' },
  },
});
const connectionCounts = options.connections.split(',').map(Number);
const seconds = Number(options.seconds);
if (connectionCounts.some((n) => !Number.isInteger(n) || n < 1) || !(seconds > 0)) throw new Error('--connections is a list of whole numbers, --seconds a positive number');

const bench = await startDaftariUnderLoad();
try {
  const headers = { ...(await bench.headersOf('amina')), 'content-type': 'application/json' };
  const body = (idempotencyKey: string) => JSON.stringify({ serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: true, stoves: 2 }, idempotencyKey });
  // A repeated key would be answered from the first application (200), not submitted again.
  const submit = (connections: number, duration: number) =>
    autocannon({
      url: `${bench.url}/api/registration/applications`,
      method: 'POST',
      headers,
      connections,
      duration,
      requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: body(randomUUID()) }) }],
    });

  // Warm the code paths, the connection pools and the caches before anything is timed.
  await submit(Math.max(...connectionCounts), Math.min(seconds, 2));
  await insertCommitsPerSecond(bench.databaseUrl, Math.max(...connectionCounts), Math.min(seconds, 1));

  console.log(`Submissions: market-stall permit applied for in one call over HTTP, ${seconds} s per figure, ${bench.server}; ${machine()}`);
  console.log(`baseline: single-row INSERT commits/s through pg with as many clients, same database, same run; aim: submissions at least ${AIM * 100}% of it`);
  const rows: string[][] = [];
  let perSubmission = '';
  for (const connections of connectionCounts) {
    const before = await bench.rowCounts();
    const result = summarise(await submit(connections, seconds));
    const after = await bench.rowCounts();
    if (result.failed > 0) console.log(`${connections} connection(s): ${result.failed} requests failed or were not 2xx`);
    perSubmission ||= perRequest(before, after, after.applications - before.applications);
    const baseline = await insertCommitsPerSecond(bench.databaseUrl, connections, seconds);
    const ratio = result.rate / baseline;
    rows.push([String(connections), result.rate.toFixed(0), String(result.p50), String(result.p99), baseline.toFixed(0), ratio.toFixed(2), ratio >= AIM ? 'met' : 'below']);
  }
  printTable(['connections', 'submissions/s', 'p50 ms', 'p99 ms', 'baseline INSERT/s', 'ratio', `aim >= ${AIM.toFixed(2)}`], rows);
  console.log(`each submission wrote: ${perSubmission}`);
} finally {
  await bench.close();
}
