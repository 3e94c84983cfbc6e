import { describe, expect, it } from 'vitest';
import { resolveIntOrPercent, weightedCounts } from './ratio.ts';

describe('canary weight by pod count (no traffic router)', () => {
  it.each([
    // replicas, weight, surge -> canary, stable
    [10, 41, 3, 4, 6], // Argo's own example: 40 % is closer than 45 % or 50 %
    [10, 10, 3, 1, 9],
    [10, 50, 3, 5, 5],
    [10, 5, 3, 1, 10], // one extra pod (surge) gives 9 %, closer than 10 %
    [10, 5, 0, 1, 9], // no surge: one of ten
    [4, 20, 1, 1, 4],
    [4, 20, 0, 1, 3],
    [1, 20, 1, 1, 1],
    [3, 0, 1, 0, 3],
    [3, 100, 1, 3, 0],
    [0, 50, 1, 0, 0],
  ])('%i replicas at %i%% (surge %i): %i canary, %i stable', (n, w, surge, canary, stable) => {
    expect(weightedCounts(n, w, surge)).toEqual({ canary, stable });
  });

  it.each([
    [undefined, 10, '25%', true, 3],
    [undefined, 10, '25%', false, 2],
    ['50%', 3, '25%', true, 2],
    [2, 10, '25%', true, 2],
    ['1', 10, '25%', true, 1],
  ])('resolveIntOrPercent(%s of %i, default %s, up %s) = %i', (v, total, fallback, up, want) => {
    expect(resolveIntOrPercent(v, total, fallback, up)).toBe(want);
  });
});
