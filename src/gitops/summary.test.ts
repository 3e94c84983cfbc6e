/** Bounded per-object status: which objects stay listed, and counts over all of them. */
import { describe, expect, it } from 'vitest';
import type { HealthStatus, ResourceStatus, SyncStatus } from '../api/application.ts';
import { capResources, clip, formatCounts, someOf } from './summary.ts';

const res = (
  name: string,
  status: SyncStatus = 'Synced',
  health: HealthStatus = 'Healthy',
  extra: Partial<ResourceStatus> = {},
): ResourceStatus => ({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  namespace: 'shop',
  name,
  status,
  health: { status: health },
  ...extra,
});

const fine = (n: number, prefix = 'cm'): ResourceStatus[] =>
  Array.from({ length: n }, (_, i) => res(`${prefix}-${i}`));

describe('capResources', () => {
  it.each<{
    name: string;
    all: ResourceStatus[];
    limit: number;
    listed: string[];
    truncated: boolean;
  }>([
    { name: 'nothing', all: [], limit: 3, listed: [], truncated: false },
    {
      name: 'within the limit: all, in order',
      all: fine(3),
      limit: 3,
      listed: ['cm-0', 'cm-1', 'cm-2'],
      truncated: false,
    },
    {
      name: 'over the limit, all fine: the first ones',
      all: fine(10),
      limit: 3,
      listed: ['cm-0', 'cm-1', 'cm-2'],
      truncated: true,
    },
    {
      name: 'over the limit: out of sync, unhealthy, pruning and hooks first, kept in order',
      all: [
        ...fine(4),
        res('drifted', 'OutOfSync'),
        res('sick', 'Synced', 'Degraded'),
        res('gone', 'OutOfSync', 'Healthy', { requiresPruning: true }),
        res('job', 'Synced', 'Healthy', { hook: 'PreSync' }),
      ],
      limit: 5,
      listed: ['cm-0', 'drifted', 'sick', 'gone', 'job'],
      truncated: true,
    },
    {
      name: 'more needing attention than the limit: the first of them',
      all: [...fine(2), res('a', 'OutOfSync'), res('b', 'OutOfSync'), res('c', 'OutOfSync')],
      limit: 2,
      listed: ['a', 'b'],
      truncated: true,
    },
  ])('$name', ({ all, limit, listed, truncated }) => {
    const { resources, summary } = capResources(all, limit);
    expect(resources.map((r) => r.name)).toEqual(listed);
    expect(summary.total).toBe(all.length);
    expect(summary.truncated ?? false).toBe(truncated);
  });

  it('counts every object by sync status and health, listed or not', () => {
    const all = [...fine(20_000), res('x', 'OutOfSync', 'Missing'), res('y', 'Synced', 'Degraded')];
    const { resources, summary } = capResources(all);
    expect(resources).toHaveLength(500);
    expect(resources.map((r) => r.name)).toContain('x');
    expect(summary).toEqual({
      total: 20_002,
      truncated: true,
      sync: { Synced: 20_001, OutOfSync: 1 },
      health: { Healthy: 20_000, Missing: 1, Degraded: 1 },
    });
  });

  it('cuts a very long health message', () => {
    const long = res('x', 'Synced', 'Degraded');
    long.health = { status: 'Degraded', message: 'e'.repeat(5000) };
    const [r] = capResources([long]).resources;
    expect(r?.health?.message?.length).toBeLessThan(1100);
    expect(r?.health?.message).toContain('4000 more characters');
  });
});

describe('message helpers', () => {
  it.each([
    { items: [], want: '' },
    { items: ['a', 'b'], want: 'a, b' },
    { items: ['a', 'b', 'c', 'd', 'e'], want: 'a, b, c, d, e' },
    { items: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], want: 'a, b, c, d, e, and 2 more' },
  ])('someOf($items)', ({ items, want }) => {
    expect(someOf(items)).toBe(want);
  });

  it('clip keeps short text, cuts long text and says how much', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('x'.repeat(15), 10)).toBe(`${'x'.repeat(10)}… (5 more characters)`);
  });

  it('formatCounts: most first, zeros left out', () => {
    expect(formatCounts({ unchanged: 3, created: 5000, failed: 0 })).toBe(
      '5000 created, 3 unchanged',
    );
    expect(formatCounts(undefined)).toBe('');
  });
});
