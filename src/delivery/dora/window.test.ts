/** `--since`: durations back from now and past dates; anything else is a usage error. */
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../errors.ts';
import { parseLookback, windowFrom } from './window.ts';

const NOW = Date.parse('2026-12-31T00:00:00Z');

describe('windowFrom', () => {
  it.each([
    { since: undefined, want: '2026-12-01T00:00:00.000Z' },
    { since: '30d', want: '2026-12-01T00:00:00.000Z' },
    { since: '2w', want: '2026-12-17T00:00:00.000Z' },
    { since: '12h', want: '2026-12-30T12:00:00.000Z' },
    { since: '1d12h', want: '2026-12-29T12:00:00.000Z' },
    { since: '90m', want: '2026-12-30T22:30:00.000Z' },
    { since: '2026-11-01', want: '2026-11-01T00:00:00.000Z' },
    { since: '2026-12-30T06:00:00Z', want: '2026-12-30T06:00:00.000Z' },
  ])('--since $since starts at $want', ({ since, want }) => {
    expect(windowFrom(since, NOW)).toEqual({ since: want, until: '2026-12-31T00:00:00.000Z' });
  });

  it.each(['30', 'd30', '30 days', 'yesterday', '2027-01-01', '0d', ''])(
    '--since %j is a usage error naming what is accepted',
    (since) => {
      const err: unknown = (() => {
        try {
          return windowFrom(since, NOW);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(SluiceError);
      expect((err as SluiceError).code).toBe('InvalidSince');
      expect((err as SluiceError).exitCode).toBe(2);
      expect((err as SluiceError).hint).toMatch(/30d/);
    },
  );
});

describe('parseLookback', () => {
  it.each([
    ['1w', 7 * 86_400_000],
    ['1h30m', 5_400_000],
    ['10s', 10_000],
    ['1y', undefined],
  ])('%s → %s', (text, want) => {
    expect(parseLookback(text)).toBe(want);
  });
});
