/**
 * catalog/buildah-build-push on the real node: a Containerfile (FROM the cluster's busybox,
 * COPY a file) built daemonless in an unprivileged pod and pushed to the cluster's registry as
 * the full and short commit SHA plus the version of a tag build; the registry's tags and
 * manifest digest are checked from the host. `latest` is refused, before anything is built.
 * The run uses the node's network (`hostNetwork`) so `localhost:5000` is the registry, the
 * same name the node's kubelet pulls.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { RootfsIndex } from '../../src/delivery/sbom/rootfs.ts';
import { kube, useNamespace } from './harness.ts';
import {
  applyCatalogTask,
  buildahImageRef,
  registry,
  runCatalogTask,
  startTaskRuns,
  stepLog,
  timing,
} from './catalog-harness.ts';

const ns = useNamespace('cat-build');
const COMMIT = '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39';

let builder = '';
beforeAll(async () => {
  builder = await buildahImageRef();
}, 600_000);

async function context(): Promise<void> {
  const k = await kube();
  await k.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ctx', namespace: ns() },
    data: {
      Containerfile: 'FROM localhost:5000/busybox:latest\nCOPY hello.txt /hello.txt\n',
      'hello.txt': 'hello from the catalog\n',
    },
  });
}

const build = (name: string, image: string, ref: string) =>
  kube().then((k) =>
    runCatalogTask(k, ns(), name, 'buildah-build-push', {
      params: [
        { name: 'IMAGE', value: image },
        { name: 'COMMIT', value: COMMIT },
        { name: 'REF', value: ref },
        { name: 'TLSVERIFY', value: 'false' },
        { name: 'BUILDER_IMAGE', value: builder },
      ],
      workspaces: [{ name: 'source', configMap: { name: 'ctx' } }],
      podTemplate: { hostNetwork: true },
      follow: 'build-and-push',
    }),
  );

async function registryGet(path: string, accept?: string): Promise<Response> {
  return fetch(`http://${await registry()}/v2/${path}`, accept ? { headers: { accept } } : {});
}

describe('catalog/buildah-build-push', () => {
  it('pushes the commit and version tags, never latest, and reports the digest', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await applyCatalogTask(k, ns(), 'buildah-build-push');
    await context();
    const repo = `${ns()}/app`;
    const [built, latest, latestTag] = await Promise.all([
      build('tagged', `localhost:5000/${repo}`, 'refs/tags/v1.4.2'),
      build('latest', `localhost:5000/${repo}:latest`, 'refs/heads/main'),
      build('latest-tag', `localhost:5000/${repo}-b`, 'refs/tags/latest'),
    ]);
    expect(built.ok, built.message).toBe(true);
    expect(built.results['IMAGE_URL']).toBe(`localhost:5000/${repo}:${COMMIT}`);
    expect(built.results['IMAGE_TAGS']).toBe(`${COMMIT} 3f2a9c1 1.4.2`);
    for (const r of ['BUILD_SECONDS', 'PUSH_SECONDS']) {
      const seconds = Number(built.results[r]);
      expect(seconds, r).toBeGreaterThan(0);
      expect(seconds, r).toBeLessThan(built.seconds);
    }
    const digest = built.results['IMAGE_DIGEST'] ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const tags = (await (await registryGet(`${repo}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['1.4.2', '3f2a9c1', COMMIT].sort());
    const oci = 'application/vnd.oci.image.manifest.v1+json';
    for (const tag of tags.tags) {
      const res = await registryGet(`${repo}/manifests/${tag}`, oci);
      expect(res.headers.get('docker-content-digest'), tag).toBe(digest);
    }
    // The image holds the copied file on top of busybox.
    const manifest = (await (await registryGet(`${repo}/manifests/${digest}`, oci)).json()) as {
      layers: Array<{ digest: string }>;
    };
    const fs = new RootfsIndex();
    for (const layer of manifest.layers) {
      const blob = await registryGet(`${repo}/blobs/${layer.digest}`);
      await fs.addLayer(Readable.fromWeb(blob.body!).pipe(createGunzip()), layer.digest);
    }
    expect(fs.files.get('hello.txt')?.size).toBe('hello from the catalog\n'.length);
    expect(fs.files.has('bin/busybox')).toBe(true);

    expect(latest.ok).toBe(false);
    expect(latest.message).toBe('step "build-and-push" exited with code 1');
    expect(await stepLog(k, ns(), latest, 'build-and-push')).toContain(
      `IMAGE localhost:5000/${repo}:latest has a tag (:latest): give the repository only`,
    );
    expect(latestTag.ok).toBe(false);
    expect(await stepLog(k, ns(), latestTag, 'build-and-push')).toContain(
      'refusing the Git tag "latest": images are never tagged latest',
    );
    expect((await registryGet(`${repo}-b/tags/list`)).status).toBe(404);
    timing('buildah-build-push (tag build, 3 tags)', built);
  });
});
