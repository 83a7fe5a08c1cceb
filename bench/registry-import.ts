/**
 * How fast does a registry take a bulk import, and how fast is it searched afterwards? An
 * administrator uploads `--records` people (default 100,000) to a personal registry over HTTP,
 * once as CSV written all or nothing, once as JSON lines skipping bad rows (one bad row in each
 * file); the import job checks every row against the schema and the key, then writes them in
 * batches of 1000, each record with its access-log entry. Then exact and "starts with" searches
 * run over the filled registry.
 *
 *   node --import tsx bench/registry-import.ts [--records=100000] [--searches=50]
 *
 * The job runs in this process (as the worker would); the memory figures are this process's
 * peaks while it runs, file and app included. Starts its own Daftari on a scratch database (see
 * bench/support); never asserts on timing.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { machine, startDaftariUnderLoad } from './support/daftari-under-load.ts';

const { values: options } = parseArgs({ options: { records: { type: 'string', default: '100000' }, searches: { type: 'string', default: '50' } } });
const records = Number(options.records);
const searches = Number(options.searches);
if (!Number.isInteger(records) || records < 10 || !Number.isInteger(searches) || searches < 1) throw new Error('--records is a whole number from 10, --searches from 1');

const REGISTRY = {
  code: 'bench-people',
  agency: 'civil-registry',
  names: { en: 'People (benchmark)' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['nationalId', 'firstName', 'lastName', 'birthDate', 'sex'],
    properties: {
      nationalId: { type: 'string', pattern: '^BX-[0-9]{8}$' },
      firstName: { type: 'string', minLength: 1, maxLength: 80 },
      lastName: { type: 'string', minLength: 1, maxLength: 80 },
      birthDate: { type: 'string', format: 'date' },
      sex: { enum: ['F', 'M'] },
      birthPlace: { type: 'string', maxLength: 80 },
      children: { type: 'integer', minimum: 0 },
    },
  },
  key: 'nationalId',
  searchable: ['nationalId', 'lastName', 'firstName'],
  personal: true,
  personField: 'nationalId',
  access: [{ role: 'officer', agency: 'civil-registry', read: '*', write: '*' }],
};

const FIRST = ['Amina', 'Hodan', 'Kadra', 'Saada', 'Hawa', 'Ahmed', 'Hassan', 'Moussa', 'Idriss', 'Ali', 'Omar', 'Fatouma'];
const LAST = ['Said', 'Farah', 'Robleh', 'Youssouf', 'Mahamoud', 'Djama', 'Warsama', 'Ibrahim', 'Elmi', 'Aden', 'Bouh', 'Waberi'];
const PLACES = ['Djibouti', 'Ali Sabieh', 'Dikhil', 'Tadjourah', 'Obock', 'Arta'];

function person(n: number) {
  return {
    nationalId: `BX-${String(n).padStart(8, '0')}`,
    firstName: FIRST[n % FIRST.length]!,
    lastName: `${LAST[(n * 7) % LAST.length]!}${n % 97}`,
    birthDate: `${1940 + (n % 66)}-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`,
    sex: n % 2 ? 'F' : 'M',
    birthPlace: PLACES[n % PLACES.length]!,
    children: n % 5,
  };
}

/** `count` people from `first`; the middle one breaks the schema (a sex the registry does not know). */
function file(format: 'csv' | 'jsonl', first: number, count: number): string {
  const bad = first + Math.floor(count / 2);
  const people = Array.from({ length: count }, (_, i) => ({ ...person(first + i), ...(first + i === bad ? { sex: 'X' } : {}) }));
  if (format === 'jsonl') return `${people.map((p) => JSON.stringify(p)).join('\n')}\n`;
  const columns = Object.keys(person(0)) as (keyof ReturnType<typeof person>)[];
  return `${columns.join(',')}\n${people.map((p) => columns.map((c) => p[c]).join(',')).join('\n')}\n`;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Right-aligned columns as wide as their widest cell (modes are longer than their heading). */
function printTable(columns: string[], rows: string[][]): void {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)) + 2);
  for (const cells of [columns, ...rows]) console.log(cells.map((c, i) => c.padStart(widths[i]!)).join(''));
}

