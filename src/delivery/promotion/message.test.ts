/** The promotion commit message: the source change it carries on, exactly as found, or none. */
import { describe, expect, it } from 'vitest';
import { sourceTrailers, type SourceChange } from '../dora/trailers.ts';
import { promotionMessage } from './message.ts';

const REPO = 'localhost:5000/team/web';
const D = `sha256:${'1'.repeat(64)}`;
const SRC = 'f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
const head =
  `promote ${REPO} sha256:111111111111 to prod\n\n` +
  `Promotion apps/web: staging runs ${REPO}:1@${D}; its gates passed.\n`;
const tail = `Sluice-Promotion: apps/web\nSluice-Environment: prod\nSluice-Image: ${REPO}:1@${D}\n`;

describe('promotionMessage', () => {
  it.each<[string, SourceChange, string]>([
    [
      'the source commit and its time',
      { commit: SRC, time: '2026-12-01T09:40:00Z' },
      `Source commit: ${SRC}\nSource commit time: 2026-12-01T09:40:00Z\n`,
    ],
    [
      'the time alone',
      { time: '2026-12-01T10:40:00+01:00' },
      'Source commit time: 2026-12-01T10:40:00+01:00\n',
    ],
    ['none found: none written', {}, ''],
  ])('%s', (_name, source, lines) => {
    const message = promotionMessage({
      promotion: 'apps/web',
      repository: REPO,
      image: `${REPO}:1@${D}`,
      version: D,
      from: 'staging',
      to: 'prod',
      source,
    });
    expect(message).toBe(head + lines + tail);
    expect(sourceTrailers(message)).toEqual(source);
  });
});
