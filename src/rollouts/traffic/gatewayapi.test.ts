import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../kube/types.ts';
import {
  desiredRules,
  gatewayRoutes,
  managedRuleName,
  observeRoute,
  type RouteRule,
  type RouteSettings,
} from './gatewayapi.ts';
import { httpRoute, testRollout, weightedRule } from './testing.ts';
import { TrafficRouterError, type HeaderRoute, type TrafficTarget } from './types.ts';

const PLUGIN = 'argoproj-labs/gatewayAPI';
const rollout = testRollout({
  trafficRouting: {
    plugins: { [PLUGIN]: { httpRoute: 'web' } },
    managedRoutes: [{ name: 'beta' }],
  },
});
const settings: RouteSettings = { name: 'web', namespace: 'shop', useHeaderRoutes: true };
const ref: ObjectRef = {
  group: 'gateway.networking.k8s.io',
  kind: 'HTTPRoute',
  namespace: 'shop',
  name: 'web',
};
const split = weightedRule('/', [
  ['web-stable', 100],
  ['web-canary', 0],
]);
const other = weightedRule('/admin', [['admin', 1]]);

function target(weight: number, headerRoutes: HeaderRoute[] = []): TrafficTarget {
  return {
    rollout,
    weight,
    stable: { service: 'web-stable' },
    canary: { service: 'web-canary' },
    headerRoutes,
  };
}

const exact: HeaderRoute = {
  name: 'beta',
  match: [{ headerName: 'X-Beta', headerValue: { exact: 'yes' } }],
};

describe('gatewayRoutes', () => {
  it.each([
    [{ httpRoute: 'web' }, [{ name: 'web', namespace: 'shop', useHeaderRoutes: true }]],
    [
      { httpRoute: 'web', namespace: 'edge' },
      [{ name: 'web', namespace: 'edge', useHeaderRoutes: true }],
    ],
    [
      { httpRoutes: [{ name: 'a', useHeaderRoutes: true }, { name: 'b' }] },
      [
        { name: 'a', namespace: 'shop', useHeaderRoutes: true },
        { name: 'b', namespace: 'shop', useHeaderRoutes: false },
      ],
    ],
  ])('%j', (cfg, want) => {
    const r = testRollout({ trafficRouting: { plugins: { [PLUGIN]: cfg } } });
    expect(gatewayRoutes(r)).toEqual(want);
  });

  it('no route named: RouterConfigInvalid on the Rollout', () => {
    const r = testRollout({ trafficRouting: { plugins: { [PLUGIN]: {} } } });
    expect(() => gatewayRoutes(r)).toThrow(/^Rollout\/shop\/web: .*names no HTTPRoute/);
  });
});