const bench = await startDaftariUnderLoad();
try {
  const admin = await bench.headersOf('admin');
  const defined = await fetch(`${bench.url}/api/registries/${REGISTRY.code}`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(REGISTRY) });
  if (defined.status !== 201) throw new Error(`defining the registry answered ${defined.status}: ${await defined.text()}`);

  console.log(`Registry import: ${records} people per file, one bad row in each, over HTTP then the import job, ${bench.server}; ${machine()}`);
  const rows: string[][] = [];
  const runs = [
    { format: 'csv', mode: 'all-or-nothing', first: 1 },
    { format: 'jsonl', mode: 'skip-and-report', first: records + 1 },
  ] as const;
  for (const run of runs) {
    // All or nothing refuses a file with a bad row: fix it, as the administrator would after reading the report.
    const body = file(run.format, run.first, records);
    const content = run.mode === 'all-or-nothing' ? body.replace(/,X,/, ',F,') : body;
    const uploadStarted = performance.now();
    const response = await fetch(`${bench.url}/api/registries/${REGISTRY.code}/imports?mode=${run.mode}`, { method: 'POST', headers: { ...admin, 'content-type': run.format === 'csv' ? 'text/csv' : 'application/x-ndjson' }, body: content });
    if (response.status !== 202) throw new Error(`the upload answered ${response.status}: ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;

    let peakRss = 0;
    let peakHeap = 0;
    const sample = () => {
      const { rss, heapUsed } = process.memoryUsage();
      peakRss = Math.max(peakRss, rss);
      peakHeap = Math.max(peakHeap, heapUsed);
    };
    const sampler = setInterval(sample, 50);
    const started = performance.now();
    await bench.daftari.jobs.drain();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    sample();

    const status = (await (await fetch(`${bench.url}/api/registries/imports/${id}`, { headers: admin })).json()) as { state: string; writtenRows: number; errorCount: number };
    if (status.state !== 'done') throw new Error(`the import ended ${status.state}: ${JSON.stringify(status)}`);
    rows.push([run.format, run.mode, String(status.writtenRows), String(status.errorCount), uploadSeconds.toFixed(2), seconds.toFixed(2), (status.writtenRows / seconds).toFixed(0), mib(peakRss), mib(peakHeap)]);
  }
  printTable(['format', 'mode', 'written', 'bad rows', 'upload s', 'job s', 'records/s', 'peak RSS MiB', 'peak heap MiB'], rows);

  const total = rows.reduce((sum, r) => sum + Number(r[2]), 0);
  const timed = async (url: (i: number) => string) => {
    const started = performance.now();
    let found = 0;
    for (let i = 0; i < searches; i++) {
      const answer = await fetch(`${bench.url}${url(i)}`, { headers: admin });
      if (answer.status !== 200) throw new Error(`a search answered ${answer.status}: ${await answer.text()}`);
      found += ((await answer.json()) as { records: unknown[] }).records.length;
    }
    return { ms: (performance.now() - started) / searches, found: found / searches };
  };
  const reason = 'reason=Benchmark+search';
  const exact = await timed((i) => `/api/registries/${REGISTRY.code}/records?match=nationalId:BX-${String(1 + ((i * 7919) % total)).padStart(8, '0')}&${reason}`);
  const prefix = await timed((i) => `/api/registries/${REGISTRY.code}/records?prefix=lastName:${LAST[i % LAST.length]!.slice(0, 4)}&limit=50&${reason}`);
  console.log(`searches over ${total} records, ${searches} each, one at a time:`);
  printTable(['search', 'ms per search', 'records found'], [
    ['exact key', exact.ms.toFixed(1), exact.found.toFixed(1)],
    ['starts with (50 per page)', prefix.ms.toFixed(1), prefix.found.toFixed(1)],
  ]);
} finally {
  await bench.close();
}
