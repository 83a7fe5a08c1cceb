import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runDaftari, type CliRun } from '../test/support/cli.ts';

let dataDir: string;
before(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-cli-'));
});
after(() => fs.rm(dataDir, { recursive: true, force: true }));

function daftari(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // A data directory of its own, so a command that got too far could not touch ./data.
  return runDaftari(args, { env: { DATA_DIR: dataDir, ...env } });
}

// Each case starts a process of its own; they wait on nothing shared, so run them side by side.
describe('the daftari command', { concurrency: true }, () => {
  it('serve with PORT=abc exits 1 with one line naming PORT, and no stack trace', async () => {
    const run = await daftari(['serve'], { PORT: 'abc' });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, 'Invalid configuration: PORT: expected a whole number, got "abc"\n');
  });

  it('--help describes every command and the environment, and exits 0', async () => {
    const run = await daftari(['--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: daftari \[options\] \[command\]/);
    for (const command of ['serve', 'migrate', 'seed', 'users', 'audit', 'backup', 'restore']) assert.match(run.stdout, new RegExp(`^  ${command} `, 'm'));
    assert.match(run.stdout, /^Environment:$/m);
    assert.match(run.stdout, /^  DATABASE_URL +postgres:\/\//m);
  });

  const commands: [string[], RegExp][] = [
    [['serve'], /serve the web portal and API/],
    [['migrate'], /apply pending database migrations/],
    [['seed'], /load the demo agencies and accounts/],
    [['users', 'create'], /never the command line .*--username <name>/],
    [['audit', 'verify'], /check the whole chain .*exits 2 if tampering is found/],
    [['backup'], /one consistent snapshot.*keep it as safe as DATA_DIR/],
    [['restore'], /new, empty database .*all or nothing/],
  ];
  for (const [command, description] of commands) {
    it(`${command.join(' ')} --help explains the command and exits 0 without doing it`, async () => {
      const run = await daftari([...command, '--help'], { PORT: 'abc' });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: daftari ${command.join(' ')} `));
      // Commander wraps long lines at the terminal's width.
      assert.match(run.stdout.replace(/\s+/g, ' '), description);
      assert.equal(run.stderr, '');
    });
  }
});
