import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Files by content hash. The same bytes stored twice are one blob; a blob never changes, so it
 * can be cached and checked. Local disk by default (DATA_DIR/blobs); an S3-compatible store
 * implements the same interface.
 */
export interface BlobStore {
  put(bytes: Buffer): Promise<{ hash: string; size: number }>;
  get(hash: string): Promise<Buffer | null>;
}

const HASH = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class LocalBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(hash: string): string {
    if (!HASH.test(hash)) throw new Error('not a blob hash');
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async put(bytes: Buffer): Promise<{ hash: string; size: number }> {
    const hash = sha256Hex(bytes);
    const target = this.pathOf(hash);
    try {
      await fs.access(target);
    } catch {
      await fs.mkdir(path.dirname(target), { recursive: true });
      // Write aside and rename, so a crash never leaves a half-written blob under its hash; a name
      // of its own for each write, as two requests may store the same file at the same moment.
      const temporary = `${target}.${randomUUID()}.tmp`;
      await fs.writeFile(temporary, bytes, { flag: 'wx' });
      await fs.rename(temporary, target);
    }
    return { hash, size: bytes.length };
  }

  async get(hash: string): Promise<Buffer | null> {
    try {
      const bytes = await fs.readFile(this.pathOf(hash));
      return sha256Hex(bytes) === hash ? bytes : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
