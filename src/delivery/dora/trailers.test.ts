/** The source-change trailers of commit messages: read, written, and never guessed at. */
import { describe, expect, it } from 'vitest';
import {
  commitTimeArg,
  rfc3339,
  sourceTrailerLines,
  sourceTrailers,
  type SourceChange,
} from './trailers.ts';

const SHA = 'f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
const TIME = '2026-12-01T09:40:00Z';

describe('sourceTrailers', () => {
  const cases: Array<[string, string, SourceChange]> = [
    [
      "set-image's default message",
      `set-image: envs/dev -> web:1@sha256:4b4b\n\nSource commit: ${SHA}\nSource commit time: ${TIME}\nRun: ci-x7k2p\n\nenvs/dev/kustomization.yaml: images[name=web].digest: (none) -> sha256:4b4b\n`,
      { commit: SHA, time: TIME },
    ],
    [
      'the git-trailer spelling, any case',
      `deploy web\n\nSource-Commit: ${SHA.toUpperCase()}\nsource-commit-time: 2026-12-01t10:40:00+01:00\n`,
      { commit: SHA, time: '2026-12-01T10:40:00+01:00' },
    ],
    [
      'a short SHA, fractional seconds, CRLF line ends',
      `x\r\n\r\nSource commit: 3f2a9c1\r\nSource commit time: 2026-12-01T09:40:00.123-05:30\r\n`,
      { commit: '3f2a9c1', time: '2026-12-01T09:40:00.123-05:30' },
    ],
    ['the commit alone', `x\n\nSource commit: ${SHA}\n`, { commit: SHA }],
    ['the time alone', `x\n\nSource-Commit-Time: ${TIME}`, { time: TIME }],
    ['no trailers', 'promote web to prod\n\nSluice-Image: web@sha256:1\n', {}],
    ['an empty message', '', {}],
    [
      'values that are no SHA or no time are ignored',
      'x\n\nSource commit: (none)\nSource commit: abc\nSource commit time: yesterday\nSource commit time: 2026-12-01T09:40:00\nSource commit time: 2026-13-45T09:40:00Z\n',
      {},
    ],
    [
      'the first valid line of each kind counts',
      `x\n\nSource commit: nope\nSource commit: ${SHA}\nSource commit: 1234567\nSource commit time: ${TIME}\nSource commit time: 2020-01-01T00:00:00Z\n`,
      { commit: SHA, time: TIME },
    ],
    [
      'lookalike keys are other lines',
      `x\n\nUpstream source commit: ${SHA}\nSource commit timestamp: ${TIME}\nSource commits: ${SHA}\n`,
      {},
    ],
    [
      'indented trailers and spaces around the value',
      `x\n\n  Source commit:   ${SHA}  \n\tSource commit time :  ${TIME}\n`,
      { commit: SHA, time: TIME },
    ],
  ];
  it.each(cases)('%s', (_name, message, want) => {
    expect(sourceTrailers(message)).toEqual(want);
  });
});

describe('sourceTrailerLines', () => {
  it.each<[SourceChange, string]>([
    [{ commit: SHA, time: TIME }, `Source commit: ${SHA}\nSource commit time: ${TIME}\n`],
    [{ commit: SHA }, `Source commit: ${SHA}\n`],
    [{ time: TIME }, `Source commit time: ${TIME}\n`],
    [{}, ''],
  ])('%j', (c, want) => {
    expect(sourceTrailerLines(c)).toBe(want);
    expect(sourceTrailers(`subject\n\n${want}`)).toEqual(c);
  });
});

describe('rfc3339 and commitTimeArg', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['2026-12-01T09:40:00Z', '2026-12-01T09:40:00Z', '2026-12-01T09:40:00Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T12:00:00+02:00', '2024-05-01T12:00:00+02:00'],
    // git's %ct, the git-clone Task's committer-date result
    ['1714557600', undefined, '2024-05-01T10:00:00Z'],
    [' 1714557600\n', undefined, '2024-05-01T10:00:00Z'],
    ['2026-12-01 09:40:00Z', undefined, undefined],
    ['2026-12-01T09:40:00', undefined, undefined],
    ['2026-02-30T09:40:00Z', undefined, undefined],
    ['', undefined, undefined],
    ['-5', undefined, undefined],
  ])('%j', (text, want, wantArg) => {
    expect(rfc3339(text)).toBe(want);
    expect(commitTimeArg(text)).toBe(wantArg);
  });
});
