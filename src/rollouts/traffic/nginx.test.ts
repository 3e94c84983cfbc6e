import { describe, expect, it } from 'vitest';
import {
  buildCanaryIngress,
  canaryIngressDiffers,
  canaryIngressName,
  canaryRules,
  headerAnnotations,
  ingressWeight,
} from './nginx.ts';
import { ingress, path, testRollout } from './testing.ts';
import { TrafficRouterError, type HeaderRoute, type TrafficTarget } from './types.ts';

const P = 'nginx.ingress.kubernetes.io';

function target(over: Partial<TrafficTarget> = {}, nginx: Record<string, unknown> = {}) {
  const rollout = testRollout({
    uid: 'u-1',
    trafficRouting: { nginx: { stableIngress: 'web', ...nginx } },
  });
  return {
    rollout,
    weight: 10,
    stable: { service: 'web-stable' },
    canary: { service: 'web-canary' },
    ...over,
  } satisfies TrafficTarget;
}

const stable = ingress(
  'shop',
  'web',
  [
    { host: 'a.example', http: { paths: [path('/', 'web-stable'), path('/api', 'api')] } },
    { host: 'b.example', http: { paths: [path('/shop', 'web-stable', 'http')] } },
    { host: 'c.example', http: { paths: [path('/', 'other')] } },
    { host: 'd.example' },
  ],
  { className: 'nginx', annotations: { 'kubernetes.io/ingress.class': 'nginx', x: 'y' } },
);

describe('canaryIngressName', () => {
  it.each([
    ['web', 'web', 'web-web-canary'],
    ['a'.repeat(200), 'b'.repeat(100), `${'a'.repeat(200)}-${'b'.repeat(45)}-canary`],
  ])('%s + %s', (rollout, ing, want) => {
    expect(canaryIngressName(rollout, ing)).toBe(want);
    expect(canaryIngressName(rollout, ing).length).toBeLessThanOrEqual(253);
  });
});

describe('canaryRules', () => {
  it('mirrors every host and path that routes to the stable Service, to the canary', () => {
    expect(canaryRules(stable, 'web-stable', 'web-canary')).toEqual([
      { host: 'a.example', http: { paths: [path('/', 'web-canary')] } },
      { host: 'b.example', http: { paths: [path('/shop', 'web-canary', 'http')] } },
    ]);
  });

  it('a rule without host stays without host', () => {
    const s = ingress('shop', 'web', [{ http: { paths: [path('/', 'web-stable')] } }]);
    expect(canaryRules(s, 'web-stable', 'c')).toEqual([{ http: { paths: [path('/', 'c')] } }]);
  });
});

describe('buildCanaryIngress', () => {
  it('is owned by the Rollout, keeps the class, carries canary and weight annotations', () => {
    const c = buildCanaryIngress(stable, target());
    expect(c.metadata).toMatchObject({
      name: 'web-web-canary',
      namespace: 'shop',
      labels: { 'sluice.dev/rollout': 'web' },
      ownerReferences: [{ kind: 'Rollout', name: 'web', uid: 'u-1', controller: true }],
    });
    expect(c.metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      [`${P}/canary`]: 'true',
      [`${P}/canary-weight`]: '10',
    });
    expect(c.spec?.ingressClassName).toBe('nginx');
  });

  it.each([
    [{}, { 'nginx.ingress.kubernetes.io/canary-weight': '10' }],
    [
      { annotationPrefix: 'custom.io' },
      { 'custom.io/canary': 'true', 'custom.io/canary-weight': '10' },
    ],
    [
      { additionalIngressAnnotations: { 'canary-by-cookie': 'c', [`${P}/x`]: 'y' } },
      { [`${P}/canary-by-cookie`]: 'c', [`${P}/x`]: 'y' },
    ],
  ])('settings %j give annotations %j', (nginx, want) => {
    expect(buildCanaryIngress(stable, target({}, nginx)).metadata.annotations).toMatchObject(want);
  });

  it('weight 0 keeps the canary Ingress, at weight 0', () => {
    const c = buildCanaryIngress(stable, target({ weight: 0 }));
    expect(ingressWeight(c, P)).toBe(0);
  });

  it('a stable Ingress with no path to the stable Service is RouterObjectInvalid, naming it', () => {
    const other = ingress('shop', 'web', [{ http: { paths: [path('/', 'other')] } }]);
    const err = catchError(() => buildCanaryIngress(other, target()));
    expect(err).toMatchObject({
      reason: 'RouterObjectInvalid',
      object: { kind: 'Ingress', name: 'web' },
    });
    expect(err?.message).toMatch(
      /^Ingress\/shop\/web: no rule routes to the stable Service web-stable/,
    );
  });
});

