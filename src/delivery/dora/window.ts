/**
 * The window DORA metrics look at: `--since 30d` (also `2w`, `12h`, `90m`, `1d12h`) back from
 * now, or from a date (`2026-11-01`, or a full RFC 3339 time), up to now. A since that is not one
 * of these is a DoraError (exit 2) that says what is accepted.
 */
import { SluiceError } from '../../errors.ts';
import type { DoraWindow } from './metrics.ts';

export const DEFAULT_SINCE = '30d';

const UNIT_MS: Record<string, number> = {
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
};

/** `30d`, `2w`, `1d12h` in milliseconds; undefined when it is not such a duration. */
export function parseLookback(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)([wdhms])/g;
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched += m[0];
  }
  return matched === text && total > 0 ? total : undefined;
}

/**
 * The window from `since` to `now`.
 *
 * @example
 * windowFrom('30d', Date.parse('2026-12-31T00:00:00Z')).since; // '2026-12-01T00:00:00.000Z'
 */
export function windowFrom(since: string | undefined, now: number): DoraWindow {
  const text = (since ?? DEFAULT_SINCE).trim();
  const back = parseLookback(text);
  const from =
    back !== undefined ? now - back : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(from) || from >= now)
    throw new SluiceError('InvalidSince', `--since "${text}" is not a duration or a past date`, {
      hint: 'use a duration back from now (30d, 2w, 12h, 1d12h) or a date (2026-11-01)',
      exitCode: 2,
    });
  return { since: new Date(from).toISOString(), until: new Date(now).toISOString() };
}
