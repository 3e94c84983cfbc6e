/**
 * catalog/sbom on the real node, in Sluice's image: a CycloneDX SBOM of the cluster's `debian`
 * image, read from the registry over the pod network (`<node IP>:5000`, plain HTTP), written to
 * a PVC; its results (package count, digest) match the registry, and a later TaskRun on the same
 * volume finds the packages' purls in the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { kube, useNamespace } from './harness.ts';
import {
  applyCatalogTask,
  registry,
  runCatalogTask,
  sluiceImageRef,
  startTaskRuns,
  timing,
} from './catalog-harness.ts';
import { BUSYBOX, createTaskRun, ended, succeeded } from './taskrun-harness.ts';

const ns = useNamespace('cat-sbom');

let image = '';
beforeAll(async () => {
  image = await sluiceImageRef();
}, 600_000);

describe('catalog/sbom', () => {
  it('writes a CycloneDX SBOM of an image with its Debian packages', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await applyCatalogTask(k, ns(), 'sbom');
    await k.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'out', namespace: ns() },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
    });
    const reg = await registry();
    const target = `${reg}/debian:bookworm`;
    const digest = (
      await fetch(`http://${reg}/v2/debian/manifests/bookworm`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).headers.get('docker-content-digest');
    const workspaces = [{ name: 'output', persistentVolumeClaim: { claimName: 'out' } }];

    const sbom = await runCatalogTask(k, ns(), 'sbom', 'sbom', {
      params: [
        { name: 'image', value: target },
        { name: 'plainHttp', value: 'true' },
        { name: 'sluiceImage', value: image },
      ],
      workspaces,
    });
    expect(sbom.ok, sbom.message).toBe(true);
    expect(sbom.results['image-digest']).toBe(digest);
    expect(sbom.results['sbom-path']).toBe('sbom.cdx.json');
    expect(Number(sbom.results['packages'])).toBeGreaterThan(50);
    timing('sbom (debian image)', sbom);

    await createTaskRun(k, ns(), 'check', {
      workspaces: [{ name: 'output', persistentVolumeClaim: { claimName: 'out' } }],
      taskSpec: {
        workspaces: [{ name: 'output' }],
        results: [{ name: 'purls' }, { name: 'format' }],
        steps: [
          {
            name: 'read',
            image: BUSYBOX,
            workingDir: '$(workspaces.output.path)',
            script: [
              'grep -o \'"purl": "pkg:deb/debian/\\(base-files\\|libc6\\)@[^"]*"\' sbom.cdx.json | sort | tr "\\n" " " > $(results.purls.path)',
              'grep -o \'"specVersion": "[0-9.]*"\' sbom.cdx.json > $(results.format.path)',
            ].join('\n'),
          },
        ],
      },
    });
    const check = await ended(k, ns(), 'check');
    expect(succeeded(check)?.status, succeeded(check)?.message).toBe('True');
    const results = Object.fromEntries(
      (check.status?.results ?? []).map((r) => [r.name, String(r.value as string)]),
    );
    expect(results['format']?.trim()).toBe('"specVersion": "1.6"');
    expect(results['purls']).toMatch(
      /^"purl": "pkg:deb\/debian\/base-files@12[^"]*\?arch=amd64&distro=debian-12" "purl": "pkg:deb\/debian\/libc6@2\.36-[^"]*" $/,
    );
  });
});
