import { spawn } from 'node:child_process';
import path from 'node:path';

export const DAFTARI_BIN = path.resolve(import.meta.dirname, '../../bin/daftari.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the `daftari` command as an operator would, with no input, and collect what it prints. */
export function runDaftari(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAFTARI_BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
