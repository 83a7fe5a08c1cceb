import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the submissions benchmark', () => {
  it('runs for a second per figure and prints submissions per second, latencies and the ratio to the INSERT baseline', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'submissions.ts'), '--connections=1,2', '--seconds=1'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^\s*connections\s+submissions\/s\s+p50 ms\s+p99 ms\s+baseline INSERT\/s\s+ratio\s+aim >= 0\.50$/m);
      for (const connections of [1, 2]) assert.match(stdout, new RegExp(`^\\s+${connections}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\.\\d\\d\\s+(met|below)$`, 'm'));
      assert.match(stdout, /^each submission wrote: 1\.00 applications, 1\.00 cases, /m);
      assert.doesNotMatch(stdout, /failed or were not 2xx/);
    } finally {
      await testDb.drop();
    }
  });
});
