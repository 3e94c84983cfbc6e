import { describe, expect, it } from 'vitest';
import type { Condition } from '../../api/image.ts';
import type { KubeObject } from '../../kube/types.ts';
import { conditions, isDue, requestedAt } from './conditions.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
type Obj = KubeObject & {
  status?: {
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
    conditions?: Condition[];
  };
};
const obj = (
  o: {
    generation?: number;
    observed?: number;
    annotations?: Record<string, string>;
    handled?: string;
    ready?: Condition['status'];
  } = {},
): Obj => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'ImageRepository',
  metadata: {
    name: 'web',
    generation: o.generation ?? 1,
    ...(o.annotations ? { annotations: o.annotations } : {}),
  },
  status: {
    observedGeneration: o.observed ?? 1,
    ...(o.handled ? { lastHandledReconcileAt: o.handled } : {}),
    conditions: [{ type: 'Ready', status: o.ready ?? 'True' }],
  },
});
const ran = new Date(T0).toISOString();

describe('isDue', () => {
  it.each([
    ['within the interval', obj(), T0 + 30_000, { due: false, inMs: 30_000 }],
    ['at the interval', obj(), T0 + 60_000, { due: true }],
    ['a new generation', obj({ generation: 2 }), T0 + 1, { due: true }],
    [
      'a request not yet handled',
      obj({ annotations: { 'sluice.dev/requestedAt': 'x' } }),
      T0 + 1,
      { due: true },
    ],
    [
      'a request handled',
      obj({ annotations: { 'sluice.dev/requestedAt': 'x' }, handled: 'x' }),
      T0 + 1,
      { due: false, inMs: 59_999 },
    ],
    [
      "Flux's annotation",
      obj({ annotations: { 'reconcile.fluxcd.io/requestedAt': 'y' } }),
      T0 + 1,
      { due: true },
    ],
    ['a last run that failed', obj({ ready: 'False' }), T0 + 1, { due: true }],
  ] as const)('%s', (_what, o, now, want) => expect(isDue(o, ran, 60_000, now)).toEqual(want));

  it('never run: due', () => expect(isDue(obj(), undefined, 60_000, T0)).toEqual({ due: true }));

  it("prefers Sluice's request annotation over Flux's", () => {
    expect(
      requestedAt(
        obj({
          annotations: { 'sluice.dev/requestedAt': 'a', 'reconcile.fluxcd.io/requestedAt': 'b' },
        }),
      ),
    ).toBe('a');
  });
});

describe('conditions', () => {
  it('keeps lastTransitionTime while the status stays, and adds Stalled when nothing but the spec helps', () => {
    const first = conditions(
      undefined,
      { ready: 'False', reason: 'RegistryUnavailable', message: 'down' },
      3,
      't1',
    );
    expect(first).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'RegistryUnavailable',
        message: 'down',
        lastTransitionTime: 't1',
        observedGeneration: 3,
      },
    ]);
    const again = conditions(
      first,
      { ready: 'False', reason: 'AuthenticationFailed', message: 'no' },
      3,
      't2',
    );
    expect(again[0]?.lastTransitionTime).toBe('t1');
    const fixed = conditions(again, { ready: 'True', reason: 'Succeeded', message: 'ok' }, 4, 't3');
    expect(fixed[0]?.lastTransitionTime).toBe('t3');
    const stalled = conditions(
      fixed,
      { ready: 'False', reason: 'ImageURLInvalid', message: 'bad', stalled: true },
      5,
      't4',
    );
    expect(stalled.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=False', 'Stalled=True']);
  });
});
