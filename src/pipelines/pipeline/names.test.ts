import { describe, expect, it } from 'vitest';
import { childName, claimName, fitName } from './names.ts';

describe('child names', () => {
  it.each([
    [{}, 'ci-7-build'],
    [{ matrixIndex: 0 }, 'ci-7-build-0'],
    [{ attempt: 2 }, 'ci-7-build-r2'],
    [{ matrixIndex: 3, attempt: 1 }, 'ci-7-build-3-r1'],
  ])('%j → %s', (at, name) => expect(childName('ci-7', 'build', at)).toBe(name));

  it('keeps long names within 63 characters, distinct and stable', () => {
    const run = 'a-very-long-pipelinerun-name-generated-by-a-trigger-abcde';
    const a = childName(run, 'integration-tests', {});
    const b = childName(run, 'integration-tests', { attempt: 1 });
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(childName(run, 'integration-tests', {})).toBe(a);
    expect(a).toMatch(/^a-very-long-pipelinerun-name-generated-by-a-trig[a-z-]*-[0-9a-f]{10}$/);
  });

  it('leaves short names alone and names claims after the run and workspace', () => {
    expect(fitName('x'.repeat(63))).toBe('x'.repeat(63));
    expect(claimName('ci-7', 'source')).toBe('ci-7-ws-source');
  });
});
