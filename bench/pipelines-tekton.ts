/**
 * Tekton's own controller on the same dev cluster, for the pipelines benchmark's comparison
 * (`--tekton DIR`, DIR a checkout of github.com/tektoncd/pipeline with its vendor/ tree):
 *
 * - `go build` of cmd/controller and cmd/entrypoint from DIR (offline: vendored modules), kept
 *   in DIR/_bench-bin;
 * - the entrypoint image (`/ko-app/entrypoint`, as ko lays it out) built with buildah and pushed
 *   to the cluster's registry; the dev cluster's busybox serves as the shell image;
 * - Tekton's CRDs (config/300-crds) without their conversion webhook (only v1 is used, and it is
 *   the storage version), its namespace and ConfigMaps (config/config-*.yaml, feature-flags);
 * - the controller as a process with the admin kubeconfig, high availability off, its probe,
 *   metrics and profiling ports moved to free ones. No admission webhook: the reconcilers apply
 *   Tekton's defaults themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { Buildah, buildahDirs } from '../src/devcluster/images/buildah.ts';
import { buildTreeImage, pushTags } from '../src/devcluster/images/tree.ts';
import { freePort, portTaken } from '../src/devcluster/net.ts';
import type { Kube } from '../src/kube/api.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { execFile } from '../src/util/exec.ts';
import type { Progress } from '../src/util/progress.ts';
import { BUSYBOX } from './pipelines-fixtures.ts';

export const TEKTON_API = 'tekton.dev/v1';
const SYSTEM_NS = 'tekton-pipelines';

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

/** The controller and entrypoint binaries, built once per checkout. */
export async function buildTekton(src: string, progress: Progress): Promise<string> {
  const bin = join(src, '_bench-bin');
  if ((await exists(join(bin, 'controller'))) && (await exists(join(bin, 'entrypoint'))))
    return bin;
  progress.detail(`go build ./cmd/controller ./cmd/entrypoint in ${src} (vendored modules)`);
  await mkdir(bin, { recursive: true });
  const t = Date.now();
  const r = await execFile(
    'go',
    [
      'build',
      '-mod=vendor',
      '-trimpath',
      '-ldflags',
      '-s -w',
      '-o',
      bin,
      './cmd/controller',
      './cmd/entrypoint',
    ],
    { cwd: src, env: { ...process.env, CGO_ENABLED: '0' } },
  );
  if (r.code !== 0) throw new Error(`building Tekton failed:\n${r.stderr.slice(-2000)}`);
  progress.detail(`built in ${Math.round((Date.now() - t) / 1000)} s`);
  return bin;
}

/** Pushes the entrypoint image to `registry`; answers its name as pods pull it. */
export async function pushEntrypoint(bin: string, registry: string): Promise<string> {
  const tree = join(bin, 'image-tree');
  await mkdir(join(tree, 'ko-app'), { recursive: true });
  await writeFile(join(tree, 'ko-app', 'entrypoint'), await readFile(join(bin, 'entrypoint')), {
    mode: 0o755,
  });
  const buildah = new Buildah(buildahDirs(join(bin, 'buildah')));
  const name = 'localhost/bench/tekton-entrypoint:bench';
  await buildTreeImage(buildah, {
    base: 'scratch',
    trees: [tree],
    config: { entrypoint: ['/ko-app/entrypoint'] },
    name,
  });
  await pushTags(buildah, name, registry, 'tekton/entrypoint', ['bench']);
  return 'localhost:5000/tekton/entrypoint:bench';
}

