/**
 * The dev cluster's images and registry, as a person (or the cluster) uses them: images built
 * once into the store and never again, served by a real docker-registry seeded from the store,
 * with the configs pods rely on; the busybox and debian images' shells work; the sample app
 * answers, fails on demand and counts both; a registry inside a network namespace answers there.
 * Needs no Kubernetes cluster (run with SLUICE_E2E_KUBECONFIG set to skip starting one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBlob,
  getManifest,
  imageConfig,
  imageManifest,
  putManifest,
} from '../../src/devcluster/images/distribution.ts';
import {
  ensureImages,
  imagesDir,
  sampleAppBinary,
  seedRegistryStore,
  tagDigest,
  type ImageName,
  type ImagesResult,
} from '../../src/devcluster/images/index.ts';
import { SAMPLE_APP_SOURCES } from '../../src/devcluster/images/sample-app.ts';
import { freePort } from '../../src/devcluster/net.ts';
import { stopComponent, type RunningComponent } from '../../src/devcluster/process.ts';
import { startRegistry, waitRegistryReady } from '../../src/devcluster/registry.ts';
import { execFile } from '../../src/util/exec.ts';
import { consoleProgress, formatDuration, silentProgress } from '../../src/util/progress.ts';

const timings: Record<string, string> = {};
let tmp: string;
let result: ImagesResult;
let registry: RunningComponent | undefined;
let address: string;

const split = (ref: string): [string, string] => {
  const [repo = '', tag = ''] = ref.split(':');
  return [repo, tag];
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sluice-images-e2e-'));
  const started = Date.now();
  result = await ensureImages(consoleProgress());
  timings[`first ensureImages (built: ${result.built.join(', ') || 'nothing'})`] = formatDuration(
    Date.now() - started,
  );
  // The cluster's registry: its own directory, seeded from the store.
  const dir = join(tmp, 'cluster-registry');
  const seeded = Date.now();
  await seedRegistryStore(result.storeDir, dir);
  timings['seedRegistryStore'] = formatDuration(Date.now() - seeded);
  address = `127.0.0.1:${await freePort()}`;
  registry = await startRegistry({
    rootDir: dir,
    listen: address,
    log: join(tmp, 'registry.log'),
    configPath: join(tmp, 'registry.yml'),
  });
  await waitRegistryReady(address, registry);
}, 20 * 60_000);

afterAll(async () => {
  if (registry) await stopComponent(registry);
  await rm(tmp, { recursive: true, force: true });
  console.log(`image timings: ${JSON.stringify(timings)}`);
});

describe('sluice dev-cluster images', () => {
  it('builds nothing the second time, in well under 2 seconds', async () => {
    const started = Date.now();
    const again = await ensureImages(silentProgress);
    const ms = Date.now() - started;
    timings['warm ensureImages'] = `${ms} ms`;
    expect(again.built).toEqual([]);
    expect(again.images).toEqual(result.images);
    expect(ms).toBeLessThan(2000);
  });

  it('prints the same references from the CLI', async () => {
    const r = await execFile(
      process.execPath,
      ['bin/sluice.js', 'dev-cluster', 'images', '--name', `none-${process.pid}`, '-o', 'json'],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ImagesResult;
    expect(out.images).toEqual(result.images);
    expect(out.storeDir).toBe(result.storeDir);
  });

  it.each<[ImageName, Record<string, unknown>]>([
    ['busybox', { Cmd: ['sh'] }],
    ['debian', { Cmd: ['bash'] }],
    [
      'sample-app',
      { Entrypoint: ['/sample-app'], User: '65534:65534', ExposedPorts: { '8080/tcp': {} } },
    ],
  ])('serves %s under its hash and stable tags, with its config', async (name, want) => {
    const [repo, tag] = split(result.images[name]);
    const [, stable] = split(result.stable[name]);
    const byHash = await getManifest(address, repo, tag);
    const byStable = await getManifest(address, repo, stable);
    expect(byHash?.digest).toMatch(/^sha256:/);
    expect(byStable?.digest).toBe(byHash?.digest);
    expect(await imageConfig(address, repo, tag)).toMatchObject(want);
  });

  it("keeps the store apart from a cluster registry's pushes", async () => {
    const storeDigest = await tagDigest(result.storeDir, 'busybox', 'latest');
    const raw = await getManifest(address, 'busybox', 'latest');
    if (raw === undefined) throw new Error('busybox:latest missing');
    // Another manifest over the same blobs (an annotation more): a new digest for the tag.
    const changed = JSON.parse(raw.body.toString('utf8')) as Record<string, unknown>;
    changed['annotations'] = { 'test.sluice.dev/pushed': String(process.pid) };
    await putManifest(address, 'busybox', 'latest', {
      ...raw,
      body: Buffer.from(JSON.stringify(changed)),
    });
    const pushed = await getManifest(address, 'busybox', 'latest');
    expect(pushed?.digest).not.toBe(raw.digest);
    expect(await tagDigest(result.storeDir, 'busybox', 'latest')).toBe(storeDigest);
  });
});

/** Unpacks a one-layer image into a new directory. */
async function unpack(ref: string): Promise<string> {
  const [repo, tag] = split(ref);
  const m = await imageManifest(address, repo, tag);
  expect(m?.layers).toHaveLength(1);
  const dir = await mkdtemp(join(tmp, `${repo}-`));
  const layer = await getBlob(address, repo, m?.layers[0]?.digest ?? '');
  const r = await execFile('tar', ['-xz', '--numeric-owner', '-C', dir], { input: layer });
  expect(r.code).toBe(0);
  return dir;
}

