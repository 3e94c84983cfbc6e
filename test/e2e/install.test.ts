/**
 * `helm install` of Sluice's chart into the dev cluster, in both RBAC modes: every object exists,
 * the controller's ServiceAccount can do what the controller needs and is refused what it must
 * not (asked with `kubectl auth can-i`, and shown by running `sluice controller` with that
 * ServiceAccount's token and the Deployment's own flags), and `helm uninstall` removes it all
 * but the CRD it keeps. The pods land on kwok nodes (Running without running); the run on a
 * real node is test/e2e/install-real.test.ts.
 */
import { approvalPolicy } from '../../src/api/promotion-policy.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { allCrds, APPLICATION_CRD_NAME } from '../../src/api/crd.ts';
import { installCrds } from '../../src/api/install.ts';
import { FINALIZER } from '../../src/gitops/annotations.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { configMap, createApp, createRepo, deployment, waitApp } from './gitops-harness.ts';
import { eventually, kube, uniqueName } from './harness.ts';
import {
  adoptCrds,
  canI,
  helmInstall,
  helmUninstall,
  liveObjects,
  releaseObjects,
  serviceAccountKubeconfig,
  type Release,
} from './install-harness.ts';

/** What these tests read of a Deployment. */
type Deployment = KubeObject & {
  spec?: {
    template: {
      spec?: {
        serviceAccountName?: string;
        containers: Array<{ args?: string[]; env?: Array<{ name: string; value?: string }> }>;
      };
    };
  };
  status?: { availableReplicas?: number };
};

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const namespaceObject = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});

/** A namespace deleted after the test. */
async function tempNamespace(k: Kube, prefix: string, create = true): Promise<string> {
  const name = uniqueName(prefix);
  if (create) await k.create(namespaceObject(name));
  cleanups.push(() => k.delete(namespaceObject(name)));
  return name;
}

const deploymentOf = (objects: readonly KubeObject[]): Deployment => {
  const d = objects.find((o) => o.kind === 'Deployment');
  if (!d) throw new Error('the chart rendered no Deployment');
  return d;
};

/** The controller's ServiceAccount, as the release's Deployment names it. */
const serviceAccountOf = (r: Release, objects: readonly KubeObject[]) => ({
  namespace: r.namespace,
  name: deploymentOf(objects).spec?.template.spec?.serviceAccountName ?? '',
});

/**
 * `sluice controller` with the flags of the release's Deployment, authenticated as its
 * ServiceAccount: what the pod would do, with nothing but the chart's RBAC.
 */
async function controllerAsServiceAccount(
  r: Release,
  objects: KubeObject[],
  drop = /^--(listen|work-dir)=/,
): Promise<void> {
  const c = deploymentOf(objects).spec?.template.spec?.containers[0];
  const { path, cleanup } = await serviceAccountKubeconfig(serviceAccountOf(r, objects));
  const work = await mkdtemp(join(tmpdir(), 'sluice-work-'));
  const args = (c?.args ?? []).filter((a) => !drop.test(a));
  const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? '']));
  const child: ChildProcess = spawn(
    process.execPath,
    ['bin/sluice.js', ...args, '--listen', 'off', '--work-dir', work, '--kubeconfig', path],
    {
      stdio: ['ignore', 'ignore', process.env['SLUICE_TEST_LOG'] ? 'inherit' : 'ignore'],
      env: { ...process.env, ...env, TMPDIR: tmpdir(), HOME: work },
    },
  );
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // As the kubelet would after the grace period.
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    }
    await cleanup();
    await rm(work, { recursive: true, force: true });
  });
}

async function expectAllExist(k: Kube, objects: readonly KubeObject[]): Promise<void> {
  const missing = (await liveObjects(k, objects)).filter((o) => !o.live).map((o) => o.ref);
  expect(missing).toEqual([]);
}

const KEPT = /^(CustomResourceDefinition|ValidatingAdmissionPolicy(Binding)?)\//;

