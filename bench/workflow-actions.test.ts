import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the workflow actions benchmark', () => {
  it('accepts a dozen cases and prints actions per second and latencies', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'workflow-actions.ts'), '--connections=1,2', '--actions=12'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^\s*connections\s+actions\s+actions\/s\s+p50 ms\s+p99 ms$/m);
      for (const connections of [1, 2]) assert.match(stdout, new RegExp(`^\\s+${connections}\\s+12\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
      assert.match(stdout, /^each action wrote: .*1\.00 workflow events, 1\.00 tasks opened, 1\.00 tasks completed, 2\.00 audit entries, 3\.00 outbox jobs$/m);
      assert.doesNotMatch(stdout, /failed or were not 2xx/);
    } finally {
      await testDb.drop();
    }
  });
});
