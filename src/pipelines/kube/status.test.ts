import { describe, expect, it } from 'vitest';
import type { ResolvedStep } from '../task/resolve.ts';
import type { ContainerState, Pod, PodStatus } from './pods.ts';
import { endSteps, podOutcome, type PodOutcome, stepStates } from './status.ts';

const step = (name: string): ResolvedStep => ({
  name,
  container: `step-${name}`,
  image: `img-${name}`,
  env: [],
  envFrom: [],
  volumeMounts: [],
  onError: 'stopAndFail',
});
const steps = [step('clone'), step('build'), step('push')];

const done = (exitCode: number, reason = exitCode ? 'Error' : 'Completed'): ContainerState => ({
  terminated: { exitCode, reason, startedAt: 't0', finishedAt: 't1' },
});
const waiting = (reason: string, message?: string): ContainerState => ({
  waiting: { reason, ...(message ? { message } : {}) },
});
const running: ContainerState = { running: { startedAt: 't0' } };

/** A pod whose init containers (clone, build, push) and results container are in these states. */
function pod(
  phase: PodStatus['phase'],
  init: ContainerState[],
  results: ContainerState = waiting('PodInitializing'),
  extra: Partial<PodStatus> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'r-pod', namespace: 'ci' },
    spec: {
      restartPolicy: 'Never',
      initContainers: steps.map((s) => ({ name: s.container, image: s.image })),
      containers: [{ name: 'sluice-results', image: 'helper' }],
      volumes: [],
    },
    status: {
      ...(phase ? { phase } : {}),
      initContainerStatuses: init.map((state, i) => ({ name: steps[i]!.container, state })),
      containerStatuses: [{ name: 'sluice-results', state: results }],
      ...extra,
    },
  };
}

describe('podOutcome', () => {
  it.each<[string, Pod, PodOutcome]>([
    [
      'scheduled nowhere yet',
      pod('Pending', [], undefined, {
        conditions: [{ type: 'PodScheduled', status: 'False', message: '0/4 nodes are available' }],
      }),
      { phase: 'pending', message: 'pod r-pod cannot be scheduled yet: 0/4 nodes are available' },
    ],
    [
      'the first step starting',
      pod('Pending', [waiting('PodInitializing')]),
      { phase: 'pending', message: 'pod r-pod is Pending' },
    ],
    [
      'the first step running',
      pod('Pending', [running, waiting('PodInitializing')]),
      { phase: 'running' },
    ],
    [
      'a step failed',
      pod('Failed', [done(0), done(2), waiting('PodInitializing')]),
      {
        phase: 'failed',
        reason: 'Failed',
        message: 'step "build" exited with code 2',
        step: 'build',
      },
    ],
    [
      'a step failed, pod not yet Failed',
      pod('Pending', [done(0), done(2)]),
      {
        phase: 'failed',
        reason: 'Failed',
        message: 'step "build" exited with code 2',
        step: 'build',
      },
    ],
    [
      'a step OOMKilled',
      pod('Failed', [done(137, 'OOMKilled')]),
      {
        phase: 'failed',
        reason: 'Failed',
        message: 'step "clone" exited with code 137 (OOMKilled)',
        step: 'clone',
      },
    ],
    [
      'an image that does not exist',
      pod('Pending', [done(0), waiting('ErrImagePull', 'not found')]),
      {
        phase: 'failed',
        reason: 'TaskRunImagePullFailed',
        message: 'step "build": the image "img-build" cannot be pulled (ErrImagePull): not found',
        step: 'build',
      },
    ],
    [
      'an image in back-off',
      pod('Pending', [waiting('ImagePullBackOff')]),
      {
        phase: 'failed',
        reason: 'TaskRunImagePullFailed',
        message: 'step "clone": the image "img-clone" cannot be pulled (ImagePullBackOff)',
        step: 'clone',
      },
    ],
    [
      'a missing Secret for env',
      pod('Pending', [waiting('CreateContainerConfigError', 'secret "x" not found')]),
      {
        phase: 'failed',
        reason: 'CreateContainerConfigError',
        message: 'step "clone" could not start (CreateContainerConfigError): secret "x" not found',
        step: 'clone',
      },
    ],
    [
      'the results container failed',
      pod('Failed', [done(0), done(0), done(0)], done(127)),
      {
        phase: 'failed',
        reason: 'Failed',
        message: 'the results container exited with code 127',
        step: 'sluice-results',
      },
    ],
    [
      'past kubelet’s deadline',
      pod('Failed', [done(137)], undefined, { reason: 'DeadlineExceeded' }),
      { phase: 'failed', reason: 'TaskRunTimeout', message: 'pod r-pod ran past its deadline' },
    ],
    [
      'evicted',
      pod('Failed', [running], undefined, { reason: 'Evicted', message: 'low on disk' }),
      { phase: 'failed', reason: 'PodEvicted', message: 'pod r-pod failed: Evicted: low on disk' },
    ],
    [
      'every step and the results done',
      pod('Succeeded', [done(0), done(0), done(0)], done(0)),
      { phase: 'succeeded' },
    ],
  ])('%s', (_, p, want) => expect(podOutcome(p, steps)).toEqual(want));
});

describe('step states', () => {
  it('shows each step as the pod does, and ends the ones that never ran', () => {
    const p = pod('Failed', [done(0), done(2), waiting('PodInitializing')]);
    const states = stepStates(p, steps);
    expect(
      states.map((s) => [s.name, s.container, s.terminated?.exitCode, s.waiting?.reason]),
    ).toEqual([
      ['clone', 'step-clone', 0, undefined],
      ['build', 'step-build', 2, undefined],
      ['push', 'step-push', undefined, 'PodInitializing'],
    ]);
    const ended = endSteps(states, 'Skipped', 't9');
    expect(ended[2]).toEqual({
      name: 'push',
      container: 'step-push',
      terminated: { exitCode: 1, reason: 'Skipped', finishedAt: 't9' },
      terminationReason: 'Skipped',
    });
    expect(ended[1]).toBe(states[1]);
  });

  it('keeps when a running step started, when it is cut short', () => {
    const [s] = endSteps(stepStates(pod('Running', [running]), steps), 'TaskRunCancelled', 't9');
    expect(s?.terminated).toEqual({
      exitCode: 1,
      reason: 'TaskRunCancelled',
      startedAt: 't0',
      finishedAt: 't9',
    });
  });
});
