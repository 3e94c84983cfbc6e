import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads Go-style durations and falls back on garbage', () => {
    expect(parseDuration('5s', 1)).toBe(5000);
    expect(parseDuration('3m', 1)).toBe(180_000);
    expect(parseDuration('1h30m', 1)).toBe(5_400_000);
    expect(parseDuration('250ms', 1)).toBe(250);
    expect(parseDuration('soon', 7)).toBe(7);
    expect(parseDuration(undefined, 7)).toBe(7);
  });
});
