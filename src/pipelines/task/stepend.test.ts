/** A step's end and the task's course: Tekton's onError and step timeout semantics. */
import { describe, expect, it } from 'vitest';
import { stepVerdict, type StepEnd, type StepVerdict } from './stepend.ts';

const strict = { name: 'build', onError: 'stopAndFail' as const, timeoutMs: 5000 };
const lenient = { ...strict, onError: 'continue' as const };

describe('stepVerdict', () => {
  it.each<[string, typeof strict | typeof lenient, StepEnd, StepVerdict]>([
    [
      'success',
      strict,
      { exitCode: 0, timedOut: false },
      { goOn: true, terminationReason: 'Completed' },
    ],
    [
      'a failure stops the task',
      strict,
      { exitCode: 2, timedOut: false },
      { goOn: false, terminationReason: 'Error', failure: 'step "build" exited with code 2' },
    ],
    [
      'onError: continue goes on',
      lenient,
      { exitCode: 2, timedOut: false },
      { goOn: true, terminationReason: 'Continued' },
    ],
    [
      'past its timeout',
      strict,
      { exitCode: 143, timedOut: true },
      {
        goOn: false,
        terminationReason: 'TimeoutExceeded',
        failure: 'step "build" ran past its timeout (5s) and was stopped',
      },
    ],
    [
      'past its timeout, onError: continue',
      lenient,
      { exitCode: 143, timedOut: true },
      { goOn: true, terminationReason: 'TimeoutExceeded' },
    ],
  ])('%s', (_what, step, end, want) => {
    expect(stepVerdict(step, end)).toEqual(want);
  });
});
