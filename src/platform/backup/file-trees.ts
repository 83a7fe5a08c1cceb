import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileTreeSnapshot } from './snapshot.ts';

async function filesUnder(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // A blob store's in-flight `.tmp` file is not a blob yet.
  return entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

/**
 * Copies a directory tree file by file, refusing to overwrite a different file of the same name:
 * blobs are named by their hash and keys must never be silently replaced.
 */
export async function copyTree(from: string, to: string, opts: { check?: (relative: string, bytes: Buffer) => void } = {}): Promise<FileTreeSnapshot> {
  let bytes = 0;
  const files = await filesUnder(from);
  for (const relative of files) {
    const content = await fs.readFile(path.join(from, relative));
    opts.check?.(relative, content);
    const target = path.join(to, relative);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const existing = await fs.readFile(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (existing && !existing.equals(content)) throw new Error(`${target} already exists with other content; refusing to overwrite it`);
    if (!existing) await fs.writeFile(target, content, { mode: 0o600 });
    bytes += content.length;
  }
  return { files: files.length, bytes };
}

export async function treeSize(root: string): Promise<FileTreeSnapshot> {
  let bytes = 0;
  const files = await filesUnder(root);
  for (const relative of files) bytes += (await fs.stat(path.join(root, relative))).size;
  return { files: files.length, bytes };
}
