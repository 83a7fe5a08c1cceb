import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestDatabase } from '../../../../test/support/database.ts';
import { brokenPromises, runCrashRounds } from '../../../../test/support/crash-run.ts';

/** bench/crash.ts runs the same rounds ten times over; here a few, to keep the promise checked on every run. */
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scratchDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-crash-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('submissions survive crashes', () => {
  it('killing the app mid-stream loses no acknowledged submission, duplicates none and leaves none half-written', async () => {
    const database = await createTestDatabase({ demo: true });
    cleanups.push(() => database.drop());
    const report = await runCrashRounds({ dataDir: await scratchDir(), databaseUrl: database.url, rounds: 3, clients: 4, kill: 'app' });
    cleanups.push(() => report.node.stop());
    assert.deepEqual(brokenPromises(report), []);
  });

  it('killing the embedded PostgreSQL mid-stream loses no acknowledged submission, duplicates none and leaves none half-written', async () => {
    const report = await runCrashRounds({ dataDir: await scratchDir(), rounds: 2, clients: 4, kill: 'postgres' });
    cleanups.push(() => report.node.stop());
    assert.deepEqual(brokenPromises(report), []);
  });
});