/** Uninstalls and checks that every object went, except the CRD (kept, with its Applications). */
async function expectUninstalled(k: Kube, r: Release, objects: KubeObject[]): Promise<void> {
  const res = await helmUninstall(r);
  expect(res.code, res.stderr).toBe(0);
  const left = await eventually('the release objects to go', async () => {
    const live = await liveObjects(k, objects);
    const remaining = live.filter((o) => o.live && !o.live.metadata.deletionTimestamp);
    return remaining.every((o) => KEPT.test(o.ref)) ? remaining.map((o) => o.ref) : undefined;
  });
  // The CRDs stay (crds.keep), every one of them, and the rule on who approves Promotions.
  expect([...left].sort()).toEqual(
    objects.some((o) => o.kind === 'CustomResourceDefinition')
      ? [
          ...allCrds().map((c) => `CustomResourceDefinition/${c.metadata.name ?? ''}`),
          ...approvalPolicy().map((o) => `${o.kind}/${o.metadata.name ?? ''}`),
        ].sort()
      : [],
  );
}

/** An Application created by the test, let go (finalizer removed) and deleted afterwards. */
async function testApp(
  k: Kube,
  ns: string,
  spec: Parameters<typeof createApp>[2],
): Promise<string> {
  const name = await createApp(k, ns, spec);
  cleanups.push(async () => {
    const app = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns } };
    if (!(await k.get(API_VERSION, KIND, ns, name))) return;
    await k.mergePatch(app, { metadata: { finalizers: null } });
    await k.delete(app);
  });
  return name;
}

const synced = (a: Application): boolean =>
  a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';

