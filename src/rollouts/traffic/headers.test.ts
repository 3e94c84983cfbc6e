import { describe, expect, it } from 'vitest';
import type { CanaryStep } from '../../api/rollout.ts';
import { escapeRegex, headerRoutesAt, valueCondition } from './headers.ts';
import { checkWeight, scopeOf } from './objects.ts';
import { testRollout } from './testing.ts';

const m = (value: string) => [{ headerName: 'X-Canary', headerValue: { exact: value } }];
const steps: CanaryStep[] = [
  { setWeight: 10 },
  { setHeaderRoute: { name: 'a', match: m('1') } },
  { setHeaderRoute: { name: 'b', match: m('2') } },
  { pause: {} },
  { setHeaderRoute: { name: 'a', match: m('3') } },
  { setHeaderRoute: { name: 'b' } },
  { setWeight: 100 },
];
const rollout = testRollout({
  trafficRouting: {
    nginx: { stableIngress: 'web' },
    managedRoutes: [{ name: 'a' }, { name: 'b' }],
  },
  steps,
});

describe('headerRoutesAt', () => {
  it.each([
    [-1, []],
    [0, []],
    [1, [['a', '1']]],
    [
      3,
      [
        ['a', '1'],
        ['b', '2'],
      ],
    ],
    [
      4,
      [
        ['a', '3'],
        ['b', '2'],
      ],
    ],
    [5, [['a', '3']]],
    [99, [['a', '3']]],
  ])('at step %i', (index, want) => {
    const got = headerRoutesAt(rollout, index).map((r) => [r.name, r.match[0]?.headerValue.exact]);
    expect(got).toEqual(want);
  });

  it('a route not in managedRoutes is RouterConfigInvalid naming the step', () => {
    const r = testRollout({
      trafficRouting: { nginx: { stableIngress: 'web' } },
      steps: [{ setHeaderRoute: { name: 'x', match: m('1') } }],
    });
    expect(() => headerRoutesAt(r, 0)).toThrow(/^Rollout\/shop\/web: step 0 sets header route "x"/);
  });
});

describe('valueCondition', () => {
  it.each([
    [{ exact: 'a.b' }, { type: 'Exact', value: 'a.b' }],
    [{ prefix: 'a.b' }, { type: 'Regex', value: '^a\\.b.*' }],
    [{ regex: 'a.b' }, { type: 'Regex', value: 'a.b' }],
  ])('%j → %j', (headerValue, want) => {
    expect(valueCondition(rollout, { headerName: 'X', headerValue })).toEqual(want);
  });

  it('no value at all is RouterConfigInvalid', () => {
    expect(() => valueCondition(rollout, { headerName: 'X', headerValue: {} })).toThrow(
      /gives no value/,
    );
  });

  it.each([
    ['v1.2+', 'v1\\.2\\+'],
    ['(a|b)*', '\\(a\\|b\\)\\*'],
    ['plain', 'plain'],
  ])('escapeRegex(%s)', (s, want) => {
    expect(escapeRegex(s)).toBe(want);
    expect(new RegExp(`^${escapeRegex(s)}$`).test(s)).toBe(true);
  });
});

describe('checkWeight and scopeOf', () => {
  const scope = scopeOf(rollout, { canary: 'abc' });

  it.each([0, 1, 50, 100])('weight %i is fine', (weight) => {
    expect(() => checkWeight({ ...scope, weight })).not.toThrow();
  });

  it.each([-1, 101, 12.5, Number.NaN])('weight %d is RouterConfigInvalid', (weight) => {
    expect(() => checkWeight({ ...scope, weight })).toThrow(/not a whole percentage/);
  });

  it('takes the Services from the spec, the hashes from the caller', () => {
    expect(scope.stable).toEqual({ service: 'web-stable' });
    expect(scope.canary).toEqual({ service: 'web-canary', podTemplateHash: 'abc' });
  });

  it('a router without both Services is RouterConfigInvalid', () => {
    const r = testRollout({
      trafficRouting: { nginx: { stableIngress: 'web' } },
      canaryService: '',
    });
    expect(() => scopeOf(r)).toThrow(/needs both stableService and canaryService/);
  });
});
