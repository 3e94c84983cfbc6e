import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { deploymentHealth } from './deployment.ts';
import { assessHealth, registerHealthCheck } from './index.ts';
import type { HealthContext } from './index.ts';

const deployment = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', generation: 2 },
  spec: { replicas: 2 },
  status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  ...extra,
});

const widget = (status: unknown): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'blue', namespace: 'shop', generation: 1 },
  status,
});

describe('assessHealth', () => {
  afterEach(() => {
    // Undo overrides so each test sees the built-ins.
    registerHealthCheck('apps', 'Deployment', deploymentHealth);
    registerHealthCheck('example.com', 'Widget', () => undefined);
  });

  it('reports Missing for an object that is not there', () => {
    expect(assessHealth(undefined)).toEqual({ status: 'Missing' });
  });

  it('reports any object being deleted as Progressing, naming its finalizers', () => {
    const obj = deployment();
    obj.metadata.deletionTimestamp = '2025-03-02T12:00:00Z';
    obj.metadata.finalizers = ['sluice.dev/cleanup'];
    expect(assessHealth(obj)).toEqual({
      status: 'Progressing',
      message: 'being deleted, waiting for finalizers: sluice.dev/cleanup',
    });
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', deletionTimestamp: '2025-03-02T12:00:00Z' },
    };
    expect(assessHealth(cm)).toEqual({ status: 'Progressing', message: 'being deleted' });
  });

  it('lets a registered check replace a built-in one, and passes the context', () => {
    let seen: HealthContext | undefined;
    registerHealthCheck('apps', 'Deployment', (_obj, ctx) => {
      seen = ctx;
      return { status: 'Suspended', message: 'frozen by policy' };
    });
    const now = new Date('2025-03-02T12:00:00Z');
    expect(assessHealth(deployment(), { now })).toEqual({
      status: 'Suspended',
      message: 'frozen by policy',
    });
    expect(seen?.now).toBe(now);
  });

  it('uses the latest registration for a custom kind', () => {
    registerHealthCheck('example.com', 'Widget', () => ({ status: 'Degraded' }));
    registerHealthCheck('example.com', 'Widget', () => ({ status: 'Suspended' }));
    expect(assessHealth(widget({})).status).toBe('Suspended');
  });

  it('falls back to the generic check when a registered check has no opinion', () => {
    registerHealthCheck('example.com', 'Widget', () => undefined);
    const stalled = widget({
      conditions: [{ type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: 'bad size' }],
    });
    expect(assessHealth(stalled)).toEqual({ status: 'Degraded', message: 'InvalidSpec: bad size' });
  });

  it('turns a throwing check into Unknown with its message', () => {
    registerHealthCheck('example.com', 'Widget', () => {
      throw new Error('boom');
    });
    expect(assessHealth(widget({}))).toEqual({ status: 'Unknown', message: 'boom' });
  });

  it('uses the generic check for kinds nobody registered', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } };
    expect(assessHealth(obj)).toEqual({ status: 'Healthy' });
  });
});

describe('malformed objects', () => {
  const kinds: Array<[string, string]> = [
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['apps/v1', 'DaemonSet'],
    ['apps/v1', 'ReplicaSet'],
    ['v1', 'Pod'],
    ['v1', 'Service'],
    ['v1', 'PersistentVolumeClaim'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['batch/v1', 'Job'],
    ['batch/v1', 'CronJob'],
    ['autoscaling/v1', 'HorizontalPodAutoscaler'],
    ['autoscaling/v2', 'HorizontalPodAutoscaler'],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
    ['apiregistration.k8s.io/v1', 'APIService'],
    ['example.com/v1', 'Widget'],
  ];
  const garbage: unknown[] = [
    'garbage',
    42,
    null,
    [],
    { conditions: 'nope', replicas: '3', containerStatuses: [null, 'x', { state: 'y' }] },
    { conditions: [null, 7, { type: 'Ready' }], loadBalancer: { ingress: 'x' }, phase: 9 },
  ];

  it.each(kinds)('%s %s never throws and still gets a status', (apiVersion, kind) => {
    for (const status of garbage) {
      const obj: KubeObject = {
        apiVersion,
        kind,
        metadata: {
          name: 'x',
          generation: 'two' as unknown as number,
          annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '{not json' },
        },
        spec: { replicas: 'three', updateStrategy: 'x', suspend: 'yes' },
        status,
      };
      expect(() => assessHealth(obj)).not.toThrow();
      expect(assessHealth(obj).status).toMatch(/^(Healthy|Progressing|Degraded|Unknown)$/);
    }
  });

  it('treats a count sent as a string as absent', () => {
    const obj = deployment({ status: { observedGeneration: 2, updatedReplicas: '2' } });
    expect(assessHealth(obj)).toEqual({
      status: 'Progressing',
      message: 'waiting for rollout to finish: 0 out of 2 new replicas have been updated',
    });
  });

  it('survives a missing metadata block', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} } as unknown as KubeObject;
    expect(() => assessHealth(obj)).not.toThrow();
    const noEnvelope = { metadata: {} } as unknown as KubeObject;
    expect(assessHealth(noEnvelope).status).toBe('Healthy');
  });
});
