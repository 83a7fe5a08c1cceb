/** `npm run bench`: run every benchmark in bench/, one after another, each printing its figures. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const self = path.basename(import.meta.filename);
const benches = fs
  .readdirSync(dir)
  .filter((name) => name.endsWith('.ts') && name !== self && !name.endsWith('.test.ts'))
  .sort();

for (const name of benches) {
  console.log(`\n== bench/${name} ==`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, name)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${name} failed (${result.signal ?? `exit ${result.status}`})`);
    process.exit(result.status ?? 1);
  }
}
