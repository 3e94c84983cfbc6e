/** ProgressCounter: reports at most every interval, with the running count. */
import { describe, expect, it } from 'vitest';
import { ProgressCounter } from './progress.ts';

describe('ProgressCounter', () => {
  it.each([
    { name: 'a quick step reports nothing', times: [0, 10, 20, 30], want: [] },
    {
      name: 'a slow step reports every 2 s',
      times: [500, 2000, 2100, 4100, 4200],
      want: ['2/5', '4/5'],
    },
  ])('$name', ({ times, want }) => {
    let now = 0;
    const seen: string[] = [];
    const counter = new ProgressCounter(
      times.length,
      (d, t) => seen.push(`${d}/${t}`),
      () => now,
    );
    for (const t of times) {
      now = t;
      counter.tick();
    }
    expect(seen).toEqual(want);
  });

  it('wrap counts what it maps', async () => {
    let now = 0;
    const seen: number[] = [];
    const counter = new ProgressCounter(
      3,
      (d) => seen.push(d),
      () => (now += 2000),
    );
    const double = counter.wrap((x: number) => Promise.resolve(x * 2));
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(seen).toEqual([1, 2, 3]);
  });
});
