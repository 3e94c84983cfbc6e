/** Argo Rollouts' result mapping, as a table: conditions, values, phases and messages. */
import { describe, expect, it } from 'vitest';
import type { AnalysisPhase, Metric } from '../api/analysis.ts';
import { judge } from './judge.ts';

describe("judge: Argo's result mapping", () => {
  const S = 'result[0] >= 0.99';
  const F = 'result[0] < 0.9';
  it.each([
    ['no conditions', {}, [0.5], 'Successful', undefined],
    ['success only, true', { successCondition: S }, [0.995], 'Successful', undefined],
    [
      'success only, false',
      { successCondition: S },
      [0.91],
      'Failed',
      'result [0.91] does not satisfy result[0] >= 0.99',
    ],
    [
      'a message rounds the value (the measurement keeps it exact)',
      { successCondition: S },
      [0.44999999999999996],
      'Failed',
      'result [0.45] does not satisfy result[0] >= 0.99',
    ],
    ['failure only, false', { failureCondition: F }, [0.95], 'Successful', undefined],
    [
      'failure only, true',
      { failureCondition: F },
      [0.5],
      'Failed',
      'result [0.5] meets failureCondition result[0] < 0.9',
    ],
    [
      'both, success true',
      { successCondition: S, failureCondition: F },
      [1],
      'Successful',
      undefined,
    ],
    [
      'both, failure true',
      { successCondition: S, failureCondition: F },
      [0.5],
      'Failed',
      'result [0.5] meets failureCondition result[0] < 0.9',
    ],
    [
      'both, neither',
      { successCondition: S, failureCondition: F },
      [0.95],
      'Inconclusive',
      'result [0.95] meets neither successCondition result[0] >= 0.99 nor failureCondition result[0] < 0.9',
    ],
    [
      'both true: failure wins',
      { successCondition: 'result > 0', failureCondition: 'result > 0' },
      1,
      'Failed',
      'result 1 meets failureCondition result > 0',
    ],
    [
      'empty result',
      { successCondition: S },
      [],
      'Error',
      'cannot evaluate result[0] >= 0.99 on result []: index 0 is out of range (length 0) at 7',
    ],
    [
      'failure condition cannot evaluate',
      { successCondition: 'true', failureCondition: 'result.x > 1' },
      5,
      'Error',
      "cannot evaluate result.x > 1 on result 5: cannot read field 'x' of number at 7",
    ],
    [
      'not a boolean',
      { successCondition: 'result' },
      0.5,
      'Error',
      'condition must be true or false, got number',
    ],
    [
      'NaN is not >= 0.99',
      { successCondition: 'result[0] >= 0.99' },
      [NaN],
      'Failed',
      'result [NaN] does not satisfy result[0] >= 0.99',
    ],
    [
      'a multi-line condition reads as one line',
      { successCondition: 'len(result) > 0\n  && result[0] > 1\n' },
      [0],
      'Failed',
      'result [0] does not satisfy len(result) > 0 && result[0] > 1',
    ],
  ] as Array<
    [
      string,
      Pick<Metric, 'successCondition' | 'failureCondition'>,
      never,
      AnalysisPhase,
      string | undefined,
    ]
  >)('%s', (_name, conditions, value, phase, message) => {
    const j = judge(value, conditions);
    expect(j.phase).toBe(phase);
    if (message === undefined) expect(j.message).toBeUndefined();
    else expect(j.message).toContain(message);
  });
});
