import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the audit append benchmark', () => {
  it('runs tiny and prints commits per second for each design, their ratios and the linker rate', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'audit-append.ts'), '--writers=1', '--transactions=20', '--rounds=1'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^\s*writers\s+baseline tx\/s\s+deferred tx\/s\s+inline tx\/s\s+deferred\/baseline\s+inline\/baseline\s+deferred\/inline$/m);
      assert.match(stdout, /^\s+1\s+\d+\s+\d+\s+\d+\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d$/m);
      assert.match(stdout, /^linker: \d+ deferred entries linked in \d+\.\d\d s \(\d+ entries\/s, 1 signed checkpoint\(s\)\)$/m);
    } finally {
      await testDb.drop();
    }
  });
});
