/**
 * Sync operations as steps: a controller killed mid-sync resumes at the saved step (the PreSync
 * hook is not run again, waves stay in order, Succeeded only once the gating wave is healthy);
 * a controller that loses its Lease stops writing within a second.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { silentLogger } from '../../src/util/log.ts';
import { eventually, kube, kubeconfigPath, uniqueName, useNamespace } from './harness.ts';
import {
  application,
  configMap,
  controllerProcess,
  createRepo,
  startController,
} from './gitops-harness.ts';

const ns = useNamespace('ops');

/** A Deployment whose pods only schedule onto a node labelled `gate=open`. */
const gated = (name: string, gate: string, wave: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  annotations: { argocd.argoproj.io/sync-wave: "${wave}" }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      nodeSelector: { ${gate}: open }
      containers: [{ name: main, image: nginx }]
`;

const presync = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: { argocd.argoproj.io/hook: PreSync }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: main, image: busybox }]
`;

interface Deployment extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
}

const getApp = (k: Kube, name: string): Promise<Application | undefined> =>
  k.get<Application>(API_VERSION, KIND, ns(), name);

describe('operations', () => {
  it('killed mid-sync, a new controller resumes at the saved step: hook once, waves in order', async () => {
    const k = await kube();
    await startController(k, ns()).then((c) => c.stop()); // CRDs
    const gate = uniqueName('gate');
    const repo = await createRepo({
      'app/migrate.yaml': presync,
      'app/first.yaml': configMap('first', { wave: '0' }),
      'app/db.yaml': gated('db', gate, 1),
      'app/web.yaml': gated('web', gate, 2),
      'app/last.yaml': configMap('last', { wave: '3' }).replace(
        'metadata:\n',
        'metadata:\n  annotations: { argocd.argoproj.io/sync-wave: "3" }\n',
      ),
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-ops-'));
    const node = (await k.list('v1', 'Node')).items[0] as KubeObject;
    let first: ChildProcess | undefined = controllerProcess(ns(), cacheDir, [
      '--no-leader-election',
    ]);
    let second: ChildProcess | undefined;
    try {
      const name = uniqueName('app');
      await k.create(
        application(ns(), name, {
          source: { repoURL: repo.url, path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: {} },
        }),
      );
      const waiting = (a: Application | undefined): boolean =>
        a?.status?.operationState?.phase === 'Running' &&
        a.status.operationState.progress?.stage === 'Sync' &&
        a.status.operationState.progress.wave === 1;
      await eventually(
        'waiting at wave 1',
        async () => waiting(await getApp(k, name)) || undefined,
        60_000,
      );
      const job = await k.get('batch/v1', 'Job', ns(), 'migrate');
      expect(job?.metadata.uid).toBeTruthy();
      first.kill('SIGKILL');
      first = undefined;
      second = controllerProcess(ns(), cacheDir, ['--no-leader-election']);
      // The new controller picks the operation up where it was: still at wave 1, wave 2 unapplied.
      await new Promise((r) => setTimeout(r, 4000));
      const resumed = await getApp(k, name);
      expect(waiting(resumed), JSON.stringify(resumed?.status?.operationState)).toBe(true);
      expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();
      expect(await k.get('v1', 'ConfigMap', ns(), 'last')).toBeUndefined();
      // Open the gate: wave 1 becomes healthy, wave 2 follows, the operation succeeds.
      await k.mergePatch(node, { metadata: { labels: { [gate]: 'open' } } });
      const done = await eventually(
        'Succeeded',
        async () => {
          const a = await getApp(k, name);
          return a?.status?.operationState?.phase === 'Succeeded' ? a : undefined;
        },
        60_000,
      );
      const again = await k.get('batch/v1', 'Job', ns(), 'migrate');
      expect(again?.metadata.uid, 'the PreSync Job was not re-created').toBe(job?.metadata.uid);
      const results = done.status?.operationState?.syncResult?.resources ?? [];
      expect(results.filter((r) => r.hook === 'PreSync')).toHaveLength(1);
      // Each wave waited for the one before it to be healthy: wave 2 after db was Available,
      // wave 3 after web was.
      const availableAt = async (deployment: string): Promise<number> => {
        const d = await k.get<Deployment>('apps/v1', 'Deployment', ns(), deployment);
        const c = d?.status?.conditions?.find((x) => x.type === 'Available' && x.status === 'True');
        return Date.parse(c?.lastTransitionTime ?? '');
      };
      const created = async (kind: string, apiVersion: string, n: string): Promise<number> =>
        Date.parse((await k.get(apiVersion, kind, ns(), n))?.metadata.creationTimestamp ?? '');
      expect(await created('Deployment', 'apps/v1', 'web')).toBeGreaterThanOrEqual(
        (await availableAt('db')) - 1000,
      );
      expect(await created('ConfigMap', 'v1', 'last')).toBeGreaterThanOrEqual(
        (await availableAt('web')) - 1000,
      );
    } finally {
      first?.kill('SIGKILL');
      second?.kill('SIGTERM');
      await k.mergePatch(node, { metadata: { labels: { [gate]: null } } }).catch(() => undefined);
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('a controller that loses its Lease stops writing within a second', async () => {
    const shared = await kube();
    await startController(shared, ns()).then((c) => c.stop()); // CRDs
    const files: Record<string, string> = {};
    for (let i = 0; i < 1500; i++)
      files[`app/cm-${i}.yaml`] = configMap(`cm-${i}`, { i: String(i) });
    const repo = await createRepo(files);
    // Its own connection, so its requests are counted apart.
    const k = await Kube.connect(kubeconfigPath());
    const lease = uniqueName('lease');
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-lease-'));
    const controller = new GitOpsController({
      kube: k,
      namespace: ns(),
      appNamespaces: [ns()],
      cacheDir,
      concurrency: 2,
      leaderElection: { enabled: true, leaseName: lease, leaseDurationMs: 10_000, renewMs: 200 },
      log: silentLogger,
    });
    await controller.start();
    try {
      await eventually('leading', async () => controller.isLeader || undefined, 30_000);
      await shared.create(
        application(ns(), 'big', {
          source: { repoURL: repo.url, path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: {} },
        }),
      );
      const applies = (): number =>
        (k.client.counts.get('apply 200') ?? 0) + (k.client.counts.get('apply 201') ?? 0);
      await eventually('applying', async () => (applies() > 50 ? true : undefined), 60_000);
      // Someone else takes the Lease (as a new leader would after a partition); the leader
      // renews every 200 ms, so a write may conflict: read again and retry.
      await eventually('the Lease taken', async () => {
        const l = await shared.get<KubeObject & { spec: Record<string, unknown> }>(
          'coordination.k8s.io/v1',
          'Lease',
          ns(),
          lease,
        );
        if (!l) return undefined;
        const renewTime = new Date().toISOString().replace('Z', '000Z');
        const spec = { ...l.spec, holderIdentity: 'thief', leaseDurationSeconds: 3600, renewTime };
        return shared.update({ ...l, spec }).then(
          () => true,
          () => undefined,
        );
      });
      await eventually(
        'lost the Lease',
        async () => (!controller.isLeader ? true : undefined),
        5000,
      );
      const atLoss = applies();
      await new Promise((r) => setTimeout(r, 1000));
      const afterOneSecond = applies();
      await new Promise((r) => setTimeout(r, 3000));
      expect(applies(), 'no apply more than a second after losing the Lease').toBe(afterOneSecond);
      expect(atLoss, 'the sync was cut short').toBeLessThan(1500);
      const cms = await shared.list('v1', 'ConfigMap', {
        namespace: ns(),
        labelSelector: 'sluice.dev/managed=true',
      });
      expect(cms.items.length).toBeLessThan(1500);
    } finally {
      await controller.stop();
      await k.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
