import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';
import { assessHealth } from './index.ts';

/** A Rollout at generation 3 with `status` as the Rollout controller writes it. */
function rollout(status: Record<string, unknown> | undefined, extra: object = {}): KubeObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', generation: 3 },
    spec: { replicas: 4, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
    ...(status ? { status } : {}),
    ...extra,
  };
}

const valid = { type: 'InvalidSpec', status: 'False', reason: 'Valid', message: '' };

describe('Rollout health (what an Application shows while it rolls out)', () => {
  it.each<[string, KubeObject, HealthStatus, string | undefined]>([
    [
      'Healthy: the new version is stable',
      rollout({ observedGeneration: '3', phase: 'Healthy', message: '', conditions: [valid] }),
      'Healthy',
      undefined,
    ],
    [
      'Progressing: stepping through the weights',
      rollout({
        observedGeneration: '3',
        phase: 'Progressing',
        message: 'setWeight 20: 0 of 1 canary pods available',
      }),
      'Progressing',
      'setWeight 20: 0 of 1 canary pods available',
    ],
    [
      'Progressing: a new spec the controller has not seen yet (a commit just synced)',
      rollout({ observedGeneration: '2', phase: 'Healthy' }),
      'Progressing',
      'waiting for the rollout controller to observe the new spec',
    ],
    [
      'Progressing: no status yet',
      rollout(undefined),
      'Progressing',
      'waiting for the rollout controller',
    ],
    [
      'Suspended: paused at `pause: {}` until promoted',
      rollout({
        observedGeneration: '3',
        phase: 'Paused',
        message: 'CanaryPauseStep: paused until promoted',
      }),
      'Suspended',
      'CanaryPauseStep: paused until promoted',
    ],
    [
      'Suspended: paused by `sluice rollout pause` (spec.paused)',
      rollout({ observedGeneration: '3', phase: 'Paused', message: '' }, {}),
      'Suspended',
      'the rollout is paused',
    ],
    [
      'Degraded: aborted (by an analysis or `sluice rollout abort`)',
      rollout({
        observedGeneration: '3',
        phase: 'Degraded',
        abort: true,
        message: 'RolloutAborted: update to revision 2 aborted (analysis run web-6f7c-1 Failed)',
      }),
      'Degraded',
      'RolloutAborted: update to revision 2 aborted (analysis run web-6f7c-1 Failed)',
    ],
    [
      'Degraded: aborted, the stable pods still coming back',
      rollout({
        observedGeneration: '3',
        phase: 'Degraded',
        abort: true,
        message:
          'RolloutAborted: update to revision 2 aborted; waiting for the stable pods (2 of 4 available)',
      }),
      'Degraded',
      'RolloutAborted: update to revision 2 aborted; waiting for the stable pods (2 of 4 available)',
    ],
    [
      'Degraded: a spec the controller refuses, even with the status of an older generation',
      rollout({
        observedGeneration: '2',
        phase: 'Degraded',
        message: 'spec.template is missing: a Rollout needs a pod template',
        conditions: [
          {
            type: 'InvalidSpec',
            status: 'True',
            reason: 'InvalidSpec',
            message: 'spec.template is missing: a Rollout needs a pod template',
          },
        ],
      }),
      'Degraded',
      'InvalidSpec: spec.template is missing: a Rollout needs a pod template',
    ],
    [
      'Degraded: a Service named in the strategy does not exist',
      rollout({
        observedGeneration: '3',
        phase: 'Degraded',
        conditions: [
          {
            type: 'InvalidSpec',
            status: 'True',
            reason: 'ReferenceNotFound',
            message:
              'Service "web-canary" named in spec.strategy.canary.canaryService does not exist in namespace shop',
          },
        ],
      }),
      'Degraded',
      'ReferenceNotFound: Service "web-canary" named in spec.strategy.canary.canaryService does not exist in namespace shop',
    ],
    [
      'an Argo Rollout (numeric observedGeneration) reads the same',
      {
        ...rollout({ observedGeneration: 3, phase: 'Paused' }),
        apiVersion: 'argoproj.io/v1alpha1',
      },
      'Suspended',
      'the rollout is paused',
    ],
  ])('%s', (_name, obj, status, message) => {
    const h = assessHealth(obj);
    expect(h.status).toBe(status);
    expect(h.message).toBe(message);
  });
});
