import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HEALTH_STATUSES } from '../api/application.ts';
import type { HealthStatus } from '../api/application.ts';
import { isRecord } from '../kube/types.ts';
import type { KubeObject } from '../kube/types.ts';
import { assessHealth } from './index.ts';
import type { HealthResult } from './index.ts';

// testdata/<kind>-<expected>[-<situation>].yaml: one live object per file, as the API server
// returns it; <expected> is the health it must get.
const TESTDATA = new URL('./testdata/', import.meta.url);
const NAME = /^([a-z]+)-([a-z]+)(?:-[a-z0-9-]+)?\.yaml$/;

/** The object kind each file prefix must hold; `generic` holds any kind without a check. */
const KINDS: Record<string, string | undefined> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  replicaset: 'ReplicaSet',
  pod: 'Pod',
  service: 'Service',
  ingress: 'Ingress',
  pvc: 'PersistentVolumeClaim',
  job: 'Job',
  cronjob: 'CronJob',
  hpa: 'HorizontalPodAutoscaler',
  crd: 'CustomResourceDefinition',
  apiservice: 'APIService',
  rollout: 'Rollout',
  generic: undefined,
};

function expectedStatus(word: string): HealthStatus {
  const status = HEALTH_STATUSES.find((s) => s.toLowerCase() === word);
  if (!status) throw new Error(`unknown health "${word}" in a fixture name`);
  return status;
}

function load(file: string): KubeObject {
  const doc: unknown = parse(readFileSync(new URL(file, TESTDATA), 'utf8'));
  if (!isRecord(doc) || typeof doc['apiVersion'] !== 'string' || !isRecord(doc['metadata'])) {
    throw new Error(`${file}: not a Kubernetes object`);
  }
  return doc as KubeObject;
}

function health(file: string): HealthResult {
  return assessHealth(load(file));
}

const fixtures = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => {
    const m = NAME.exec(file);
    if (!m?.[1] || !m[2])
      throw new Error(`fixture ${file} is not <kind>-<expected>-<situation>.yaml`);
    return { file, prefix: m[1], expected: expectedStatus(m[2]) };
  });

describe('health fixtures', () => {
  it('has fixtures for every kind', () => {
    expect(new Set(fixtures.map((f) => f.prefix))).toEqual(new Set(Object.keys(KINDS)));
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
  });

  it.each(fixtures)('$file is $expected', ({ file, prefix, expected }) => {
    const obj = load(file);
    const kind = KINDS[prefix];
    if (kind) expect(obj.kind).toBe(kind);
    else expect(Object.values(KINDS)).not.toContain(obj.kind);
    expect(assessHealth(obj).status).toBe(expected);
  });
});

describe('health messages', () => {
  it('says which Deployment missed its deadline', () => {
    expect(health('deployment-degraded-progress-deadline.yaml').message).toBe(
      'Deployment web exceeded its progress deadline',
    );
  });

  it('counts replicas like kubectl rollout status', () => {
    expect(health('deployment-progressing-rollout.yaml').message).toBe(
      'waiting for rollout to finish: 1 out of 3 new replicas have been updated',
    );
    expect(health('deployment-progressing-old-replicas.yaml').message).toBe(
      'waiting for rollout to finish: 1 old replicas are pending termination',
    );
    expect(health('deployment-progressing-generation.yaml').message).toBe(
      'waiting for rollout: observed generation 6 < desired 7',
    );
  });

  it('names the stuck container and the kubelet reason', () => {
    expect(health('pod-degraded-crashloop.yaml').message).toMatch(
      /^container api: CrashLoopBackOff: back-off 2m40s/,
    );
    expect(health('pod-degraded-image-pull.yaml').message).toBe(
      'container web: ImagePullBackOff: Back-off pulling image "ghcr.io/acme/web:does-not-exist"',
    );
  });

  it('explains failed and unschedulable pods', () => {
    expect(health('pod-degraded-failed.yaml').message).toBe(
      'container report terminated: OOMKilled (exit code 137)',
    );
    expect(health('pod-degraded-evicted.yaml').message).toMatch(/^Evicted: The node was low/);
    expect(health('pod-progressing-unschedulable.yaml').message).toMatch(
      /^Unschedulable: 0\/3 nodes are available/,
    );
  });

  it('carries the Job failure reason', () => {
    expect(health('job-degraded-backoff-limit.yaml').message).toBe(
      'BackoffLimitExceeded: Job has reached the specified backoff limit',
    );
    expect(health('job-degraded-deadline.yaml').message).toBe(
      'DeadlineExceeded: Job was active longer than specified deadline',
    );
  });

  it('carries condition messages for HPA, CRD, ReplicaSet and custom resources', () => {
    expect(health('hpa-degraded-v1-annotation.yaml').message).toMatch(/^FailedGetResourceMetric: /);
    expect(health('crd-degraded-names-conflict.yaml').message).toBe(
      'ShortNamesConflict: "wd" is already in use',
    );
    expect(health('replicaset-degraded-quota.yaml').message).toMatch(/exceeded quota: compute/);
    expect(health('generic-degraded-stalled.yaml').message).toMatch(
      /^ArtifactFailed: kustomization path not found/,
    );
    expect(health('generic-degraded-install-failed.yaml').message).toMatch(/^InstallFailed: /);
  });

  it('notes a missing address on Ingress and LoadBalancer Service', () => {
    expect(health('ingress-healthy-no-address.yaml').message).toBe('no load balancer address yet');
    expect(health('ingress-healthy.yaml').message).toBeUndefined();
    expect(health('service-progressing-loadbalancer.yaml').message).toBe(
      'waiting for a load balancer address',
    );
  });
});