describe('desiredRules', () => {
  it.each([0, 10, 50, 100])('weight %i: stable 100-N, canary N; other rules untouched', (w) => {
    const rules = desiredRules([other, split], target(w), settings, ref);
    expect(rules[0]).toEqual(other);
    expect(rules[1]?.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
      ['web-stable', 100 - w],
      ['web-canary', w],
    ]);
    expect(rules).toHaveLength(2);
  });

  it('every rule that splits between the two Services gets the weights; a third backend keeps its own', () => {
    const three = weightedRule('/x', [
      ['web-canary', 5],
      ['mirror', 3],
      ['web-stable', 5],
    ]);
    const rules = desiredRules([split, three], target(30), settings, ref);
    expect(rules.map((r) => r.backendRefs?.map((b) => b.weight))).toEqual([
      [70, 30],
      [30, 3, 70],
    ]);
  });

  it('a backendRef in another namespace or of another kind is not the Service', () => {
    const foreign: RouteRule = {
      backendRefs: [
        { name: 'web-stable', namespace: 'elsewhere', weight: 1 },
        { name: 'web-canary', kind: 'ServiceImport', group: 'multicluster.x-k8s.io', weight: 1 },
      ],
    };
    expect(() => desiredRules([foreign], target(10), settings, ref)).toThrow(TrafficRouterError);
  });

  it('no rule with both Services: RouterObjectInvalid naming the HTTPRoute', () => {
    try {
      desiredRules([other], target(10), settings, ref);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ reason: 'RouterObjectInvalid', object: ref });
      expect((err as Error).message).toMatch(/^HTTPRoute\/shop\/web: no rule has backendRefs/);
    }
  });

  it('a header route is one more rule: the split rule matches plus headers, 100 % to canary', () => {
    const rules = desiredRules([split], target(10, [exact]), settings, ref);
    expect(rules[1]).toEqual({
      name: 'sluice-web-beta',
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ type: 'Exact', name: 'X-Beta', value: 'yes' }],
        },
      ],
      backendRefs: [{ name: 'web-canary', port: 80, weight: 100 }],
    });
  });

  it.each([
    [{ prefix: 'v2' }, { type: 'RegularExpression', name: 'X-Beta', value: '^v2.*' }],
    [{ regex: 'a|b' }, { type: 'RegularExpression', name: 'X-Beta', value: 'a|b' }],
  ])('header value %j → %j', (headerValue, header) => {
    const h: HeaderRoute = { name: 'beta', match: [{ headerName: 'X-Beta', headerValue }] };
    expect(desiredRules([split], target(10, [h]), settings, ref)[1]?.matches?.[0]?.headers).toEqual(
      [header],
    );
  });

  it('header routes no longer wanted are removed; the user rules stay as they were', () => {
    const withRoute = desiredRules([other, split], target(10, [exact]), settings, ref);
    expect(withRoute.map((r) => r.name)).toEqual([undefined, undefined, 'sluice-web-beta']);
    const without = desiredRules(withRoute, target(10), settings, ref);
    expect(without).toEqual(desiredRules([other, split], target(10), settings, ref));
  });

  it("only this Rollout's managed routes are removed: another Rollout's and the user's rules stay", () => {
    const theirs: RouteRule = {
      ...weightedRule('/', [['web-canary', 1]]),
      name: 'sluice-web-x-beta',
    };
    const named: RouteRule = { ...other, name: 'sluice-web-other' };
    const live = desiredRules([split, theirs, named], target(10, [exact]), settings, ref);
    expect(live.map((r) => r.name)).toEqual([
      undefined,
      'sluice-web-x-beta',
      'sluice-web-other',
      'sluice-web-beta',
    ]);
    expect(desiredRules(live, target(10), settings, ref).map((r) => r.name)).toEqual([
      undefined,
      'sluice-web-x-beta',
      'sluice-web-other',
    ]);
  });

  it('a route with useHeaderRoutes false gets weights only', () => {
    const rules = desiredRules(
      [split],
      target(10, [exact]),
      { ...settings, useHeaderRoutes: false },
      ref,
    );
    expect(rules).toHaveLength(1);
  });

  it('a header route name that cannot name a rule is RouterConfigInvalid', () => {
    const bad: HeaderRoute = { ...exact, name: 'Not_Valid' };
    expect(() => desiredRules([split], target(10, [bad]), settings, ref)).toThrow(
      /cannot name an HTTPRoute rule/,
    );
  });
});

describe('observeRoute', () => {
  const at = (w: number, h: HeaderRoute[] = []) =>
    httpRoute('shop', 'web', desiredRules([other, split], target(w, h), settings, ref));

  it.each([0, 10, 50, 100])('reads weight %i back', (w) => {
    expect(observeRoute(at(w, [exact]), target(w), settings)).toEqual({
      weight: w,
      headerRoutes: ['beta'],
    });
  });

  it('missing route: no weight', () => {
    expect(observeRoute(undefined, target(0), settings)).toEqual({
      weight: undefined,
      headerRoutes: [],
    });
  });

  it('rules that disagree: no weight; weights default to 1 each', () => {
    const a = weightedRule('/a', [
      ['web-stable', 90],
      ['web-canary', 10],
    ]);
    const b: RouteRule = { backendRefs: [{ name: 'web-stable' }, { name: 'web-canary' }] };
    expect(
      observeRoute(httpRoute('shop', 'web', [a, b]), target(0), settings).weight,
    ).toBeUndefined();
    expect(observeRoute(httpRoute('shop', 'web', [b]), target(0), settings).weight).toBe(50);
  });

  it('managed rule names carry the Rollout', () => {
    expect(managedRuleName(rollout, 'beta')).toBe('sluice-web-beta');
  });
});
