/**
 * The four keys and their bands, as tables: frequency, lead time (median over commits, only of
 * deployments that ran), change failure rate (rollbacks left out) and time to restore (median
 * over restored failures), with the DORA 2023/2024 band edges.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../pipelines/store/index.ts';
import { failureRateBand, frequencyBand, leadTimeBand, restoreBand } from './bands.ts';
import { computeDora, matches, median } from './metrics.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const H = 3_600_000;
const at = (hours: number): string => new Date(T0 + hours * H).toISOString();
const WINDOW = { since: at(0), until: at(30 * 24) };

let id = 0;
function dep(over: Partial<DeploymentRecord> & { deployedAt: string }): DeploymentRecord {
  id++;
  return {
    id,
    key: `k${id}`,
    kind: 'Application',
    namespace: 'apps',
    app: 'web',
    environment: 'prod',
    revision: `r${id}`,
    repoURL: 'file:///repo',
    healthyAt: over.deployedAt,
    outcome: 'Succeeded',
    rollback: false,
    message: '',
    commits: [],
    ...over,
  };
}
const commit = (hours: number): { sha: string; committedAt: string } => ({
  sha: `c${hours}`,
  committedAt: at(hours),
});

describe('median', () => {
  it.each([
    { values: [], want: null },
    { values: [5], want: 5 },
    { values: [3, 1, 2], want: 2 },
    { values: [4, 1, 3, 2], want: 2.5 },
  ])('median($values) = $want', ({ values, want }) => {
    expect(median(values)).toBe(want);
  });
});

describe('bands (DORA 2023/2024)', () => {
  const DAY = 86_400;
  it.each([
    { fn: frequencyBand, value: 3, want: 'Elite' },
    { fn: frequencyBand, value: 1, want: 'Elite' },
    { fn: frequencyBand, value: 0.5, want: 'High' },
    { fn: frequencyBand, value: 1 / 7, want: 'High' },
    { fn: frequencyBand, value: 1 / 10, want: 'Medium' },
    { fn: frequencyBand, value: 1 / 30, want: 'Medium' },
    { fn: frequencyBand, value: 1 / 60, want: 'Low' },
    { fn: leadTimeBand, value: 3600, want: 'Elite' },
    { fn: leadTimeBand, value: DAY, want: 'High' },
    { fn: leadTimeBand, value: 7 * DAY, want: 'Medium' },
    { fn: leadTimeBand, value: 30 * DAY, want: 'Low' },
    { fn: failureRateBand, value: 0, want: 'Elite' },
    { fn: failureRateBand, value: 0.05, want: 'Elite' },
    { fn: failureRateBand, value: 0.1, want: 'High' },
    { fn: failureRateBand, value: 0.15, want: 'Medium' },
    { fn: failureRateBand, value: 0.25, want: 'Low' },
    { fn: restoreBand, value: 59 * 60, want: 'Elite' },
    { fn: restoreBand, value: 3600, want: 'High' },
    { fn: restoreBand, value: DAY, want: 'Medium' },
    { fn: restoreBand, value: 7 * DAY, want: 'Low' },
  ])('$fn.name($value) = $want', ({ fn, value, want }) => {
    expect(fn(value)).toBe(want);
  });
});

describe('computeDora', () => {
  it('no deployments: zero frequency, every figure and band null', () => {
    const r = computeDora([], WINDOW);
    expect(r.deployments).toEqual({ total: 0, succeeded: 0, failed: 0, rollbacks: 0 });
    expect(r.deploymentFrequency).toEqual({ perDay: 0, perWeek: 0, band: null });
    expect(r.leadTime).toEqual({ medianSeconds: null, changes: 0, band: null });
    expect(r.changeFailureRate.rate).toBeNull();
    expect(r.timeToRestore).toEqual({
      medianSeconds: null,
      restored: 0,
      unrestored: 0,
      band: null,
    });
    expect(r.window.days).toBe(30);
  });

  it('two deploys, a failed sync, a restore: the four keys', () => {
    const records = [
      dep({ deployedAt: at(10), commits: [commit(9)] }),
      dep({ deployedAt: at(20), commits: [commit(18), commit(19)] }),
      // Its sync failed: it never ran, so its commit has no lead time here...
      dep({
        deployedAt: at(30),
        healthyAt: undefined,
        outcome: 'Failed',
        failureReason: 'SyncFailed',
        restoredAt: at(32),
        commits: [commit(29)],
      }),
      // ...but with the deployment that ran it (and restored the failure 2 h after it).
      dep({ deployedAt: at(32), commits: [commit(29), commit(31)] }),
    ];
    const r = computeDora(records, WINDOW);
    expect(r.deployments).toEqual({ total: 4, succeeded: 3, failed: 1, rollbacks: 0 });
    expect(r.deploymentFrequency.perDay).toBeCloseTo(4 / 30);
    expect(r.deploymentFrequency.perWeek).toBeCloseTo((4 / 30) * 7);
    expect(r.deploymentFrequency.band).toBe('Medium');
    // Lead times (h): 1, 2, 1, 3, 1 → median 1 h.
    expect(r.leadTime).toEqual({ medianSeconds: 3600, changes: 5, band: 'Elite' });
    expect(r.changeFailureRate).toEqual({ rate: 0.25, failed: 1, deployments: 4, band: 'Low' });
    expect(r.timeToRestore).toEqual({
      medianSeconds: 2 * 3600,
      restored: 1,
      unrestored: 0,
      band: 'High',
    });
  });

  it('a rollback is no deployment of its own; the deployment it rolled back is a failure', () => {
    const r = computeDora(
      [
        dep({
          deployedAt: at(1),
          outcome: 'Failed',
          failureReason: 'RolledBack',
          restoredAt: at(1.5),
        }),
        dep({ deployedAt: at(1.5), rollback: true }),
      ],
      WINDOW,
    );
    expect(r.deployments).toEqual({ total: 1, succeeded: 0, failed: 1, rollbacks: 1 });
    expect(r.changeFailureRate.rate).toBe(1);
    expect(r.timeToRestore.medianSeconds).toBe(1800);
    expect(r.timeToRestore.band).toBe('Elite');
  });

  it('an open failure counts as failed and unrestored, with no restore time', () => {
    const r = computeDora(
      [dep({ deployedAt: at(5), outcome: 'Failed', healthyAt: undefined })],
      WINDOW,
    );
    expect(r.timeToRestore).toMatchObject({ medianSeconds: null, restored: 0, unrestored: 1 });
    expect(r.changeFailureRate.rate).toBe(1);
  });

  it('leaves out deployments outside the window and other environments or apps', () => {
    const records = [
      dep({ deployedAt: at(-1) }),
      dep({ deployedAt: at(31 * 24) }),
      dep({ deployedAt: at(2), environment: 'staging' }),
      dep({ deployedAt: at(3), app: 'api' }),
      dep({ deployedAt: at(4) }),
    ];
    expect(computeDora(records, WINDOW).deployments.total).toBe(3);
    expect(computeDora(records, WINDOW, { environment: 'prod' }).deployments.total).toBe(2);
    expect(
      computeDora(records, WINDOW, { environment: 'prod', app: 'web' }).deployments.total,
    ).toBe(1);
    expect(computeDora(records, WINDOW, { app: 'apps/api' }).deployments.total).toBe(1);
  });

  it('a commit newer than its deployment (clock skew) counts as 0, not negative', () => {
    const r = computeDora([dep({ deployedAt: at(5), commits: [commit(6)] })], WINDOW);
    expect(r.leadTime.medianSeconds).toBe(0);
  });
});

describe('matches', () => {
  const d = dep({ deployedAt: at(0) });
  it.each([
    { filter: {}, want: true },
    { filter: { environment: 'prod' }, want: true },
    { filter: { environment: 'dev' }, want: false },
    { filter: { app: 'web' }, want: true },
    { filter: { app: 'apps/web' }, want: true },
    { filter: { app: 'other/web' }, want: false },
  ])('$filter → $want', ({ filter, want }) => {
    expect(matches(d, filter)).toBe(want);
  });
});
