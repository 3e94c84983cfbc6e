/**
 * The changes a deployment brings: a deploy commit naming its source commit's time counts from
 * then (under the source commit's name), any other from its own committer time, each change once.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentCommit } from '../../pipelines/store/index.ts';
import type { CommitTime } from '../../source/index.ts';
import { changeOf, changesOf } from './changes.ts';

const SRC = 'f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
const SRC2 = '0123456789abcdef0123456789abcdef01234567';
const deploy = (n: number): string => String(n).repeat(40);
const commit = (n: number, committedAt: string, message = `commit ${n}\n`): CommitTime => ({
  sha: deploy(n),
  committedAt,
  message,
});
const setImage = (source: string | undefined, time: string | undefined): string =>
  `set-image: envs/dev -> web:1@sha256:4b4b\n\n` +
  (source ? `Source commit: ${source}\n` : '') +
  (time ? `Source commit time: ${time}\n` : '') +
  'Run: ci-x7k2p\n';

describe('changeOf', () => {
  const cases: Array<[string, CommitTime, DeploymentCommit]> = [
    [
      'a set-image commit with the source time: the source commit, from its time',
      commit(1, '2026-12-01T10:00:05Z', setImage(SRC, '2026-12-01T09:40:00Z')),
      { sha: SRC, committedAt: '2026-12-01T09:40:00Z' },
    ],
    [
      'a promotion commit (git-trailer spelling, other trailers around)',
      commit(
        2,
        '2026-12-01T11:00:00Z',
        `promote web sha256:4b4b to prod\n\nSluice-Promotion: apps/web\nSource-Commit: ${SRC}\nSource-Commit-Time: 2026-12-01T10:40:00+01:00\nSluice-Environment: prod\n`,
      ),
      { sha: SRC, committedAt: '2026-12-01T10:40:00+01:00' },
    ],
    [
      'the source time without the commit: this commit, from the source time',
      commit(3, '2026-12-01T10:00:05Z', setImage(undefined, '2026-12-01T09:40:00Z')),
      { sha: deploy(3), committedAt: '2026-12-01T09:40:00Z' },
    ],
    [
      'the source commit without its time: this commit, from its own time (nothing guessed)',
      commit(4, '2026-12-01T10:00:05Z', setImage(SRC, undefined)),
      { sha: deploy(4), committedAt: '2026-12-01T10:00:05Z' },
    ],
    [
      'a time that is no RFC 3339 time: as if there were none',
      commit(5, '2026-12-01T10:00:05Z', setImage(SRC, '1 hour ago')),
      { sha: deploy(5), committedAt: '2026-12-01T10:00:05Z' },
    ],
    [
      'a commit by hand: itself',
      commit(6, '2026-12-01T08:00:00+02:00', 'bump replicas\n'),
      { sha: deploy(6), committedAt: '2026-12-01T08:00:00+02:00' },
    ],
  ];
  it.each(cases)('%s', (_name, c, want) => {
    expect(changeOf(c)).toEqual(want);
  });
});

describe('changesOf', () => {
  const cases: Array<[string, CommitTime[], DeploymentCommit[]]> = [
    ['nothing', [], []],
    [
      'deploy commits of different sources, and one by hand, newest first as given',
      [
        commit(3, '2026-12-01T10:30:00Z', setImage(SRC2, '2026-12-01T10:20:00Z')),
        commit(2, '2026-12-01T10:10:00Z', 'bump replicas\n'),
        commit(1, '2026-12-01T10:00:05Z', setImage(SRC, '2026-12-01T09:40:00Z')),
      ],
      [
        { sha: SRC2, committedAt: '2026-12-01T10:20:00Z' },
        { sha: deploy(2), committedAt: '2026-12-01T10:10:00Z' },
        { sha: SRC, committedAt: '2026-12-01T09:40:00Z' },
      ],
    ],
    [
      'set-image and the promotion of the same source: one change',
      [
        commit(
          2,
          '2026-12-01T11:00:00Z',
          `promote web to staging\n\n${setImage(SRC, '2026-12-01T09:40:00Z')}`,
        ),
        commit(1, '2026-12-01T10:00:05Z', setImage(SRC, '2026-12-01T09:40:00Z')),
      ],
      [{ sha: SRC, committedAt: '2026-12-01T09:40:00Z' }],
    ],
    [
      'a monorepo: the source commit itself and the set-image commit naming it, once, earliest',
      [
        commit(2, '2026-12-01T10:00:05Z', setImage(deploy(1), '2026-12-01T09:40:00Z')),
        commit(1, '2026-12-01T09:40:00+01:00', 'feat: checkout\n'),
      ],
      [{ sha: deploy(1), committedAt: '2026-12-01T09:40:00+01:00' }],
    ],
  ];
  it.each(cases)('%s', (_name, commits, want) => {
    expect(changesOf(commits)).toEqual(want);
  });
});
