/** What `sluice dora` and `sluice dora deployments` print for people. */
import { describe, expect, it } from 'vitest';
import { computeDora } from '../../delivery/dora/index.ts';
import type { DeploymentRecord } from '../../pipelines/store/index.ts';
import { deploymentsTable, formatSeconds, reportTable } from './render.ts';

describe('formatSeconds', () => {
  it.each([
    [12, '12s'],
    [125, '2m'],
    [3600, '1h'],
    [3 * 3600 + 20 * 60, '3h 20m'],
    [50 * 3600, '2d 2h'],
    [72 * 3600, '3d'],
  ])('%d s → %s', (s, want) => {
    expect(formatSeconds(s)).toBe(want);
  });
});

const base: DeploymentRecord = {
  id: 1,
  key: 'k1',
  kind: 'Application',
  namespace: 'shop',
  app: 'web',
  environment: 'prod',
  revision: 'a1b2c3d4e5f6'.padEnd(40, '0'),
  repoURL: 'file:///repo',
  commitTime: '2026-12-01T09:00:00.000Z',
  deployedAt: '2026-12-01T10:00:00.000Z',
  healthyAt: '2026-12-01T10:00:00.000Z',
  outcome: 'Succeeded',
  rollback: false,
  message: '',
  commits: [{ sha: 'a1', committedAt: '2026-12-01T09:00:00.000Z' }],
};
const failed: DeploymentRecord = {
  ...base,
  id: 2,
  revision: 'f00dfeed'.padEnd(40, '0'),
  deployedAt: '2026-12-01T11:00:00.000Z',
  healthyAt: undefined,
  outcome: 'Failed',
  failureReason: 'SyncFailed',
  restoredAt: '2026-12-01T13:30:00.000Z',
  restoredBy: 'beefcafe'.padEnd(40, '0'),
};

describe('reportTable', () => {
  it('names the scope, each key with its value and band, and the counts', () => {
    const window = { since: '2026-11-01T13:30:00.000Z', until: '2026-12-01T13:30:00.000Z' };
    const text = reportTable(computeDora([base, failed], window, { environment: 'prod' }));
    expect(text).toContain(
      'DORA metrics: environment prod, all apps, last 30 days (2026-11-01 to 2026-12-01)',
    );
    expect(text).toMatch(/Deployment frequency +0\.07\/day \(0\.47\/week\) +Medium/);
    expect(text).toMatch(/Lead time for changes +1h \(median of 1 commits\) +Elite/);
    expect(text).toMatch(/Change failure rate +50% \(1 of 2\) +Low/);
    expect(text).toMatch(/Time to restore +2h 30m \(median of 1\) +High/);
    expect(text).toContain('2 deployments: 1 succeeded, 1 failed.');
  });

  it('no deployments: dashes, no band', () => {
    const text = reportTable(
      computeDora([], { since: '2026-11-01T00:00:00Z', until: '2026-11-08T00:00:00Z' }),
    );
    expect(text).toMatch(/Lead time for changes +- +-/);
    expect(text).toContain('0 deployments');
  });
});

describe('deploymentsTable', () => {
  it('one row per deployment: short revision, outcome with its reason, lead time, restore', () => {
    const lines = deploymentsTable([base, failed]).trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^DEPLOYED +ENVIRONMENT +APP +REVISION +OUTCOME +COMMITS +LEAD TIME +RESTORED$/,
    );
    expect(lines[1]).toMatch(/^2026-12-01 10:00:00Z +prod +shop\/web +a1b2c3d +Succeeded +1 +1h$/);
    expect(lines[2]).toMatch(/f00dfee +Failed \(SyncFailed\) +1 +- +after 2h 30m by beefcaf$/);
  });

  it('says when there is nothing', () => {
    expect(deploymentsTable([])).toBe('No deployments recorded in this window.\n');
  });
});
