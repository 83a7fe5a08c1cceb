/**
 * How long `npm start` takes to answer /ready, and how much memory its Node process holds.
 *
 *   node --import tsx bench/startup.ts [--runs 3] [--idle-seconds 5] [--burst-seconds 10] [--connections 20]
 *
 * Each run spawns `node bin/daftari.js serve` (what `npm start` runs, minus npm's own start-up)
 * on a fresh DATA_DIR, so initdb, migrations and demo seeding are included, then again on that
 * now warm DATA_DIR, timing spawn → the first 200 from /ready. A last warm start measures the
 * Node process's resident memory (VmRSS) idle and after a burst of requests to the home page.
 * Prints a Markdown table for docs/performance.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../test/support/ports.ts';

const CLI = path.resolve(import.meta.dirname, '../bin/daftari.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '5' },
    'burst-seconds': { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
  },
});
const runs = Number(values.runs);
const idleSeconds = Number(values['idle-seconds']);
const burstSeconds = Number(values['burst-seconds']);
const connections = Number(values.connections);

/** Servers still up, stopped on the way out even when a measurement fails. */
const running = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  origin: string;
  /** Spawn → first 200 from /ready, as a load balancer would see it. */
  readyMs: number;
  /** What the process itself logs: from the start of `serve` to listening, module loading excluded. */
  startupMs: number;
  postgresVersion: string;
}

async function startServe(dataDir: string): Promise<Started> {
  const port = await freePort();
  const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()), DATABASE_URL: '', LOG_LEVEL: 'info' };
  const began = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let startupMs = NaN;
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.includes('"startupMs"')) startupMs = (JSON.parse(line) as { startupMs: number }).startupMs;
    }
  });
  running.add(child);
  const origin = `http://127.0.0.1:${port}`;
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`daftari serve exited with ${child.exitCode} before it was ready`);
    const response = await fetch(`${origin}/ready`).catch(() => null);
    await response?.body?.cancel();
    if (response?.status === 200) readyMs = performance.now() - began;
    else await sleep(20);
  }
  const version = await fs.readFile(path.join(dataDir, 'pg', 'PG_VERSION'), 'utf8');
  return { child, origin, readyMs, startupMs, postgresVersion: version.trim() };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  running.delete(child);
  if (code !== 0) throw new Error(`daftari serve exited with ${code} on SIGTERM`);
}

async function rssMiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib[1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (n: number) => `${n.toFixed(0)} MiB`;

const loadBefore = os.loadavg()[0]!;
const dirs: string[] = [];
const fresh: Started[] = [];
const warm: Started[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-bench-'));
    dirs.push(dataDir);
    const first = await startServe(dataDir);
    fresh.push(first);
    await stop(first.child);
    const again = await startServe(dataDir);
    warm.push(again);
    await stop(again.child);
  }

  const server = await startServe(dirs.at(-1)!);
  await sleep(idleSeconds * 1000);
  const idle = await rssMiB(server.child.pid!);
  const burst = await autocannon({ url: `${server.origin}/`, connections, duration: burstSeconds });
  const loaded = await rssMiB(server.child.pid!);
  await stop(server.child);
  if (burst.errors > 0 || burst.non2xx > 0) throw new Error(`the burst met ${burst.errors} errors and ${burst.non2xx} non-2xx responses`);

  const cpus = os.cpus();
  const rows: [string, string][] = [
    [`spawn → /ready 200, fresh DATA_DIR (initdb, migrate, seed), median of ${runs}`, `${seconds(median(fresh.map((s) => s.readyMs)))} (${seconds(Math.min(...fresh.map((s) => s.readyMs)))}–${seconds(Math.max(...fresh.map((s) => s.readyMs)))})`],
    [`spawn → /ready 200, warm DATA_DIR, median of ${runs}`, `${seconds(median(warm.map((s) => s.readyMs)))} (${seconds(Math.min(...warm.map((s) => s.readyMs)))}–${seconds(Math.max(...warm.map((s) => s.readyMs)))})`],
    ['of which `serve` itself (database start → listening), warm, median', seconds(median(warm.map((s) => s.startupMs)))],
    [`Node RSS idle, ${idleSeconds} s after ready`, mib(idle)],
    [`Node RSS after ${burstSeconds} s of GET / from ${connections} connections`, mib(loaded)],
    ['that burst: requests, mean rate, p99 latency', `${burst.requests.total}, ${burst.requests.average.toFixed(0)} req/s, ${burst.latency.p99} ms`],
  ];
  console.log(`\nDaftari start-up and memory, ${new Date().toISOString().slice(0, 10)}: ${cpus.length} × ${cpus[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, embedded PostgreSQL ${fresh[0]!.postgresVersion}; load average ${loadBefore.toFixed(1)} before the run\n`);
  console.log('| measure | figure |\n| --- | --- |');
  for (const [measure, figure] of rows) console.log(`| ${measure} | ${figure} |`);
} finally {
  await Promise.all([...running].map((child) => stop(child).catch(() => undefined)));
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
}
