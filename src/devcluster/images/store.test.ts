import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath, seedRegistryStore, storeHasTag, tagDigest } from './store.ts';

const V2 = 'docker/registry/v2';
const digest = `sha256:${'ab'.repeat(32)}`;
let dir: string;
let store: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
  store = join(dir, 'store');
  const tagDir = join(store, V2, 'repositories/busybox/_manifests/tags');
  await put(blobPath(store, digest), '{"schemaVersion":2}');
  await put(join(tagDir, 'latest/current/link'), digest);
  await put(join(tagDir, 'orphan/current/link'), `sha256:${'cd'.repeat(32)}`);
  await put(join(tagDir, 'garbage/current/link'), 'not a digest');
  await put(join(store, V2, 'repositories/busybox/_uploads/123/data'), 'half an upload');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the image store', () => {
  it('has a tag when its link names a manifest blob that is there', async () => {
    expect(await tagDigest(store, 'busybox', 'latest')).toBe(digest);
    expect(await storeHasTag(store, 'busybox', 'latest')).toBe(true);
    expect(await storeHasTag(store, 'busybox', 'orphan')).toBe(false);
    expect(await storeHasTag(store, 'busybox', 'garbage')).toBe(false);
    expect(await storeHasTag(store, 'busybox', 'missing')).toBe(false);
    expect(await storeHasTag(store, 'debian', 'bookworm')).toBe(false);
  });
});

describe('seedRegistryStore', () => {
  it('hard-links blob data, copies link files, leaves uploads out', async () => {
    const dest = join(dir, 'cluster');
    await seedRegistryStore(store, dest);
    const src = await stat(blobPath(store, digest));
    const copy = await stat(blobPath(dest, digest));
    expect(copy.ino).toBe(src.ino);

    const link = join(V2, 'repositories/busybox/_manifests/tags/latest/current/link');
    expect(await readFile(join(dest, link), 'utf8')).toBe(digest);
    expect((await stat(join(dest, link))).ino).not.toBe((await stat(join(store, link))).ino);
    await expect(stat(join(dest, V2, 'repositories/busybox/_uploads/123'))).rejects.toThrow();
    expect(await storeHasTag(dest, 'busybox', 'latest')).toBe(true);
  });

  it("never writes through to the store when the cluster's copy changes", async () => {
    const dest = join(dir, 'cluster2');
    await seedRegistryStore(store, dest);
    const link = join(V2, 'repositories/busybox/_manifests/tags/latest/current/link');
    await writeFile(join(dest, link), `sha256:${'ef'.repeat(32)}`); // in place, like the registry
    expect(await readFile(join(store, link), 'utf8')).toBe(digest);
    // Seeding again brings the store's tags back, through a rename.
    await seedRegistryStore(store, dest);
    expect(await readFile(join(dest, link), 'utf8')).toBe(digest);
  });
});
