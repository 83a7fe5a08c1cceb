/**
 * How many officer actions per second does Daftari take over HTTP? The trade officer accepts
 * many market-stall permits, each case acted on exactly once:
 * `POST /api/workflow/cases/:id/actions/accept`. One action is one transaction: the case is
 * loaded for staff (the officer's role and owning agency), the action checked against the case's
 * current state, its inputs and guard (accept has no guard, and an optional input), the check
 * task completed, the case moved to the fire service's review with a new review task, the
 * workflow event and the audit entry written, the case-moved event queued in the outbox (analytics
 * records the move from it), and the applicant told by SMS, since Amina has a linked phone (the
 * message queued, its audit entry and its sending job). The row counts printed after the table
 * show what each action added.
 *
 *   node --import tsx bench/workflow-actions.ts [--connections=1,16] [--actions=300]
 *
 * The cases are submitted first, through the same API, and are not timed. Starts its own
 * Daftari on a scratch database (see bench/support); never asserts on timing.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, perRequest, printTable, startDaftariUnderLoad, summarise, type DaftariUnderLoad } from './support/daftari-under-load.ts';

const { values: options } = parseArgs({
  options: {
    connections: { type: 'string', default: '1,16' },
    actions: { type: 'string', default: '300' },
  },
});
const connectionCounts = options.connections.split(',').map(Number);
const actions = Number(options.actions);
if (connectionCounts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(actions) || actions < 1) throw new Error('--connections is a list of whole numbers, --actions a whole number from 1');

/** `count` market-stall cases waiting in `check`, submitted by Amina 16 at a time. */
async function submittedCases(bench: DaftariUnderLoad, headers: Record<string, string>, count: number): Promise<string[]> {
  const ids: string[] = [];
  const submitOne = async () => {
    const response = await fetch(`${bench.url}/api/registration/applications`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'harbour', cooking: false }, idempotencyKey: randomUUID() }),
    });
    if (response.status !== 201) throw new Error(`submitting a case answered ${response.status}: ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  };
  await Promise.all(Array.from({ length: 16 }, async (_, lane) => {
    for (let n = lane; n < count; n += 16) await submitOne();
  }));
  return ids;
}

const bench = await startDaftariUnderLoad();
try {
  const citizen = await bench.headersOf('amina');
  const officer = { ...(await bench.headersOf('officer.trade')), 'content-type': 'application/json' };
  /** Accept each of `ids` once: autocannon stops after as many requests as there are cases. */
  const accept = (ids: string[], connections: number) => {
    let next = 0;
    return autocannon({
      url: bench.url,
      method: 'POST',
      headers: officer,
      connections,
      amount: ids.length,
      requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, path: `/api/workflow/cases/${ids[next++ % ids.length]}/actions/accept`, body: '{}' }) }],
    });
  };

  // Warm the code paths and the pools on cases of their own before anything is timed.
  await accept(await submittedCases(bench, citizen, Math.min(actions, 32)), Math.max(...connectionCounts));

  console.log(`Workflow actions: officer.trade accepts market-stall permits over HTTP, each case once, ${actions} actions per figure, ${bench.server}; ${machine()}`);
  const rows: string[][] = [];
  let perAction = '';
  for (const connections of connectionCounts) {
    const ids = await submittedCases(bench, citizen, actions);
    const before = await bench.rowCounts();
    const result = summarise(await accept(ids, connections));
    const after = await bench.rowCounts();
    if (result.failed > 0) console.log(`${connections} connection(s): ${result.failed} requests failed or were not 2xx`);
    perAction ||= perRequest(before, after, ids.length);
    rows.push([String(connections), String(ids.length), result.rate.toFixed(0), String(result.p50), String(result.p99)]);
  }
  printTable(['connections', 'actions', 'actions/s', 'p50 ms', 'p99 ms'], rows);
  console.log(`each action wrote: ${perAction}`);
} finally {
  await bench.close();
}
