/** A sync's results, bounded: what stays listed, exact counts, and resuming from status. */
import { describe, expect, it } from 'vitest';
import type { ResourceResult, ResultAction, SyncResult } from '../api/application.ts';
import { ResultLog } from './results.ts';

const r = (name: string, action: ResultAction, extra: Partial<ResourceResult> = {}) =>
  ({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    namespace: 'shop',
    name,
    action,
    ...extra,
  }) satisfies ResourceResult;

const many = (n: number, action: ResultAction, prefix = 'cm'): ResourceResult[] =>
  Array.from({ length: n }, (_, i) => r(`${prefix}-${i}`, action));

describe('ResultLog', () => {
  it.each<{
    name: string;
    results: ResourceResult[];
    limit: number;
    listed: string[];
    counts: Partial<Record<ResultAction, number>>;
  }>([
    { name: 'nothing', results: [], limit: 3, listed: [], counts: {} },
    {
      name: 'within the limit',
      results: [r('a', 'created'), r('b', 'unchanged')],
      limit: 3,
      listed: ['a', 'b'],
      counts: { created: 1, unchanged: 1 },
    },
    {
      name: 'full of unchanged: changes and failures take their places',
      results: [...many(3, 'unchanged'), r('new', 'created'), r('bad', 'failed')],
      limit: 3,
      listed: ['cm-0', 'new', 'bad'],
      counts: { unchanged: 3, created: 1, failed: 1 },
    },
    {
      name: 'full of failures: a change is counted, not listed',
      results: [...many(2, 'failed'), r('new', 'created'), r('gone', 'pruned')],
      limit: 2,
      listed: ['cm-0', 'cm-1'],
      counts: { failed: 2, created: 1, pruned: 1 },
    },
    {
      name: 'hooks are always listed and updated in place',
      results: [
        ...many(2, 'created'),
        r('migrate', 'created', { kind: 'Job', hook: 'PreSync', hookPhase: 'Running' }),
        r('migrate', 'created', { kind: 'Job', hook: 'PreSync', hookPhase: 'Succeeded' }),
      ],
      limit: 2,
      listed: ['cm-0', 'cm-1', 'migrate'],
      counts: { created: 3 },
    },
  ])('$name', ({ results, limit, listed, counts }) => {
    const log = new ResultLog(undefined, limit);
    log.record(...results);
    const saved = log.syncResult('abc');
    expect(saved.resources.map((x) => x.name)).toEqual(listed);
    expect(saved.counts).toEqual(counts);
    expect(saved.total).toBe(Object.values(counts).reduce((a, n) => a + n, 0));
    expect(saved.truncated ?? false).toBe(saved.total !== listed.length);
  });

  it('20,000 results: 500 listed, every one counted', () => {
    const log = new ResultLog();
    log.record(...many(19_990, 'created'), ...many(10, 'failed', 'bad'));
    const saved = log.syncResult('abc');
    expect(saved.resources).toHaveLength(500);
    expect(saved.resources.filter((x) => x.action === 'failed')).toHaveLength(10);
    expect(saved).toMatchObject({ total: 20_000, truncated: true });
    expect(saved.counts).toEqual({ created: 19_990, failed: 10 });
    expect(log.summary()).toBe('19990 created, 10 failed');
  });

  it('resumes from what the last step saved, with the same counts', () => {
    const first = new ResultLog(undefined, 3);
    first.record(
      ...many(5, 'created'),
      r('migrate', 'created', { kind: 'Job', hook: 'PreSync', hookPhase: 'Running' }),
    );
    const saved: SyncResult = JSON.parse(JSON.stringify(first.syncResult('abc'))) as SyncResult;
    const next = new ResultLog(saved, 3);
    next.record(
      r('migrate', 'created', { kind: 'Job', hook: 'PreSync', hookPhase: 'Succeeded' }),
      ...many(2, 'configured', 'wave1'),
    );
    const after = next.syncResult('abc');
    expect(after.counts).toEqual({ created: 6, configured: 2 });
    expect(after.total).toBe(8);
    expect(after.resources.find((x) => x.name === 'migrate')?.hookPhase).toBe('Succeeded');
  });

  it('reads a result saved by the previous version (a full list, no counts)', () => {
    const old: SyncResult = { revision: 'abc', resources: [r('a', 'created'), r('b', 'failed')] };
    const log = new ResultLog(old);
    expect(log.syncResult('abc')).toMatchObject({ total: 2, counts: { created: 1, failed: 1 } });
  });

  it('cuts very long messages', () => {
    const log = new ResultLog();
    log.record(r('a', 'failed', { message: 'x'.repeat(10_000) }));
    expect(log.resources[0]?.message?.length).toBeLessThan(1100);
  });
});
