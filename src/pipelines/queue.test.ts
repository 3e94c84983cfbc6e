import { describe, expect, it } from 'vitest';
import { admit, type QueuedRun } from './queue.ts';

const run = (name: string, created: number, state: Partial<QueuedRun> = {}): QueuedRun => ({
  namespace: 'ci',
  name,
  created: new Date(created * 1000).toISOString(),
  running: false,
  done: false,
  pending: false,
  ...state,
});

describe('concurrency limit', () => {
  const all = [
    run('a', 1, { running: true }),
    run('b', 2, { running: true }),
    run('c', 3),
    run('d', 4),
    run('old', 0, { done: true }),
    run('p', 0, { pending: true }),
    { ...run('other-ns', 0), namespace: 'prod' },
  ];

  it.each([
    ['a', 2, { start: true }],
    ['c', 2, { start: false, position: 1 }],
    ['d', 2, { start: false, position: 2 }],
    ['c', 3, { start: true }],
    ['d', 3, { start: false, position: 1 }],
    ['d', 0, { start: true }],
    ['p', 5, { start: false }],
    ['other-ns', 1, { start: true }],
  ] as const)('%s with limit %i: %j', (name, limit, want) => {
    const r = all.find((x) => x.name === name)!;
    expect(admit(r, all, limit)).toEqual(want);
  });

  it('first come, first served; the name breaks a tie', () => {
    const tied = [run('z', 5), run('y', 5)];
    expect(admit(tied[1]!, tied, 1)).toEqual({ start: true });
    expect(admit(tied[0]!, tied, 1)).toEqual({ start: false, position: 1 });
  });
});
