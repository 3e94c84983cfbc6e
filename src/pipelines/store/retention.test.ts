/** Retention selection: by age, by count per namespace and pipeline, runs in progress kept. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETENTION,
  retentionPolicy,
  selectExpired,
  type RetentionCandidate,
} from './retention.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-12-01T00:00:00Z');

function run(id: number, daysAgo: number, over: Partial<RetentionCandidate> = {}) {
  return {
    id,
    kind: 'PipelineRun',
    namespace: 'ci',
    pipeline: 'build',
    finished: true,
    createdAt: NOW - daysAgo * DAY - 60_000,
    completedAt: NOW - daysAgo * DAY,
    ...over,
  } satisfies RetentionCandidate;
}

describe('selectExpired', () => {
  it.each([
    {
      name: 'deletes finished runs older than the age limit',
      runs: [run(1, 31), run(2, 29)],
      policy: { maxAgeDays: 30, maxRunsPerPipeline: 0 },
      byAge: [1],
      byCount: [],
    },
    {
      name: 'keeps the newest N finished runs per pipeline',
      runs: [run(1, 5), run(2, 4), run(3, 3), run(4, 2)],
      policy: { maxAgeDays: 0, maxRunsPerPipeline: 2 },
      byAge: [],
      byCount: [1, 2],
    },
    {
      name: 'counts namespaces, pipelines and kinds apart',
      runs: [
        run(1, 3),
        run(2, 2),
        run(3, 3, { namespace: 'other' }),
        run(4, 3, { pipeline: 'test' }),
        run(5, 3, { kind: 'TaskRun' }),
      ],
      policy: { maxAgeDays: 0, maxRunsPerPipeline: 1 },
      byAge: [],
      byCount: [1],
    },
    {
      name: 'never counts runs in progress, and keeps them within the age limit',
      runs: [run(1, 3), run(2, 1, { finished: false, completedAt: undefined }), run(3, 2)],
      policy: { maxAgeDays: 30, maxRunsPerPipeline: 1 },
      byAge: [],
      byCount: [1],
    },
    {
      name: 'deletes a run that never finished once it was created longer ago than the limit',
      runs: [run(1, 40, { finished: false, completedAt: undefined })],
      policy: { maxAgeDays: 30, maxRunsPerPipeline: 100 },
      byAge: [1],
      byCount: [],
    },
    {
      name: 'reports a run expired by both rules once, by age',
      runs: [run(1, 40), run(2, 1)],
      policy: { maxAgeDays: 30, maxRunsPerPipeline: 1 },
      byAge: [1],
      byCount: [],
    },
    {
      name: 'with 0 for both limits, keeps everything',
      runs: [run(1, 400), run(2, 300)],
      policy: { maxAgeDays: 0, maxRunsPerPipeline: 0 },
      byAge: [],
      byCount: [],
    },
  ])('$name', ({ runs, policy, byAge, byCount }) => {
    expect(selectExpired(runs, retentionPolicy(policy), NOW)).toEqual({ byAge, byCount });
  });

  it('by default keeps 30 days and 100 runs per pipeline', () => {
    const runs = Array.from({ length: 120 }, (_, i) => run(i + 1, i / 10));
    const got = selectExpired(runs, DEFAULT_RETENTION, NOW);
    expect(got.byAge).toEqual([]);
    // The 20 oldest (largest ids, finished longest ago) go.
    expect(got.byCount).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    expect(selectExpired([run(1, 30.5)], DEFAULT_RETENTION, NOW).byAge).toEqual([1]);
  });

  it('refuses a negative limit', () => {
    expect(() => retentionPolicy({ maxAgeDays: -1 })).toThrow(/maxAgeDays must be a number >= 0/);
  });
});
