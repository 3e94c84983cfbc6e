/** Condition operators and any/all blocks: a table of (key, operator, value, holds). */
import { describe, expect, it } from 'vitest';
import { compileConditions, evaluateConditions } from './conditions.ts';

const cases: Array<[unknown, string, unknown, boolean]> = [
  ['a', 'Equals', 'a', true],
  ['prod-eu', 'Equals', 'prod-*', true],
  ['a', 'NotEquals', 'a', false],
  [{ x: [1] }, 'Equals', { x: [1] }, true],
  ['1Gi', 'Equals', '1024Mi', true],
  ['1h', 'Equals', '60m', true],
  ['a', 'Equal', 'a', true],
  ['a', 'In', ['a', 'b'], true],
  [['a', 'b'], 'In', ['a', 'b', 'c'], true],
  [['a', 'x'], 'AnyIn', ['a', 'b'], true],
  [['a', 'x'], 'AllIn', ['a', 'b'], false],
  [['x', 'y'], 'AnyIn', ['a', 'b'], false],
  ['x', 'NotIn', ['a', 'b'], true],
  [['a', 'x'], 'AnyNotIn', ['a', 'b'], true],
  [['a', 'b'], 'AnyNotIn', ['a', 'b'], false],
  [['x', 'y'], 'AllNotIn', ['a', 'b'], true],
  [['a', 'y'], 'AllNotIn', ['a', 'b'], false],
  [['prod-1'], 'AnyIn', ['prod-*'], true],
  [[true, false], 'AnyIn', [true], true],
  [3, 'GreaterThan', 2, true],
  ['3', 'GreaterThan', 2, true],
  ['2Gi', 'GreaterThan', '1Gi', true],
  ['500m', 'LessThan', 1, true],
  ['90s', 'GreaterThanOrEquals', '1m30s', true],
  ['1.25.0', 'LessThanOrEquals', '1.24.9', false],
  ['abc', 'GreaterThan', 1, false],
  ['2h', 'DurationGreaterThan', '1h', true],
  [[5555], 'AnyNotIn', '5000-6000', false],
  [[5555, 80], 'AnyNotIn', ['5000-6000'], true],
  ['1536Mi', 'AnyIn', ['1Gi-2Gi'], true],
];

describe('condition operators', () => {
  it.each(cases)('%j %s %j → %s', (key, operator, value, expected) => {
    const groups = compileConditions({ all: [{ key, operator, value }] }, 'c');
    expect(evaluateConditions(groups, {}).ok).toBe(expected);
  });

  it('operators are case-insensitive (older policies write equals)', () => {
    const groups = compileConditions([{ key: 'a', operator: 'equals', value: 'a' }], 'c');
    expect(evaluateConditions(groups, {}).ok).toBe(true);
  });
});

describe('condition blocks', () => {
  const ctx = { request: { operation: 'UPDATE', object: { metadata: { name: 'web' } } } };
  it('all must hold, and one of any', () => {
    const g = compileConditions(
      {
        all: [{ key: '{{ request.operation }}', operator: 'Equals', value: 'UPDATE' }],
        any: [
          { key: '{{ request.object.metadata.name }}', operator: 'Equals', value: 'db' },
          { key: '{{ request.object.metadata.name }}', operator: 'Equals', value: 'w*' },
        ],
      },
      'c',
    );
    expect(evaluateConditions(g, ctx).ok).toBe(true);
  });
  it('an empty block holds', () => {
    expect(evaluateConditions(compileConditions(undefined, 'c'), ctx).ok).toBe(true);
  });
  it.each([
    [{ any: [{ key: 'a', operator: 'Matches', value: 'b' }] }, /unknown operator 'Matches'/],
    [{ some: [] }, /only 'any' and 'all'/],
    [[{ operator: 'Equals' }], /needs `key` and `operator`/],
    [[{ key: '{{ a[ }}', operator: 'Equals', value: 1 }], /JMESPath/],
  ])('rejects %j', (raw, message) => {
    expect(() => compileConditions(raw as never, 'c')).toThrow(message);
  });
});
