import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../api/analysis.ts';
import type { CanaryStep, Rollout } from '../api/rollout.ts';
import { measurements, rolloutLine, shareLine, shortValue, stepName } from './canary-view.ts';

const steps: CanaryStep[] = [
  { setWeight: 20 },
  { pause: { duration: '10s' } },
  { analysis: { templates: [{ templateName: 'success-rate' }] } },
  { setWeight: 50 },
  { pause: {} },
];

const rollout = (status: Rollout['status']): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'canary' },
  spec: { strategy: { canary: { steps } } },
  ...(status ? { status } : {}),
});

const weights = (canary: number) => ({
  weights: { canary: { weight: canary }, stable: { weight: 100 - canary } },
});

const run: AnalysisRun = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AnalysisRun',
  metadata: { name: 'web-abc-2', namespace: 'canary' },
  spec: { metrics: [] },
  status: {
    phase: 'Failed',
    metricResults: [
      {
        name: 'success-rate',
        phase: 'Failed',
        measurements: [
          { phase: 'Error', message: 'no data' },
          { phase: 'Failed', value: '[0.48000000000000004]' },
        ],
      },
    ],
  },
};

describe('the canary walk-through’s lines', () => {
  it.each([
    [{ setWeight: 20 }, 'setWeight 20'],
    [{ pause: { duration: '10s' } }, 'pause 10s'],
    [{ pause: { duration: 15 } }, 'pause 15s'],
    [{ pause: {} }, 'pause (until promoted)'],
    [{ analysis: { templates: [{ templateName: 'a' }, { templateName: 'b' }] } }, 'analysis a, b'],
    [{ setCanaryScale: { replicas: 1 } }, 'setCanaryScale'],
    [undefined, 'done'],
  ])('names step %j "%s"', (step: CanaryStep | undefined, name) => {
    expect(stepName(step)).toBe(name);
  });

  it.each([
    ['[0.48000000000000004]', '0.48'],
    ['[1]', '1'],
    ['0.9996', '1'],
    ['[0.5, 0.7]', '[0.5,0.7]'],
    ['"NaN"', '"NaN"'],
    ['not json', 'not json'],
    [undefined, undefined],
  ])('shows the value %s as %s', (value, shown) => {
    expect(shortValue(value)).toBe(shown);
  });

  it('lists each metric’s measurements, the phase where there is no value', () => {
    expect(measurements(run)).toBe('success-rate Error, 0.48');
  });

  it('says where the rollout stands: phase, step, weight and analysis', () => {
    const canary = { stableRS: 'aaa', currentPodHash: 'bbb' };
    expect(
      rolloutLine(
        rollout({ phase: 'Healthy', stableRS: 'aaa', currentPodHash: 'aaa', canary: weights(0) }),
        undefined,
      ),
    ).toBe('Healthy');
    expect(
      rolloutLine(
        rollout({ phase: 'Paused', ...canary, currentStepIndex: 1, canary: weights(20) }),
        undefined,
      ),
    ).toBe('Paused · step 2/5 pause 10s · canary 20 %');
    expect(
      rolloutLine(
        rollout({
          phase: 'Degraded',
          ...canary,
          currentStepIndex: 2,
          abort: true,
          canary: weights(0),
        }),
        run,
      ),
    ).toBe(
      'Degraded · step 3/5 analysis success-rate · canary 0 % · analysis web-abc-2 Failed: success-rate Error, 0.48',
    );
    expect(rolloutLine(rollout(undefined), undefined)).toBe('Pending');
  });

  it('says who answered, most first', () => {
    expect(shareLine({ total: 40, byVersion: new Map([['v1', 40]]) })).toBe('v1 40 of 40 (100 %)');
    expect(
      shareLine({
        total: 40,
        byVersion: new Map([
          ['?', 2],
          ['v1', 30],
          ['v2', 8],
        ]),
      }),
    ).toBe('v1 30 of 40 (75 %), v2 8 of 40 (20 %), no answer 2 of 40 (5 %)');
  });
});
