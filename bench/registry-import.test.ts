import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../test/support/database.ts';

const run = promisify(execFile);

describe('the registry import benchmark', () => {
  it('imports a small file in each format and mode, and prints records per second, memory and search times', async () => {
    // Any database on the test server will do: the benchmark makes its own scratch database beside it.
    const testDb = await createTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'registry-import.ts'), '--records=2000', '--searches=3'],
        { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: testDb.url } },
      );
      assert.match(stdout, /^\s*format\s+mode\s+written\s+bad rows\s+upload s\s+job s\s+records\/s\s+peak RSS MiB\s+peak heap MiB$/m);
      assert.match(stdout, /^\s+csv\s+all-or-nothing\s+2000\s+0\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\s+\d+\s+\d+$/m);
      assert.match(stdout, /^\s+jsonl\s+skip-and-report\s+1999\s+1\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\s+\d+\s+\d+$/m);
      assert.match(stdout, /^\s+exact key\s+\d+\.\d\s+1\.0$/m);
      assert.match(stdout, /^\s+starts with \(50 per page\)\s+\d+\.\d\s+\d+\.\d$/m);
    } finally {
      await testDb.drop();
    }
  });
});
