/**
 * Helpers for tests that install Sluice's chart into the dev cluster: `helm install` and
 * `uninstall` against the run's cluster, `kubectl auth can-i` as the controller's
 * ServiceAccount, a kubeconfig holding that ServiceAccount's token, and the objects a release
 * should have created.
 */
import { approvalPolicy } from '../../src/api/promotion-policy.ts';
import { allCrds } from '../../src/api/crd.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { binaryPath } from '../../src/devcluster/build.ts';
import { CHART_DIR, helm, templateChart, type TemplateOptions } from '../../src/deploy/chart.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import { kubeconfigPath } from './harness.ts';

export interface Release extends TemplateOptions {
  release: string;
  namespace: string;
}

const setArgs = (r: TemplateOptions): string[] => [
  ...(r.set ?? []).flatMap((s) => ['--set', s]),
  ...(r.setString ?? []).flatMap((s) => ['--set-string', s]),
];

/** `helm install` of the chart into the run's cluster; fails the test with helm's message. */
export async function helmInstall(r: Release, extra: readonly string[] = []): Promise<string> {
  const res = await helm(
    [
      'install',
      r.release,
      CHART_DIR,
      '--namespace',
      r.namespace,
      '--create-namespace',
      '--kubeconfig',
      kubeconfigPath(),
      ...setArgs(r),
      ...extra,
    ],
    600_000,
  );
  expect(res.code, `helm install ${r.release}: ${res.stderr}`).toBe(0);
  return res.stdout;
}

export async function helmUninstall(r: Release): Promise<ExecResult> {
  return helm([
    'uninstall',
    r.release,
    '--namespace',
    r.namespace,
    '--kubeconfig',
    kubeconfigPath(),
    '--wait',
    '--timeout',
    '60s',
  ]);
}

/** The objects the release renders (what `helm install` must have created). */
export async function releaseObjects(r: Release): Promise<KubeObject[]> {
  return (await templateChart(r)).objects;
}

/** The live copy of each object (undefined where missing). */
export async function liveObjects(
  kube: Kube,
  objects: readonly KubeObject[],
): Promise<Array<{ ref: string; live: KubeObject | undefined }>> {
  return Promise.all(
    objects.map(async (o) => ({
      ref: `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name ?? ''}`,
      live: await kube.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name ?? ''),
    })),
  );
}

/**
 * Lets a release own a CRD that exists already (another test, or `sluice install-crds`, made
 * it): Helm adopts an object carrying its release's ownership metadata.
 */
/** Every CRD of Sluice adopted into the release (see adoptCrd). */
export async function adoptCrds(kube: Kube, r: Release): Promise<void> {
  for (const crd of allCrds()) await adoptCrd(kube, crd.metadata.name ?? '', r);
  // The admission policies `sluice install-crds` applied with them go with them.
  for (const o of approvalPolicy()) {
    const live = await kube.get(o.apiVersion, o.kind, undefined, o.metadata.name ?? '');
    if (live) await kube.mergePatch(live, { metadata: helmOwned(r) });
  }
}

const helmOwned = (r: Release) => ({
  labels: { 'app.kubernetes.io/managed-by': 'Helm' },
  annotations: {
    'meta.helm.sh/release-name': r.release,
    'meta.helm.sh/release-namespace': r.namespace,
  },
});

export async function adoptCrd(kube: Kube, name: string, r: Release): Promise<void> {
  const crd = await kube.get(
    'apiextensions.k8s.io/v1',
    'CustomResourceDefinition',
    undefined,
    name,
  );
  if (!crd) return;
  await kube.mergePatch(crd, {
    metadata: {
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: {
        'meta.helm.sh/release-name': r.release,
        'meta.helm.sh/release-namespace': r.namespace,
      },
    },
  });
}

export async function kubectl(args: readonly string[], input?: string): Promise<ExecResult> {
  const bin = await binaryPath('kubectl');
  if (!bin) throw new Error('kubectl is not in the tool cache: run `npx sluice dev-cluster build`');
  return execFile(bin, ['--kubeconfig', kubeconfigPath(), ...args], {
    timeoutMs: 60_000,
    ...(input === undefined ? {} : { input }),
  });
}

/** `kubectl auth can-i VERB RESOURCE [-n NS] --as=system:serviceaccount:...` -> yes/no. */
export async function canI(
  sa: { namespace: string; name: string },
  verb: string,
  resource: string,
  namespace?: string,
): Promise<boolean> {
  const r = await kubectl([
    'auth',
    'can-i',
    verb,
    resource,
    ...(namespace ? ['-n', namespace] : []),
    `--as=system:serviceaccount:${sa.namespace}:${sa.name}`,
  ]);
  const answer = r.stdout.trim();
  if (answer !== 'yes' && answer !== 'no')
    throw new Error(`kubectl auth can-i ${verb} ${resource}: ${r.stderr}`);
  return answer === 'yes';
}

/**
 * A kubeconfig authenticating as the ServiceAccount (a token from the TokenRequest API), written
 * to a temp dir; `cleanup` removes it.
 */
export async function serviceAccountKubeconfig(sa: {
  namespace: string;
  name: string;
}): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const token = await kubectl(['create', 'token', sa.name, '-n', sa.namespace, '--duration=1h']);
  expect(token.code, token.stderr).toBe(0);
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfigPath());
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the dev cluster kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(cluster, { name: sa.name, token: token.stdout.trim() });
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sa-'));
  const path = join(dir, 'kubeconfig');
  await writeFile(path, kc.exportConfig(), { mode: 0o600 });
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
