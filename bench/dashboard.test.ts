import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the dashboard benchmark', () => {
  it('generates the facts, times the rollup refresh and prints each page at each size with the p99 ratio', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'dashboard.ts'), '--sizes=200,400', '--seconds=1', '--connections=1'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      for (const size of [200, 400]) {
        assert.match(stdout, new RegExp(`^${size} applications \\(\\d+ decided, \\d+ moves, \\d+ rated, \\d+ fee movements\\), generated in [\\d.]+ s; rollups refreshed in [\\d.]+ s \\(\\d+ daily rows\\)$`, 'm'));
      }
      for (const page of ['dashboard, 12 months \\(admin\\)', 'public performance page', 'open data \\(JSON\\)']) {
        assert.match(stdout, new RegExp(`^\\s*${page}(\\s+\\d+){6}\\s+\\d+\\.\\d\\d\\s+(met|below)$`, 'm'));
      }
      assert.match(stdout, /^rollup refresh: 200: [\d.]+ s after generating, [\d.]+ s with nothing new, [\d.]+ s after 1 more, 400: [\d.]+ s after generating, [\d.]+ s with nothing new, [\d.]+ s after 1 more$/m);
      assert.doesNotMatch(stdout, /failed or were not 2xx/);
    } finally {
      await testDb.drop();
    }
  });
});
