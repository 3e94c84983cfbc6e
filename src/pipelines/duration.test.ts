import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './duration.ts';

describe('Go durations', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['0s', 0],
    ['1h', 3_600_000],
    ['1h0m0s', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['300ms', 300],
    ['2m3.5s', 123_500],
    ['', undefined],
    ['5', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['1h junk', undefined],
  ])('%s → %s', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each<[number, string]>([
    [3_600_000, '1h0m0s'],
    [90_000, '1m30s'],
    [1500, '1.5s'],
    [250, '250ms'],
    [0, '0s'],
  ])('%s ms prints as %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});