describe('helm install of Sluice', () => {
  it('cluster-wide (the default): all objects, RBAC that deploys anywhere, a clean uninstall', async () => {
    const k = await kube();
    const ns = await tempNamespace(k, 'sluice-sys', false);
    const r: Release = {
      release: uniqueName('sluice'),
      namespace: ns,
      // Only its own Applications: other tests run their apps in this cluster at the same time.
      set: [`controller.appNamespaces={${ns}}`],
    };
    await adoptCrds(k, r);
    cleanups.push(() => helmUninstall(r));
    const notes = await helmInstall(r, ['--wait', '--timeout', '120s']);
    const objects = await releaseObjects(r);
    const name = deploymentOf(objects).metadata.name ?? '';
    expect(notes).toContain(`kubectl -n ${ns} rollout status deployment/${name}`);
    await expectAllExist(k, objects);
    const d = await k.get<Deployment>('apps/v1', 'Deployment', ns, name);
    expect(d?.status?.availableReplicas).toBe(2);

    const sa = serviceAccountOf(r, objects);
    const elsewhere = uniqueName('any-namespace');
    const checks: Array<[string, string, string | undefined, boolean]> = [
      ['create', 'deployments.apps', elsewhere, true],
      ['patch', 'secrets', elsewhere, true],
      ['create', 'namespaces', undefined, true],
      ['get', 'leases.coordination.k8s.io/sluice-controller', ns, true],
      ['update', 'leases.coordination.k8s.io/sluice-controller', ns, true],
      ['patch', 'applications.sluice.dev/status', ns, true],
      ['*', 'secrets', 'kube-system', false],
      ['deletecollection', 'secrets', 'kube-system', false],
      ['escalate', 'clusterroles.rbac.authorization.k8s.io', undefined, false],
      ['impersonate', 'users', undefined, false],
    ];
    for (const [verb, resource, namespace, want] of checks)
      expect(await canI(sa, verb, resource, namespace), `${verb} ${resource} in ${namespace}`).toBe(
        want,
      );

    // The controller, with nothing but this RBAC, syncs an app into a namespace it creates.
    await controllerAsServiceAccount(r, objects);
    const dest = await tempNamespace(k, 'sluice-dest', false);
    const repo = await createRepo({
      'app/cm.yaml': configMap('settings', { mode: 'in-cluster' }),
      'app/web.yaml': deployment('web', 1),
    });
    const app = await testApp(k, ns, {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      destination: { namespace: dest },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitApp(k, ns, app, 'Synced and Healthy as the ServiceAccount', synced, 60_000);
    expect(await k.get('v1', 'ConfigMap', dest, 'settings')).toBeDefined();
    const lease = await k.get<KubeObject & { spec: { holderIdentity?: string } }>(
      'coordination.k8s.io/v1',
      'Lease',
      ns,
      'sluice-controller',
    );
    expect(lease?.spec.holderIdentity).toBeTruthy();
    // Deleting it cascades (the resources finalizer) with the same RBAC.
    const resource = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: app, namespace: ns },
    };
    await k.mergePatch(resource, { metadata: { finalizers: [FINALIZER] } });
    await k.delete(resource);
    await eventually('the app and what it deployed to be deleted', async () =>
      (await k.get(API_VERSION, KIND, ns, app)) ||
      (await k.get('v1', 'ConfigMap', dest, 'settings'))
        ? undefined
        : true,
    );

    await expectUninstalled(k, r, objects);
    const crd = await k.get(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      undefined,
      APPLICATION_CRD_NAME,
    );
    expect(crd?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  }, 240_000);

  it('namespaced: deploys only into the listed namespaces; Forbidden elsewhere; credentials read-only', async () => {
    const k = await kube();
    await installCrds(k, silentProgress); // this release leaves the CRD to another (crds.install=false)
    const ns = await tempNamespace(k, 'sluice-sys', false);
    const team = await tempNamespace(k, 'team');
    const other = await tempNamespace(k, 'other');
    const r: Release = {
      release: uniqueName('sluice'),
      namespace: ns,
      set: ['rbac.clusterWide=false', `rbac.namespaces={${team}}`, 'crds.install=false'],
    };
    cleanups.push(() => helmUninstall(r));
    await helmInstall(r, ['--wait', '--timeout', '120s']);
    const objects = await releaseObjects(r);
    expect(objects.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    await expectAllExist(k, objects);

    const sa = serviceAccountOf(r, objects);
    const checks: Array<[string, string, string | undefined, boolean]> = [
      ['create', 'deployments.apps', team, true],
      ['delete', 'secrets', team, true],
      ['create', 'deployments.apps', other, false],
      ['delete', 'secrets', 'kube-system', false],
      ['get', 'secrets', 'kube-system', false],
      ['list', 'secrets', ns, true],
      ['update', 'secrets', ns, false],
      ['create', 'namespaces', undefined, false],
      ['list', 'namespaces', undefined, true],
      ['create', 'clusterroles.rbac.authorization.k8s.io', undefined, false],
      ['watch', 'applications.sluice.dev', other, false],
      ['watch', 'applications.sluice.dev', ns, true],
      ['update', 'leases.coordination.k8s.io/kube-scheduler', ns, false],
    ];
    for (const [verb, resource, namespace, want] of checks)
      expect(await canI(sa, verb, resource, namespace), `${verb} ${resource} in ${namespace}`).toBe(
        want,
      );

    await controllerAsServiceAccount(r, objects);
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { mode: 'namespaced' }) });
    const source = { repoURL: repo.url, path: 'app', targetRevision: 'main' };
    const auto = { automated: { prune: true } };
    const inside = await testApp(k, ns, {
      source,
      destination: { namespace: team },
      syncPolicy: auto,
    });
    const outside = await testApp(k, ns, {
      source,
      destination: { namespace: other },
      syncPolicy: auto,
    });
    await waitApp(k, ns, inside, 'Synced into the listed namespace', synced, 60_000);
    const refused = await waitApp(
      k,
      ns,
      outside,
      'refused outside the listed namespaces',
      (a) => /forbidden/i.test(JSON.stringify(a.status ?? {})),
      60_000,
    );
    expect(refused.status?.sync?.status).not.toBe('Synced');
    expect(await k.get('v1', 'ConfigMap', other, 'settings')).toBeUndefined();

    await expectUninstalled(k, r, objects);
  }, 240_000);

  it('RBAC the controller lacks shows on the app as Forbidden, instead of a wait that never ends', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const ns = await tempNamespace(k, 'sluice-sys', false);
    const team = await tempNamespace(k, 'team');
    const r: Release = {
      release: uniqueName('sluice'),
      namespace: ns,
      set: ['rbac.clusterWide=false', `rbac.namespaces={${team}}`, 'crds.install=false'],
    };
    cleanups.push(() => helmUninstall(r));
    await helmInstall(r);
    const objects = await releaseObjects(r);
    // Without --destination-namespace it watches ConfigMaps cluster-wide, which RBAC refuses.
    await controllerAsServiceAccount(r, objects, /^--(listen|work-dir|destination-namespace)=/);
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { mode: 'x' }) });
    const app = await testApp(k, ns, {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      destination: { namespace: team },
    });
    const failed = await waitApp(k, ns, app, 'a Ready=False condition naming the refusal', (a) =>
      (a.status?.conditions ?? []).some(
        (c) =>
          c.type === 'Ready' &&
          c.status === 'False' &&
          /configmaps is forbidden/.test(c.message ?? ''),
      ),
    );
    expect(JSON.stringify(failed.status?.conditions)).toContain('cannot list resource');
  }, 120_000);
});
