import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalBlobStore, sha256Hex } from './blob-store.ts';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-blobs-'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

describe('the local blob store', () => {
  it('keeps a file under its SHA-256 and gives it back unchanged', async () => {
    const store = new LocalBlobStore(root);
    const bytes = Buffer.from('a site plan');
    assert.deepEqual(await store.put(bytes), { hash: sha256Hex(bytes), size: bytes.length });
    assert.deepEqual(await store.get(sha256Hex(bytes)), bytes);
  });

  it('stores the same file sent by many requests at the same moment, once, and leaves nothing aside', async () => {
    const store = new LocalBlobStore(root);
    const bytes = Buffer.from('the same photo, uploaded twice at once');
    const stored = await Promise.all(Array.from({ length: 20 }, () => store.put(bytes)));
    assert.ok(stored.every((s) => s.hash === sha256Hex(bytes)));
    assert.deepEqual(await store.get(sha256Hex(bytes)), bytes);
    const hash = sha256Hex(bytes);
    assert.deepEqual(await fs.readdir(path.join(root, hash.slice(0, 2), hash.slice(2, 4))), [hash]);
  });

  it('answers null for a hash it does not hold, and refuses what is not a hash', async () => {
    const store = new LocalBlobStore(root);
    assert.equal(await store.get('0'.repeat(64)), null);
    await assert.rejects(store.get('../../etc/passwd'), /not a blob hash/);
  });
});
