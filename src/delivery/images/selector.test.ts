import { describe, expect, it } from 'vitest';
import { matchesSelector } from './selector.ts';

const labels = { app: 'web', tier: 'front' };

describe('matchesSelector', () => {
  it.each([
    [undefined, true],
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'api' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      true,
    ],
  ])('%j -> %s', (selector, want) => expect(matchesSelector(selector, labels)).toBe(want));

  it('refuses a malformed selector, whatever the labels', () => {
    expect(() =>
      matchesSelector({ matchExpressions: [{ key: 'a', operator: 'Like' }] }, {}),
    ).toThrow(/operator "Like"/);
    expect(() => matchesSelector({ matchExpressions: [{ operator: 'Exists' }] }, {})).toThrow(
      /needs a key/,
    );
  });
});
