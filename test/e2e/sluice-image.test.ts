/**
 * `npm run image -- --registry <addr>` as the lead's install test and a person use it: Sluice's
 * own image lands in a registry under its hash tag and `dev`, on top of the shared debian layer,
 * runs as 65532 with git and ssh, and pushing it again (or to another registry) builds nothing.
 * Needs no Kubernetes cluster (run with SLUICE_E2E_KUBECONFIG set to skip starting one).
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBlob,
  getManifest,
  imageConfig,
  imageManifest,
  type ImageManifest,
} from '../../src/devcluster/images/distribution.ts';
import { ensureImages, tagDigest } from '../../src/devcluster/images/index.ts';
import { blobPath, storeTags } from '../../src/devcluster/images/store.ts';
import { freePort } from '../../src/devcluster/net.ts';
import { stopComponent, type RunningComponent } from '../../src/devcluster/process.ts';
import { startRegistry, waitRegistryReady } from '../../src/devcluster/registry.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';

let tmp: string;
const registries: RunningComponent[] = [];

async function registry(name: string): Promise<string> {
  const address = `127.0.0.1:${await freePort()}`;
  const reg = await startRegistry({
    rootDir: join(tmp, name),
    listen: address,
    log: join(tmp, `${name}.log`),
    configPath: join(tmp, `${name}.yml`),
  });
  registries.push(reg);
  await waitRegistryReady(address, reg);
  return address;
}

const image = (...args: string[]) =>
  execFile(process.execPath, ['scripts/image.ts', ...args], { timeoutMs: 15 * 60_000 });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sluice-image-e2e-'));
});

afterAll(async () => {
  for (const r of registries) await stopComponent(r);
  await rm(tmp, { recursive: true, force: true });
});

/** Unpacks an image's layers in order, applying whiteouts, into a new directory. */
async function unpack(address: string, repo: string, ref: string): Promise<string> {
  const m = await imageManifest(address, repo, ref);
  const dir = await mkdtemp(join(tmp, 'rootfs-'));
  await chmod(dir, 0o755); // a runtime's rootfs is world-readable; mkdtemp's is not
  for (const layer of m?.layers ?? []) {
    const blob = await getBlob(address, repo, layer.digest);
    const list = (await execFile('tar', ['-tz'], { input: blob })).stdout.split('\n');
    for (const entry of list.filter((e) => /(^|\/)\.wh\.[^/]+$/.test(e))) {
      const slash = entry.lastIndexOf('/');
      const parent = entry.slice(0, slash + 1);
      const name = entry.slice(slash + 1 + '.wh.'.length);
      const target = name === '.wh..opq' ? `${parent}*` : `${parent}${name}`;
      await execFile('sh', ['-c', 'cd "$1" && rm -rf -- $2', 'sh', dir, target]);
    }
    const r = await execFile('tar', ['-xz', '--numeric-owner', '-C', dir], { input: blob });
    expect(r.stderr).toBe('');
    await execFile('find', [dir, '-name', '.wh.*', '-delete']);
  }
  return dir;
}

describe('npm run image', () => {
  it(
    'pushes sluice/sluice:<version>-<hash> and :dev, prints the reference last',
    async () => {
      const address = await registry('first');
      const started = Date.now();
      const r = await image('--registry', address);
      console.log(`npm run image (first registry): ${Date.now() - started} ms`);
      expect(r.code).toBe(0);
      const reference = r.stdout.trim().split('\n').at(-1) ?? '';
      expect(reference).toMatch(new RegExp(`^${address}/sluice/sluice:0\\.1\\.0-[0-9a-f]{12}$`));
      const tag = reference.split(':').at(-1) ?? '';

      const byTag = await getManifest(address, 'sluice/sluice', tag);
      expect((await getManifest(address, 'sluice/sluice', 'dev'))?.digest).toBe(byTag?.digest);

      // Three layers: debian's own (shared with the base image), the runtime, the application.
      const { images, storeDir } = await ensureImages(silentProgress);
      const [debianRepo = '', debianTag = ''] = images.debian.split(':');
      const debianDigest = (await tagDigest(storeDir, debianRepo, debianTag)) ?? '';
      const debian = JSON.parse(
        await readFile(blobPath(storeDir, debianDigest), 'utf8'),
      ) as ImageManifest;
      const m = await imageManifest(address, 'sluice/sluice', tag);
      expect(m?.layers).toHaveLength(3);
      expect(m?.layers[0]?.digest).toBe(debian.layers[0]?.digest);
      // The store keeps this build and a few before it, not every build ever made.
      const kept = await storeTags(storeDir, 'sluice/sluice');
      expect(kept).toContain(tag);
      expect(kept.length).toBeLessThanOrEqual(3);

      expect(await imageConfig(address, 'sluice/sluice', tag)).toMatchObject({
        Entrypoint: ['/usr/local/bin/node', '/app/bin/sluice.js'],
        Cmd: ['controller'],
        User: '65532:65532',
        WorkingDir: '/app',
      });

      // The image works as its user: Node runs Sluice, git and ssh are there.
      const root = await unpack(address, 'sluice/sluice', tag);
      await execFile('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
      const run = await execFile('chroot', [
        '--userspec=65532:65532',
        root,
        '/bin/sh',
        '-c',
        'cd /app && node bin/sluice.js --version && git --version && ssh -V 2>&1 && whoami',
      ]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^0\.1\.0\ngit version 2\.\d+.*\nOpenSSH_.*\nsluice\n$/);
    },
    20 * 60_000,
  );

  it(
    'builds nothing when the image exists: same registry, or another one',
    async () => {
      const other = await registry('second');
      const started = Date.now();
      const r = await image('--registry', other);
      const ms = Date.now() - started;
      console.log(`npm run image (second registry, nothing to build): ${ms} ms`);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('building image');
      expect(r.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^${other}/sluice/sluice:`));
      expect(ms).toBeLessThan(30_000);

      const again = await image('--registry', other);
      expect(again.stderr).toContain('already in the registry; tagged it dev');
    },
    5 * 60_000,
  );

  it('without --registry and without a running cluster, says how to give one', async () => {
    const r = await image('--name', `none-${process.pid}`);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `dev cluster "none-${process.pid}" is not running or has no registry`,
    );
    expect(r.stderr).toContain('--registry host:port');
  });
});