describe('headerAnnotations', () => {
  const route = (name: string, ...values: Array<Record<string, string>>): HeaderRoute => ({
    name,
    match: values.map((headerValue) => ({ headerName: 'X-Canary', headerValue })),
  });
  const rollout = target().rollout;

  it.each([
    [[], {}],
    [
      [route('r', { exact: 'yes' })],
      {
        [`${P}/canary-by-header`]: 'X-Canary',
        [`${P}/canary-by-header-value`]: 'yes',
        'sluice.dev/header-route': 'r',
      },
    ],
    [[route('r', { prefix: 'a.b' })], { [`${P}/canary-by-header-pattern`]: '^a\\.b.*' }],
    [[route('r', { regex: '^(x|y)$' })], { [`${P}/canary-by-header-pattern`]: '^(x|y)$' }],
    [[route('r')], {}],
  ])('%j', (routes, want) => {
    const got = headerAnnotations(rollout, P, routes);
    expect(got).toMatchObject(want);
    if (Object.keys(want).length === 0) expect(got).toEqual({});
  });

  it.each([
    ['two matches', [route('r', { exact: 'a' }, { exact: 'b' })]],
    ['two routes', [route('r', { exact: 'a' }), route('s', { exact: 'b' })]],
  ])('%s: HeaderRouteUnsupported naming the canary Ingress', (_, routes) => {
    const err = catchError(() => headerAnnotations(rollout, P, routes));
    expect(err).toMatchObject({
      reason: 'HeaderRouteUnsupported',
      object: { name: 'web-web-canary' },
    });
  });
});

describe('canaryIngressDiffers', () => {
  const desired = buildCanaryIngress(stable, target());
  const live = structuredClone(desired);
  live.metadata.resourceVersion = '7';
  live.metadata.annotations = { ...live.metadata.annotations, 'someone/else': 'x' };

  it.each([
    ['the same object', live, false],
    ['another weight', buildCanaryIngress(stable, target({ weight: 50 })), true],
    [
      'a header route added',
      buildCanaryIngress(
        stable,
        target({
          headerRoutes: [{ name: 'h', match: [{ headerName: 'X', headerValue: { exact: '1' } }] }],
        }),
      ),
      true,
    ],
    [
      'other rules',
      buildCanaryIngress(
        ingress('shop', 'web', [{ http: { paths: [path('/', 'web-stable')] } }], {
          className: 'nginx',
          annotations: { 'kubernetes.io/ingress.class': 'nginx' },
        }),
        target(),
      ),
      true,
    ],
  ])('live vs %s: %s', (_, want, differs) => {
    expect(canaryIngressDiffers(live, want, P)).toBe(differs);
  });

  it('a header annotation left on the live object is a difference', () => {
    const withHeader = structuredClone(live);
    withHeader.metadata.annotations = {
      ...withHeader.metadata.annotations,
      [`${P}/canary-by-header`]: 'X',
    };
    expect(canaryIngressDiffers(withHeader, desired, P)).toBe(true);
  });
});

function catchError(f: () => unknown): TrafficRouterError | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof TrafficRouterError) return err;
    throw err;
  }
  return undefined;
}
