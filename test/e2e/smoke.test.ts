/**
 * Smoke tests that prove the dev cluster is a real Kubernetes control plane: the scheduler and
 * controllers run (Deployments become Available on kwok nodes), services get ClusterIPs,
 * server-side apply tracks field managers, watches stream, and CRDs work end to end.
 */
import {
  ApiException,
  ApiextensionsV1Api,
  PatchStrategy,
  Watch,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cluster, eventually, uniqueName, useNamespace } from './harness.ts';

const ns = useNamespace('smoke');

describe('dev cluster', () => {
  it('runs a Deployment of 3 replicas to Available on kwok nodes', async () => {
    const { apps, core } = cluster();
    const nodes = await core.listNode();
    expect(nodes.items.length).toBeGreaterThanOrEqual(3);
    await apps.createNamespacedDeployment({
      namespace: ns(),
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    const dep = await eventually('3 available replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns() });
      return d.status?.availableReplicas === 3 ? d : undefined;
    });
    expect(dep.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = await core.listNamespacedPod({ namespace: ns(), labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe('Running');
    }
  });

  it('gives a Service a ClusterIP from the service range', async () => {
    const { core } = cluster();
    const svc = await core.createNamespacedService({
      namespace: ns(),
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
  });

  it('server-side apply: a second field manager conflicts, and forcing takes the field over', async () => {
    const { objects } = cluster();
    const cm = (value: string): V1ConfigMap & KubernetesObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns() },
      data: { color: value },
    });
    await objects.patch(
      cm('blue'),
      undefined,
      undefined,
      'alice',
      false,
      PatchStrategy.ServerSideApply,
    );
    const conflict = await objects
      .patch(cm('red'), undefined, undefined, 'bob', false, PatchStrategy.ServerSideApply)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(conflict).toBeInstanceOf(ApiException);
    expect((conflict as ApiException<unknown>).code).toBe(409);
    expect(String((conflict as ApiException<unknown>).body)).toContain('conflict with "alice"');

    const forced = await objects.patch(
      cm('red'),
      undefined,
      undefined,
      'bob',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(forced.data).toEqual({ color: 'red' });
    const managers = forced.metadata?.managedFields?.map((f) => f.manager);
    expect(managers).toContain('bob');
    expect(managers).not.toContain('alice');
  });

  it('server-side dry-run validates without persisting', async () => {
    const { core } = cluster();
    const dry = await core.createNamespacedConfigMap({
      namespace: ns(),
      dryRun: 'All',
      body: { metadata: { name: 'dry' }, data: { a: '1' } },
    });
    expect(dry.metadata?.uid).toBeTruthy();
    const after = await core.listNamespacedConfigMap({ namespace: ns() });
    expect(after.items.map((c) => c.metadata?.name)).not.toContain('dry');
  });

  it('a watch sees an update', async () => {
    const { core, kc } = cluster();
    const created = await core.createNamespacedConfigMap({
      namespace: ns(),
      body: { metadata: { name: 'watched' }, data: { v: '1' } },
    });
    const seen: Array<{ phase: string; v: string | undefined }> = [];
    const gotUpdate = new Promise<void>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          `/api/v1/namespaces/${ns()}/configmaps`,
          {
            resourceVersion: created.metadata?.resourceVersion,
            fieldSelector: 'metadata.name=watched',
          },
          (phase, obj: V1ConfigMap) => {
            seen.push({ phase, v: obj.data?.['v'] });
            if (phase === 'MODIFIED') resolve();
          },
          (err: unknown) =>
            err ? reject(err instanceof Error ? err : new Error(String(err))) : undefined,
        )
        .then((ctrl) => {
          setTimeout(() => ctrl.abort(), 20_000);
          void core.patchNamespacedConfigMap({
            name: 'watched',
            namespace: ns(),
            body: { data: { v: '2' } },
          });
        });
    });
    await gotUpdate;
    expect(seen).toContainEqual({ phase: 'MODIFIED', v: '2' });
  });

  it('a CRD becomes Established and serves custom resources', async () => {
    const { kc, objects } = cluster();
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const plural = uniqueName('widgets').replace(/-/g, '');
    const group = 'smoke.sluice.dev';
    const kind = `W${plural.slice(1)}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await eventually('CRD Established', async () => {
        const crd = await ext.readCustomResourceDefinition({ name: `${plural}.${group}` });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      });
      const widget = {
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'w1', namespace: ns() },
        spec: { size: 3 },
      };
      await eventually('custom resource created', () => objects.create(widget));
      const back = await objects.read<KubernetesObject & { spec?: { size?: number } }>({
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'w1', namespace: ns() },
      });
      expect(back.spec?.size).toBe(3);
    } finally {
      await ext.deleteCustomResourceDefinition({ name: `${plural}.${group}` });
    }
  });
});
