import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './duration.ts';

describe('Go durations', () => {
  it.each([
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['0', 0],
    ['0s', 0],
    ['10x', undefined],
    ['1h 30m', undefined],
    ['', undefined],
    ['-1h', undefined],
  ])('parses %j as %j ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each([
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [90_000, '1m30s'],
    [45_000, '45s'],
    [1_500, '1.5s'],
    [250, '250ms'],
    [0, '0s'],
  ])('prints %d ms as Go does: %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});