async function docs(file: string): Promise<KubeObject[]> {
  return parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** CRDs (no conversion webhook), the namespace and the ConfigMaps; waits for the CRDs. */
export async function installTekton(kube: Kube, src: string): Promise<void> {
  const crdDir = join(src, 'config', '300-crds');
  const names: string[] = [];
  for (const f of await readdir(crdDir)) {
    for (const crd of await docs(join(crdDir, f))) {
      const spec = (crd as KubeObject & { spec: Record<string, unknown> }).spec;
      delete spec['conversion'];
      await kube.apply(crd, { fieldManager: 'bench', force: true });
      names.push(crd.metadata.name ?? '');
    }
  }
  for (const name of names) {
    for (;;) {
      const crd = await kube.get<
        KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
      >('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, name);
      if (crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      await sleep(100);
    }
  }
  await kube.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NS } },
    { fieldManager: 'bench' },
  );
  for (const f of await readdir(join(src, 'config'))) {
    if (!/^config-.*\.yaml$/.test(f)) continue;
    for (const cm of await docs(join(src, 'config', f))) {
      if (cm.kind !== 'ConfigMap') continue;
      await kube.apply(
        { ...cm, metadata: { ...cm.metadata, namespace: SYSTEM_NS } },
        { fieldManager: 'bench', force: true },
      );
    }
  }
}

/** Tekton's controller as a process; resolves once its probe answers. */
export async function startTektonController(
  bin: string,
  kubeconfig: string,
  entrypointImage: string,
  log: string,
): Promise<ChildProcess> {
  // knative's shared main serves its own probes on :8080, a port no flag or variable moves;
  // taken, the controller stops at once.
  if (await portTaken(8080))
    throw new Error("port 8080 is in use: Tekton's controller serves probes there (fixed)");
  const [probes, metrics, profiling] = [await freePort(), await freePort(), await freePort()];
  const { openSync } = await import('node:fs');
  const out = openSync(log, 'w');
  const child = spawn(
    join(bin, 'controller'),
    [
      '-kubeconfig',
      kubeconfig,
      '-disable-ha',
      '-entrypoint-image',
      entrypointImage,
      '-nop-image',
      BUSYBOX,
      '-sidecarlogresults-image',
      BUSYBOX,
      '-workingdirinit-image',
      BUSYBOX,
      '-shell-image',
      BUSYBOX,
      '-shell-image-win',
      BUSYBOX,
    ],
    {
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        SYSTEM_NAMESPACE: SYSTEM_NS,
        KUBERNETES_MIN_VERSION: 'v1.28.0',
        CONFIG_DEFAULTS_NAME: 'config-defaults',
        CONFIG_LOGGING_NAME: 'config-logging',
        CONFIG_OBSERVABILITY_NAME: 'config-observability',
        CONFIG_FEATURE_FLAGS_NAME: 'feature-flags',
        CONFIG_LEADERELECTION_NAME: 'config-leader-election-controller',
        CONFIG_SPIRE: 'config-spire',
        METRICS_DOMAIN: 'tekton.dev/pipeline',
        PROBES_PORT: String(probes),
        METRICS_PROMETHEUS_PORT: String(metrics),
        PROFILING_PORT: String(profiling),
      },
    },
  );
  const t = Date.now();
  while (
    !(await fetch(`http://127.0.0.1:${probes}/readiness`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null)
      throw new Error(`Tekton's controller exited (${child.exitCode}); see ${log}`);
    if (Date.now() - t > 60_000) {
      child.kill('SIGTERM');
      throw new Error(`Tekton's controller not ready in 60 s; see ${log}`);
    }
    await sleep(200);
  }
  return child;
}

/** `k=v,k=v` as a map (the `--tekton-flags` option). */
export function parseFlags(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--tekton-flags: "${pair}" is not key=value`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

/**
 * Sets keys of Tekton's `feature-flags` ConfigMap (the controller watches it; it is restarted
 * anyway between passes). An empty map leaves the shipped defaults.
 */
export async function setFeatureFlags(kube: Kube, flags: Record<string, string>): Promise<void> {
  if (Object.keys(flags).length === 0) return;
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'feature-flags', namespace: SYSTEM_NS },
      data: flags,
    },
    { fieldManager: 'bench-flags', force: true },
  );
}
