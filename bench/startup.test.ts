import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('the start-up benchmark, in miniature, prints every figure in its table', async () => {
  const bench = path.resolve(import.meta.dirname, 'startup.ts');

  const { stdout } = await run(process.execPath, ['--import', 'tsx', bench, '--runs', '1', '--idle-seconds', '0', '--burst-seconds', '1', '--connections', '2']);

  const rows = [
    /^\| spawn → \/ready 200, fresh DATA_DIR \(initdb, migrate, seed\), median of 1 \| \d+\.\d\d s \(\d+\.\d\d s–\d+\.\d\d s\) \|$/m,
    /^\| spawn → \/ready 200, warm DATA_DIR, median of 1 \| \d+\.\d\d s \(\d+\.\d\d s–\d+\.\d\d s\) \|$/m,
    /^\| of which `serve` itself \(database start → listening\), warm, median \| \d+\.\d\d s \|$/m,
    /^\| Node RSS idle, 0 s after ready \| \d+ MiB \|$/m,
    /^\| Node RSS after 1 s of GET \/ from 2 connections \| \d+ MiB \|$/m,
    /^\| that burst: requests, mean rate, p99 latency \| [1-9]\d*, \d+ req\/s, \d+ ms \|$/m,
  ];
  for (const row of rows) assert.match(stdout, row);
});
