import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);

describe('the hostile-input benchmark', () => {
  it('fuzzes the families asked for and prints their cases and answers', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'hostile-input.ts'), '--per-family=8', '--families=/api/identity,/cabinet'],
      { cwd: path.resolve(import.meta.dirname, '..'), maxBuffer: 64 * 1024 * 1024 },
    );
    assert.match(stdout, /^family\s+operations\s+cases\s+2xx\s+3xx\s+4xx\s+5xx\s+cases\/s$/m);
    for (const family of ['/api/identity', '/cabinet']) {
      const row = new RegExp(`^${family}\\s+(\\d+)\\s+(\\d+)\\s+\\d+\\s+\\d+\\s+\\d+\\s+0\\s+\\d+$`, 'm').exec(stdout);
      assert.ok(row, `no row for ${family} in:\n${stdout}`);
      assert.ok(Number(row[2]) >= 8, `${family} got ${row[2]} cases, fewer than the 8 asked for`);
    }
    assert.match(stdout, /^all\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+0\s+\d+$/m);
    assert.doesNotMatch(stdout, /^\/(?!api\/identity|cabinet)\S*\s+\d/m, 'a family not asked for was fuzzed');
  });
});
