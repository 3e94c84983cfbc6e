/**
 * Smoke tests that prove the dev cluster is a real Kubernetes control plane: the scheduler and
 * controllers run (Deployments become Available on kwok nodes), Services get ClusterIPs,
 * server-side apply tracks field managers, watches stream, and CRDs work end to end.
 * They also exercise Sluice's own API client (src/kube) against it.
 */
import { inCidr, SERVICE_CIDR } from '../../src/devcluster/addresses.ts';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { eventually, kube, uniqueName, useNamespace } from './harness.ts';

const ns = useNamespace('smoke');

interface Deployment extends KubeObject {
  status?: { availableReplicas?: number; conditions?: Array<{ type: string; status: string }> };
}
interface Pod extends KubeObject {
  spec: { nodeName?: string };
  status?: { phase?: string };
}

const deployment = (namespace: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
  },
});

describe('dev cluster', () => {
  it('runs a Deployment of 3 replicas to Available on kwok nodes', async () => {
    const k = await kube();
    const nodes = await k.list('v1', 'Node');
    expect(nodes.items.length).toBeGreaterThanOrEqual(3);
    await k.create(deployment(ns(), 3));
    const dep = await eventually('3 available replicas', async () => {
      const d = await k.get<Deployment>('apps/v1', 'Deployment', ns(), 'web');
      return d?.status?.availableReplicas === 3 ? d : undefined;
    });
    expect(dep.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = await k.list<Pod>('v1', 'Pod', { namespace: ns(), labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe('Running');
    }
  });

  it('gives a Service a ClusterIP from the service range', async () => {
    const k = await kube();
    const svc = await k.create<KubeObject & { spec: { clusterIP?: string } }>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns() },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    // The dev cluster's Services come from 198.19.128.0/18 (never a private range).
    expect(inCidr(svc.spec.clusterIP ?? '', SERVICE_CIDR)).toBe(true);
  });

  it('server-side apply: a second field manager conflicts, and forcing takes the field over', async () => {
    const k = await kube();
    const cm = (value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns() },
      data: { color: value },
    });
    await k.apply(cm('blue'), { fieldManager: 'alice' });
    const conflict = await k.apply(cm('red'), { fieldManager: 'bob' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(KubeApiError);
    expect((conflict as KubeApiError).conflict).toBe(true);
    expect((conflict as KubeApiError).message).toMatch(
      /^ConfigMap\/smoke-[0-9a-f]+\/settings: .*conflict with "alice"/,
    );

    const forced = await k.apply<KubeObject & { data?: Record<string, string> }>(cm('red'), {
      fieldManager: 'bob',
      force: true,
    });
    expect(forced.data).toEqual({ color: 'red' });
    const managers = (forced.metadata.managedFields as Array<{ manager: string }>).map(
      (f) => f.manager,
    );
    expect(managers).toContain('bob');
    expect(managers).not.toContain('alice');
  });

  it('server-side dry-run defaults and validates without persisting', async () => {
    const k = await kube();
    const dry = await k.apply<Deployment & { spec: { strategy?: { type?: string } } }>(
      deployment(ns(), 2),
      {
        fieldManager: 'sluice',
        dryRun: true,
      },
    );
    expect(dry.spec.strategy?.type).toBe('RollingUpdate'); // defaulted by the server
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();

    const bad = { ...deployment(ns(), 2), spec: { replicas: 'two' } };
    await expect(k.apply(bad, { fieldManager: 'sluice', dryRun: true })).rejects.toThrow(
      /^Deployment\/smoke-[0-9a-f]+\/web: /,
    );
  });

  it('a watch sees an update', async () => {
    const k = await kube();
    const created = await k.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched', namespace: ns() },
      data: { v: '1' },
    });
    const abort = new AbortController();
    const events = k.watch<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', {
      namespace: ns(),
      resourceVersion: created.metadata.resourceVersion!,
      signal: abort.signal,
    });
    setTimeout(() => void k.mergePatch(created, { data: { v: '2' } }), 50);
    const timer = setTimeout(() => abort.abort(), 20_000);
    let seen: string | undefined;
    for await (const ev of events) {
      if (ev.type === 'MODIFIED' && ev.object.metadata.name === 'watched') {
        seen = ev.object.data?.['v'];
        break;
      }
    }
    clearTimeout(timer);
    abort.abort();
    expect(seen).toBe('2');
  });

  it('a CRD becomes Established and serves custom resources', async () => {
    const k = await kube();
    const plural = uniqueName('widgets').replace(/-/g, '');
    const group = 'smoke.sluice.dev';
    const kind = `W${plural.slice(1)}`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
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
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    await k.create(crd);
    try {
      await eventually('CRD Established', async () => {
        const live = await k.get<
          KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
        >('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, `${plural}.${group}`);
        return live?.status?.conditions?.some(
          (c) => c.type === 'Established' && c.status === 'True',
        )
          ? true
          : undefined;
      });
      const widget = {
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'w1', namespace: ns() },
        spec: { size: 3 },
      };
      await eventually('custom resource created', () => k.create(widget));
      const back = await k.get<KubeObject & { spec?: { size?: number } }>(
        `${group}/v1`,
        kind,
        ns(),
        'w1',
      );
      expect(back?.spec?.size).toBe(3);
    } finally {
      await k.delete(crd);
    }
  });
});