describe('the images run (chroot into their unpacked layer)', () => {
  it('busybox: sh and the applets work, nobody exists, /tmp is world-writable', async () => {
    const root = await unpack(result.images.busybox);
    const r = await execFile('chroot', [root, '/bin/sh', '-c', 'echo hi | wc -c; ls /usr/bin/awk']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('3\n/usr/bin/awk\n');
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).toContain('nobody:x:65534:65534:');
    expect((await stat(join(root, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });

  it('debian: bash, apt and dpkg are there', async () => {
    const root = await unpack(result.images.debian);
    const r = await execFile('chroot', [root, '/bin/bash', '-c', 'dpkg -s apt | head -2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Package: apt');
    expect(await readFile(join(root, 'etc/debian_version'), 'utf8')).toMatch(/^\d+/);
  });
});

describe('sample-app', () => {
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
  });

  it('passes its Go unit tests', async () => {
    const r = await execFile('go', ['test', './...'], {
      cwd: SAMPLE_APP_SOURCES,
      env: { ...process.env, CGO_ENABLED: '0' },
      timeoutMs: 5 * 60_000,
    });
    expect(r.stdout + r.stderr).toMatch(/^ok\s/m);
    expect(r.code).toBe(0);
  }, 300_000);

  async function run(env: Record<string, string>, args: string[] = []) {
    const binary = await sampleAppBinary(imagesDir(), silentProgress);
    const port = await freePort();
    const p = spawn(binary, args, {
      env: { HOST: '127.0.0.1', PORT: String(port), ...env },
      stdio: 'ignore',
    });
    procs.push(p);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { p, base };
  }

  const counter = (text: string, code: number): number =>
    Number(
      new RegExp(`^http_requests_total\\{code="${code}",path="/"\\} (\\d+)$`, 'm').exec(text)?.[1],
    );

  it('answers its version and hostname, and counts the 200s', async () => {
    const { base } = await run({ VERSION: 'v9' });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ version: 'v9', hostname: hostname() });
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(counter(metrics, 200)).toBe(3);
    expect(counter(metrics, 500)).toBe(0);
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{path="\/"\} 3$/m);
  });

  it('fails every request with ERROR_RATE=1 (or --error-rate 1), counted as 500s', async () => {
    for (const [env, args] of [
      [{ ERROR_RATE: '1' }, []],
      [{ ERROR_RATE: '0' }, ['--error-rate', '1']],
    ] as const) {
      const { base } = await run(env, [...args]);
      for (let i = 0; i < 2; i++) expect((await fetch(`${base}/`)).status).toBe(500);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(counter(metrics, 500)).toBe(2);
      expect(counter(metrics, 200)).toBe(0);
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const { p } = await run({});
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('a registry inside a network namespace', () => {
  it('listens on the namespace side of a veth pair and is reached from the host there', async () => {
    const ns = `sluice-imgtest-${process.pid}`;
    const hostIf = `sih${process.pid % 100000}`;
    const nsIf = `sin${process.pid % 100000}`;
    const ip = async (...args: string[]): Promise<void> => {
      const r = await execFile('ip', args);
      expect(r.stderr).toBe('');
    };
    const nsAddress = '198.19.200.2:5000';
    try {
      await ip('netns', 'add', ns);
      await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns);
      await ip('addr', 'add', '198.19.200.1/30', 'dev', hostIf);
      await ip('link', 'set', hostIf, 'up');
      await ip('-n', ns, 'addr', 'add', '198.19.200.2/30', 'dev', nsIf);
      await ip('-n', ns, 'link', 'set', nsIf, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      const reg = await startRegistry({
        rootDir: join(tmp, 'netns-registry'),
        listen: nsAddress,
        log: join(tmp, 'netns-registry.log'),
        configPath: join(tmp, 'netns-registry.yml'),
        netns: ns,
      });
      try {
        await waitRegistryReady(nsAddress, reg);
        const [inside, ours] = await Promise.all(
          [`/proc/${reg.pid}/ns/net`, '/proc/self/ns/net'].map((p) =>
            execFile('readlink', [p]).then((r) => r.stdout.trim()),
          ),
        );
        expect(inside).not.toBe(ours);
        expect(reg.binary).toBe('/usr/bin/docker-registry');
      } finally {
        await stopComponent(reg);
      }
    } finally {
      await execFile('ip', ['link', 'del', hostIf]);
      await execFile('ip', ['netns', 'del', ns]);
    }
  });
});
