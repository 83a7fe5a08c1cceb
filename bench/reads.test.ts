import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the reads benchmark', () => {
  it('grows the applications in bulk and prints each read at each size with the p99 ratio', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'reads.ts'), '--sizes=100,1000', '--seconds=1', '--connections=1'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^100 applications \(\d+ open tasks\), generated in /m);
      assert.match(stdout, /^1000 applications \(\d+ open tasks\), generated in /m);
      for (const read of ['worklist page \\(officer\\)', 'worklist API \\(officer\\)', 'application status \\(applicant\\)', 'my applications page \\(applicant\\)', 'public status by tracking number']) {
        assert.match(stdout, new RegExp(`^\\s*${read}(\\s+\\d+){6}\\s+\\d+\\.\\d\\d\\s+(met|below)$`, 'm'));
      }
      assert.doesNotMatch(stdout, /failed or were not 2xx/);
    } finally {
      await testDb.drop();
    }
  });
});
