import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the data exchange benchmark', () => {
  it('exchanges a few signed reads between two nodes and prints their rate beside the native read', async () => {
    // Any database on the test server will do: the benchmark makes two scratch databases beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'data-exchange.ts'), '--connections=1,2', '--requests=10'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^\s*connections\s+exchanges\/s\s+p50 ms\s+p99 ms\s+native reads\/s\s+native p50 ms\s+ratio$/m);
      for (const connections of [1, 2]) assert.match(stdout, new RegExp(`^\\s+${connections}(\\s+\\d+(\\.\\d+)?){6}$`, 'm'));
      assert.doesNotMatch(stdout, /failed/);
      // Warm-up and both figures: 10 + 10 + 10 exchanges, each logged once on each side.
      assert.match(stdout, /^message log entries: caller 30, provider 30$/m);
    } finally {
      await testDb.drop();
    }
  });
});
