/** `sluice convert` over fixture manifests (testdata/*.yaml), one case per situation. */
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { SluiceError } from '../errors.ts';
import { convertManifests, UnreadableInputError } from './index.ts';
import { isJson } from './types.ts';
import { unknownFields } from './validate.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`testdata/${name}.yaml`, import.meta.url), 'utf8');

type Case = [fixture: string, failed: boolean, issues: string[]];

describe('sluice convert finds, per object and field path, what it could not map', () => {
  it.each<Case>([
    ['rollout-canary-nginx', false, []],
    [
      'rollout-unsupported',
      true,
      [
        'unsupported Rollout/payments spec.strategy.canary.steps[1].experiment',
        'unsupported Rollout/payments spec.strategy.canary.steps[2].setMirrorRoute',
        'unsupported Rollout/payments spec.strategy.canary.trafficRouting.istio',
        'unsupported Rollout/payments spec.strategy.canary.trafficRouting.plugins.acme/custom-router',
        'unknown-field Rollout/payments spec.strategy.canary.scaleDownDelayRevisionLimit',
        'schema Rollout/payments spec.replicas',
        'schema Rollout/payments spec.strategy.canary.steps[0].setWeight',
      ],
    ],
    [
      'analysis-providers',
      true,
      [
        'unsupported AnalysisTemplate/shop/latency spec.metrics[0].provider.datadog',
        'unknown-field AnalysisTemplate/shop/latency spec.metrics[0].consecutiveSuccessLimit',
        'schema AnalysisTemplate/shop/latency spec.metrics[1].provider.prometheus.address',
        'unsupported ClusterAnalysisTemplate/smoke spec.metrics[1].provider.newRelic',
      ],
    ],
    [
      'application-multisource',
      true,
      [
        'changed Application/argocd/monitoring metadata.namespace',
        'unsupported Application/argocd/monitoring spec.sources',
        'unsupported Application/argocd/monitoring spec.sources[0].chart',
        'unsupported Application/argocd/monitoring spec.syncPolicy.managedNamespaceMetadata',
        'changed Application/argocd/monitoring spec.syncPolicy.syncOptions[1]',
        'unsupported Application/argocd/monitoring spec.syncPolicy.syncOptions[2]',
        'schema Application/argocd/monitoring spec.source',
      ],
    ],
    [
      'application-single-source',
      false,
      [
        'changed Application/argocd/guestbook metadata.namespace',
        'changed Application/argocd/guestbook spec.sources',
        'changed Application/argocd/guestbook spec.source.helm.valuesObject',
      ],
    ],
    ['live-bluegreen', false, ['changed Rollout/pay/billing ']],
    [
      'appproject',
      true,
      [
        'changed AppProject/argocd/team-a metadata.namespace',
        'unsupported AppProject/argocd/team-a spec.roles',
        'unsupported AppProject/argocd/team-a spec.syncWindows',
      ],
    ],
    [
      'other-kinds',
      true,
      ['unsupported Experiment/try-it ', 'changed AppProject/argocd/team-a metadata.namespace'],
    ],
  ])('%s', (name, failed, expected) => {
    const r = convertManifests(fixture(name));
    expect(r.issues.map((i) => `${i.kind} ${i.object} ${i.path}`).sort()).toEqual(
      [...expected].sort(),
    );
    expect(r.failed).toBe(failed);
    for (const i of r.issues) expect(i.message.length).toBeGreaterThan(10);
  });
});

describe('the converted manifests', () => {
  it('keep order, comments and other objects; only the group changes', () => {
    const input = fixture('rollout-canary-nginx');
    const r = convertManifests(input);
    const before = parseAllDocuments(input).map((d) => d.toJS() as Record<string, unknown>);
    expect(r.objects.map((o) => (isJson(o) ? o['kind'] : undefined))).toEqual([
      'Service',
      'Rollout',
      'AnalysisTemplate',
    ]);
    expect(r.objects[0]).toEqual(before[0]);
    expect(r.objects[1]).toEqual({ ...before[1], apiVersion: 'sluice.dev/v1alpha1' });
    expect(r.yaml).toContain('# 10 % for five minutes, then half, then everyone');
    expect(r.yaml).toContain('apiVersion: sluice.dev/v1alpha1 # was Argo Rollouts');
    expect(r.yaml).not.toContain('argoproj.io');
    expect(r.converted).toEqual({ Rollout: 1, AnalysisTemplate: 1 });
    expect(parseAllDocuments(r.yaml).map((d) => d.toJS() as unknown)).toEqual(r.objects);
  });

  it('turn a one-entry sources into source, valuesObject into values, argocd into sluice-system', () => {
    const r = convertManifests(fixture('application-single-source'));
    const app = r.objects[0] as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    expect(app.metadata['namespace']).toBe('sluice-system');
    expect(app.metadata['finalizers']).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(app.spec['sources']).toBeUndefined();
    const source = app.spec['source'] as { repoURL: string; helm: Record<string, unknown> };
    expect(source.repoURL).toBe('https://git.example/apps/guestbook.git');
    expect(source.helm['valuesObject']).toBeUndefined();
    expect(parse(String(source.helm['values']))).toEqual({
      replicaCount: 3,
      image: { tag: 'v2.4.0' },
    });
    expect(r.yaml).toContain("https://git.example/apps/guestbook.git # the app's repo");
  });

  it('drop status and server-set metadata from a live object', () => {
    const r = convertManifests(fixture('live-bluegreen'));
    const ro = r.objects[0] as Record<string, Record<string, unknown>>;
    expect(ro['status']).toBeUndefined();
    expect(Object.keys(ro['metadata'] ?? {}).sort()).toEqual(['annotations', 'name', 'namespace']);
    expect(r.yaml).not.toContain('last-applied-configuration');
  });

  it('convert again to the same thing', () => {
    const once = convertManifests(fixture('application-single-source'));
    const twice = convertManifests(once.yaml);
    expect(twice.objects).toEqual(once.objects);
    expect(twice.issues).toEqual([]);
  });

  it('of an empty input are empty', () => {
    expect(convertManifests('# nothing here\n')).toMatchObject({ objects: [], failed: false });
    expect(convertManifests('')).toMatchObject({ objects: [], failed: false });
  });
});

describe('unreadable input', () => {
  it.each([
    ['a tab in indentation', 'apiVersion: v1\nkind: X\nmetadata:\n\tname: x\n'],
    ['an unclosed flow map', 'a: {b: 1\n---\nc: 2\n'],
  ])('%s is exit 2, naming the document', (_name, text) => {
    let err: unknown;
    try {
      convertManifests(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnreadableInputError);
    expect((err as SluiceError).exitCode).toBe(2);
    expect((err as SluiceError).message).toMatch(/^document 1 /);
  });
});

describe('unknownFields', () => {
  const schema = {
    type: 'object',
    properties: {
      a: { type: 'array', items: { type: 'object', properties: { b: { type: 'string' } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      map: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  it.each<[string, unknown, string[]]>([
    ['none', { a: [{ b: 'x' }], free: { anything: 1 }, map: { k: 'v' } }, []],
    ['at the top', { c: 1 }, ['c']],
    ['in an array item', { a: [{ b: 'x' }, { z: 1 }] }, ['a[1].z']],
  ])('%s', (_name, value, expected) => {
    expect(unknownFields(schema, value)).toEqual(expected);
  });
});
