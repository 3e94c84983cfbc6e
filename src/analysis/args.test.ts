/**
 * Arguments (substitution, resolution from a Rollout), JSONPath reads and runs built from
 * templates, as tables.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, Argument } from '../api/analysis.ts';
import type { KubeObject } from '../kube/types.ts';
import { argValues, resolveArgs, substitute, substituteMetric } from './args.ts';
import { buildAnalysisRun } from './build.ts';
import { parsePath, readPath } from './jsonpath.ts';
import { loadTemplates } from './templates.ts';

const args = new Map([
  ['service', 'web'],
  ['threshold', '0.99'],
]);

describe('substitute', () => {
  it.each([
    ['sum(rate(x{svc="{{args.service}}"}[1m]))', 'sum(rate(x{svc="web"}[1m]))'],
    ['{{ args.service }}-{{args.service}}', 'web-web'],
    ['result[0] >= {{args.threshold}}', 'result[0] >= 0.99'],
    ['{{labels.x}} {{ something }}', '{{labels.x}} {{ something }}'],
    ['no tags', 'no tags'],
  ])('%s', (text, want) => {
    expect(substitute(text, args, 'metric m')).toBe(want);
  });

  it('an unknown argument is an error naming it and the known ones', () => {
    expect(() => substitute('x{svc="{{args.servce}}"}', args, 'metric m')).toThrow(
      'metric m uses {{args.servce}}, which is not an argument (arguments: service, threshold)',
    );
    expect(() => substitute('{{args.a}}', new Map(), 'metric m')).toThrow(
      'the run has no arguments',
    );
  });

  it('reaches every string of a metric, not its name', () => {
    const m = substituteMetric(
      {
        name: '{{args.service}}',
        count: '{{args.threshold}}',
        successCondition: 'result >= {{args.threshold}}',
        provider: {
          web: {
            url: 'http://{{args.service}}/',
            headers: [{ key: 'X', value: '{{args.service}}' }],
          },
          job: { spec: { template: { spec: { containers: [{ args: ['{{args.service}}'] }] } } } },
        },
      },
      args,
    );
    expect(m).toEqual({
      name: '{{args.service}}',
      count: '0.99',
      successCondition: 'result >= 0.99',
      provider: {
        web: { url: 'http://web/', headers: [{ key: 'X', value: 'web' }] },
        job: { spec: { template: { spec: { containers: [{ args: ['web'] }] } } } },
      },
    });
  });
});

describe('argValues', () => {
  it('values, secrets, and a missing value named', async () => {
    const secret = (name: string, key: string): Promise<string> =>
      Promise.resolve(`${name}/${key}`);
    const v = await argValues(
      [
        { name: 'a', value: '1' },
        { name: 'b', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ],
      secret,
    );
    expect([...v]).toEqual([
      ['a', '1'],
      ['b', 's/k'],
    ]);
    await expect(argValues([{ name: 'c' }], secret)).rejects.toThrow(
      expect.objectContaining({
        code: 'MissingArgument',
        message: 'argument c has no value',
      }) as Error,
    );
  });
});

const rollout: KubeObject = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', 'a.b/c': 'x' } },
  spec: { replicas: 3, template: { spec: { containers: [{ image: 'web:2' }] } } },
};

describe('resolveArgs', () => {
  const ctx = { stableHash: 'aaa', latestHash: 'bbb', rollout };
  it.each([
    [{ name: 'x', value: 'v' }, 'v'],
    [{ name: 'x', valueFrom: { podTemplateHashValue: 'Stable' } }, 'aaa'],
    [{ name: 'x', valueFrom: { podTemplateHashValue: 'Latest' } }, 'bbb'],
    [{ name: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, 'web'],
    [{ name: 'x', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }, 'web'],
    [{ name: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.labels["a.b/c"]' } } }, 'x'],
    [{ name: 'x', valueFrom: { fieldRef: { fieldPath: 'spec.replicas' } } }, '3'],
    [
      {
        name: 'x',
        valueFrom: { fieldRef: { fieldPath: 'spec.template.spec.containers[0].image' } },
      },
      'web:2',
    ],
  ] as Array<[Argument, string]>)('%j -> %s', (arg, value) => {
    expect(resolveArgs([arg], ctx)).toEqual([{ name: 'x', value }]);
  });

  it('the stable hash of a first rollout is the latest one', () => {
    expect(
      resolveArgs([{ name: 'x', valueFrom: { podTemplateHashValue: 'Stable' } }], {
        ...ctx,
        stableHash: undefined,
      }),
    ).toEqual([{ name: 'x', value: 'bbb' }]);
  });

  it('secrets stay references for the run controller', () => {
    const a: Argument = { name: 's', valueFrom: { secretKeyRef: { name: 'n', key: 'k' } } };
    expect(resolveArgs([a], ctx)).toEqual([a]);
  });

  it.each([
    [
      "metadata.labels['team']",
      "argument x: Rollout/shop/web has no field metadata.labels['team']",
    ],
    ['spec.template', 'argument x: field spec.template of Rollout/shop/web is not a string'],
    ['metadata..name', 'argument x: fieldRef: cannot read path "metadata..name"'],
  ])('fieldRef %s fails clearly', (fieldPath, message) => {
    expect(() => resolveArgs([{ name: 'x', valueFrom: { fieldRef: { fieldPath } } }], ctx)).toThrow(
      message,
    );
  });
});

describe('jsonpath', () => {
  const data = JSON.parse('{"a":{"b":[{"c":1},{"c":2}]},"ok":true,"__proto__":{"x":1}}') as unknown;
  it.each([
    ['$.a.b[0].c', 1],
    ['{$.a.b[1].c}', 2],
    ['$.a.b[-1].c', 2],
    ["$['ok']", true],
    ['ok', true],
    ['$', data],
    ['{$}', data],
    ['$.missing', undefined],
    ['$.a.b[5]', undefined],
    ['$.ok.x', undefined],
    ['$.constructor', undefined],
    ['$.a.toString', undefined],
    ['$.__proto__.x', 1],
  ])('%s', (path, want) => {
    expect(readPath(data, parsePath(path, 'web'))).toEqual(want);
  });

  it('a bad path is an error', () => {
    expect(() => parsePath('$.a[', 'metric m: jsonPath')).toThrow(
      'metric m: jsonPath: cannot read path "$.a["',
    );
  });
});

const template = (
  name: string,
  spec: AnalysisTemplate['spec'],
  kind = 'AnalysisTemplate',
): AnalysisTemplate => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind,
  metadata: { name, ...(kind === 'AnalysisTemplate' ? { namespace: 'shop' } : {}) },
  spec,
});
const web = { web: { url: 'http://x/' } };

describe('buildAnalysisRun', () => {
  const base = { rollout: { name: 'web', namespace: 'shop', uid: 'u-1' }, name: 'web-bbb-1' };

  it("merges templates, takes the Rollout's values, and is owned by the Rollout", () => {
    const run = buildAnalysisRun({
      ...base,
      templates: [
        template('rate', {
          metrics: [{ name: 'success-rate', provider: web }],
          args: [{ name: 'service' }, { name: 'threshold', value: '0.99' }],
          dryRun: [{ metricName: 'success-rate' }],
        }),
        template(
          'lat',
          { metrics: [{ name: 'latency', provider: web }], args: [{ name: 'service' }] },
          'ClusterAnalysisTemplate',
        ),
      ],
      args: [
        { name: 'service', value: 'web-canary' },
        { name: 'unused', value: 'x' },
      ],
      labels: { 'rollouts-pod-template-hash': 'bbb' },
    });
    expect(run).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisRun',
      metadata: {
        name: 'web-bbb-1',
        namespace: 'shop',
        labels: { 'rollouts-pod-template-hash': 'bbb' },
        ownerReferences: [
          {
            apiVersion: 'sluice.dev/v1alpha1',
            kind: 'Rollout',
            name: 'web',
            uid: 'u-1',
            controller: true,
          },
        ],
      },
      spec: {
        metrics: [
          { name: 'success-rate', provider: web },
          { name: 'latency', provider: web },
        ],
        args: [
          { name: 'service', value: 'web-canary' },
          { name: 'threshold', value: '0.99' },
        ],
        dryRun: [{ metricName: 'success-rate' }],
      },
    });
  });

  it.each([
    [
      'a missing required argument',
      [template('t', { metrics: [{ name: 'm', provider: web }], args: [{ name: 'service' }] })],
      [],
      { code: 'MissingArgument', subject: 'service', message: 'argument service has no value' },
    ],
    [
      'an argument left unresolved',
      [template('t', { metrics: [{ name: 'm', provider: web }], args: [{ name: 'hash' }] })],
      [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
      { code: 'MissingArgument', subject: 'hash' },
    ],
    [
      'a metric in two templates',
      [
        template('a', { metrics: [{ name: 'm', provider: web }] }),
        template('b', { metrics: [{ name: 'm', provider: web }] }),
      ],
      [],
      {
        code: 'DuplicateMetric',
        message: 'metric m is defined by both AnalysisTemplate/shop/a and AnalysisTemplate/shop/b',
      },
    ],
    [
      'conflicting defaults',
      [
        template('a', {
          metrics: [{ name: 'm1', provider: web }],
          args: [{ name: 'x', value: '1' }],
        }),
        template('b', {
          metrics: [{ name: 'm2', provider: web }],
          args: [{ name: 'x', value: '2' }],
        }),
      ],
      [],
      { code: 'ConflictingArgument', subject: 'x' },
    ],
  ] as Array<[string, AnalysisTemplate[], Argument[], Record<string, string>]>)(
    '%s is an error',
    (_n, templates, given, want) => {
      expect(() => buildAnalysisRun({ ...base, templates, args: given })).toThrow(
        expect.objectContaining(want) as Error,
      );
    },
  );
});

describe('loadTemplates', () => {
  const shop = template('rate', { metrics: [] });
  const global = template('lat', { metrics: [] }, 'ClusterAnalysisTemplate');
  const lookup = (kind: string, namespace: string | undefined, name: string) =>
    Promise.resolve(
      [shop, global].find(
        (t) => t.kind === kind && t.metadata.namespace === namespace && t.metadata.name === name,
      ),
    );

  it('finds namespaced and cluster templates', async () => {
    const got = await loadTemplates(lookup, 'shop', [
      { templateName: 'rate' },
      { templateName: 'lat', clusterScope: true },
    ]);
    expect(got).toEqual([shop, global]);
  });

  it.each([
    [{ templateName: 'nope' }, 'AnalysisTemplate/shop/nope does not exist'],
    [{ templateName: 'rate', clusterScope: true }, 'ClusterAnalysisTemplate/rate does not exist'],
  ])('%j is TemplateNotFound', async (ref, message) => {
    await expect(loadTemplates(lookup, 'shop', [ref])).rejects.toThrow(
      expect.objectContaining({ code: 'TemplateNotFound', message }) as Error,
    );
  });
});
