/**
 * Signed requests per second between two Daftari nodes through the mediator: the urban-permits
 * node reads Amina's parcel from the land-registry node, `callMember` → `POST
 * /api/mediator/v1/land-parcels/read`. Each exchange signs the request (EdDSA), and the provider
 * checks the signature, the freshness window, the access right and Amina's consent, records the
 * message id against replays, reads the record (logged for Amina), signs the answer and appends to
 * its hash-linked message log; the caller verifies the answer's signature and appends to its own.
 *
 * Baseline, in the same run and on the same provider: the same record read through the
 * provider's own JSON API by a signed-in officer (`GET /api/registries/land-parcels/records/:id`),
 * which also reads and logs the use for Amina, but signs, verifies and chains nothing.
 *
 *   node --import tsx bench/data-exchange.ts [--connections=1,16] [--requests=400]
 *
 * Two nodes, each with its own scratch database (two embedded servers, or two databases beside
 * DATABASE_URL) and key. Never asserts on timing.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { callMember } from '../src/blocks/mediator/index.ts';
import { machine, printTable, startDaftariUnderLoad, type DaftariUnderLoad } from './support/daftari-under-load.ts';

const { values: options } = parseArgs({
  options: {
    connections: { type: 'string', default: '1,16' },
    requests: { type: 'string', default: '400' },
  },
});
const connectionCounts = options.connections.split(',').map(Number);
const requests = Number(options.requests);
if (connectionCounts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(requests) || requests < 1) throw new Error('--connections is a list of whole numbers, --requests a whole number from 1');

const PERMITS = 'DJ/GOV/urban-permits';
const LAND = 'DJ/GOV/land-registry';
const SERVICE = 'land-parcels/read';
const AMINA = 'DJ-1985-000123';
const PARCEL = 'DJ-PAR-0000001';

async function post(node: DaftariUnderLoad, headers: Record<string, string>, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${node.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
}

/** Each node registers the other, as their administrators would, through the admin API. */
async function connect(client: DaftariUnderLoad, provider: DaftariUnderLoad): Promise<void> {
  const [clientAdmin, providerAdmin] = await Promise.all([client.headersOf('admin'), provider.headersOf('admin')]);
  await post(provider, providerAdmin, '/api/mediator/members', { code: PERMITS, name: 'Urban permits office', baseUrl: client.url, publicJwk: client.daftari.keys.publicJwk, agency: 'urban-permits' });
  await post(provider, providerAdmin, '/api/mediator/services', { code: SERVICE, fields: ['parcelNumber', 'ownerNationalId', 'zone', 'areaM2'], purpose: 'construction-permit' });
  await post(provider, providerAdmin, '/api/mediator/rights', { client: PERMITS, service: SERVICE });
  await post(client, clientAdmin, '/api/mediator/members', { code: LAND, name: 'Land registry', baseUrl: provider.url, publicJwk: provider.daftari.keys.publicJwk });
}

/** `total` calls of `once`, `lanes` at a time; the rate, the latency percentiles and failures. */
async function measure(lanes: number, total: number, once: () => Promise<boolean>) {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next++ < total) {
      const t0 = performance.now();
      if (!(await once())) failed++;
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rate: (total - failed) / seconds, p50: at(0.5), p99: at(0.99), failed };
}

const [client, provider] = await Promise.all([startDaftariUnderLoad(), startDaftariUnderLoad()]);
try {
  await connect(client, provider);
  const officer = await provider.headersOf('officer.permits');
  const exchange = async () => {
    const answer = await callMember(client.daftari.database.db, client.daftari.keys, { from: PERMITS, to: LAND, service: SERVICE, body: { person: AMINA, match: { parcelNumber: PARCEL } }, userId: 'officer.permits', issue: 'bench' });
    return answer.status === 200 && (answer.body as { record: unknown }).record !== null;
  };
  const found = await fetch(`${provider.url}/api/registries/land-parcels/records?match=parcelNumber:${PARCEL}&reason=bench`, { headers: officer });
  const recordId = ((await found.json()) as { records: { id: string }[] }).records[0]?.id;
  if (!recordId) throw new Error('the provider has no demo parcel to read');
  const native = async () => (await fetch(`${provider.url}/api/registries/land-parcels/records/${recordId}?reason=bench`, { headers: officer })).ok;

  // Warm both paths (code, pools, keys) before anything is timed.
  await measure(Math.max(...connectionCounts), Math.min(requests, 50), exchange);
  await measure(Math.max(...connectionCounts), Math.min(requests, 50), native);

  console.log(`Data exchange: signed reads of one parcel between two nodes, ${requests} requests per figure, ${client.server}; ${machine()}`);
  const rows: string[][] = [];
  for (const connections of connectionCounts) {
    const base = await measure(connections, requests, native);
    const signed = await measure(connections, requests, exchange);
    for (const [name, r] of [['failed native', base], ['failed exchanges', signed]] as const) if (r.failed > 0) console.log(`${connections} connection(s): ${r.failed} ${name}`);
    rows.push([String(connections), signed.rate.toFixed(0), signed.p50.toFixed(1), signed.p99.toFixed(1), base.rate.toFixed(0), base.p50.toFixed(1), (signed.rate / base.rate).toFixed(2)]);
  }
  printTable(['connections', 'exchanges/s', 'p50 ms', 'p99 ms', 'native reads/s', 'native p50 ms', 'ratio'], rows);
  const logs = await Promise.all([client, provider].map(async (node) => (await node.daftari.database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM mediator_log')).rows[0]!.n));
  console.log(`message log entries: caller ${logs[0]}, provider ${logs[1]}`);
} finally {
  await Promise.all([client.close(), provider.close()]);
}
