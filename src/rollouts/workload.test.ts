import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/rollout.ts';
import type { Deployment } from './references.ts';
import { deploymentReplicas, resolveWorkload } from './workload.ts';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'x' }] },
};
const dep: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns' },
  spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template },
};

function rollout(spec: Partial<Rollout['spec']>): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { replicas: 4, strategy: { canary: {} }, ...spec },
  };
}

const ref = (scaleDown?: 'never' | 'onsuccess' | 'progressively') => ({
  workloadRef: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'web',
    ...(scaleDown ? { scaleDown } : {}),
  },
});

describe('workloadRef', () => {
  it('takes the template and selector from the Deployment', () => {
    const r = resolveWorkload(rollout(ref()), () => dep);
    expect('rollout' in r && r.rollout.spec.template).toEqual(template);
    expect('rollout' in r && r.rollout.spec.selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it.each([
    [
      { ...ref(), template },
      () => dep,
      { invalid: 'spec has both template and workloadRef: choose one' },
    ],
    [
      { workloadRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' } },
      () => dep,
      {
        invalid: 'workloadRef apps/v1/StatefulSet is not supported: refer to an apps/v1 Deployment',
      },
    ],
    [
      ref(),
      () => undefined,
      { missing: 'Deployment "web" named in spec.workloadRef does not exist in namespace ns' },
    ],
  ])('refuses %j', (spec, lookup, want) => {
    expect(resolveWorkload(rollout(spec), lookup)).toEqual(want);
  });

  it.each([
    [undefined, 2, false, undefined],
    ['never', 4, true, undefined],
    ['onsuccess', 4, false, undefined],
    ['onsuccess', 4, true, 0],
    ['progressively', 1, false, 3],
    ['progressively', 4, false, 0],
  ] as const)(
    'scaleDown %s with %i available (healthy %s): Deployment to %s',
    (mode, available, healthy, want) => {
      expect(deploymentReplicas(rollout(ref(mode)), dep, available, healthy)).toBe(want);
    },
  );
});
