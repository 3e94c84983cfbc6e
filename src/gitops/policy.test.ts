import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import type { Comparison } from './compare.ts';
import {
  automatedEnabled,
  decideSync,
  retryDelay,
  SelfHealTracker,
  type SyncDecision,
} from './policy.ts';
import {
  application,
  at,
  type AppOptions,
  comparison,
  failedStatus,
  FakeClock,
  leftover,
  NOW,
  operation,
  REV_A,
  REV_B,
  syncedStatus,
} from './testing/fixtures.ts';

const SYNC: SyncDecision = { sync: true, selfHeal: false, paused: false };
const NO_SYNC: SyncDecision = { sync: false, selfHeal: false, paused: false };
const PAUSED: SyncDecision = { sync: false, selfHeal: false, paused: true };
const SELF_HEAL: SyncDecision = { sync: true, selfHeal: true, paused: false };
const SELF_HEAL_WAITS: SyncDecision = { sync: false, selfHeal: true, paused: false };

/** An automated app synced at REV_A; `drift` and `newRevision` compare it against the cluster. */
const syncedApp = (automated: AppOptions['automated']): Application =>
  application({ ...(automated ? { automated } : {}), status: syncedStatus(REV_A) });
const drift = comparison({ revision: REV_A, outOfSync: true, drifted: true });
const newRevision = comparison({ revision: REV_B, outOfSync: true, drifted: true });
const onlyLeftovers = (revision: string): Comparison =>
  comparison({
    revision,
    outOfSync: true,
    drifted: false,
    pruneCandidates: [leftover('ConfigMap', 'old-settings')],
  });

interface DecideCase {
  name: string;
  app: Application;
  cmp: Comparison;
  manual?: boolean;
  /** Self-heals of this app so far, in ms relative to NOW. */
  heals?: number[];
  expected: SyncDecision;
}

const decideCases: DecideCase[] = [
  // manual operations
  {
    name: 'manual sync of an app in sync → sync',
    app: application({ status: syncedStatus(REV_A) }),
    cmp: comparison(),
    manual: true,
    expected: SYNC,
  },
  {
    name: 'manual sync while automated sync is paused → sync',
    app: syncedApp({ enabled: false }),
    cmp: newRevision,
    manual: true,
    expected: SYNC,
  },
  {
    name: 'manual sync after the retry limit was reached → sync',
    app: application({ automated: {}, status: failedStatus(REV_B, { retryCount: 5 }) }),
    cmp: newRevision,
    manual: true,
    expected: SYNC,
  },
  // no automated policy, or nothing to do
  {
    name: 'new revision without automated sync → no sync',
    app: application({ status: syncedStatus(REV_A) }),
    cmp: newRevision,
    expected: NO_SYNC,
  },
  {
    name: 'in sync with automated sync → no sync',
    app: syncedApp({ selfHeal: true, prune: true }),
    cmp: comparison(),
    expected: NO_SYNC,
  },
  // automated: new target
  {
    name: 'new revision with automated sync → sync',
    app: syncedApp({}),
    cmp: newRevision,
    expected: SYNC,
  },
  {
    name: 'new app never synced, automated → sync',
    app: application({ automated: {} }),
    cmp: drift,
    expected: SYNC,
  },
  {
    name: 'spec changed (generation 2), same revision, selfHeal off → sync',
    app: application({ automated: {}, generation: 2, status: syncedStatus(REV_A) }),
    cmp: drift,
    expected: SYNC,
  },
  {
    name: 'sync status at the revision, but the last sync was of another revision → sync',
    app: application({
      automated: {},
      status: syncedStatus(REV_A, { operationState: operation(REV_B) }),
    }),
    cmp: drift,
    expected: SYNC,
  },
  // automated: drift on the revision already synced
  {
    name: 'same revision, drift, selfHeal off → no sync',
    app: syncedApp({}),
    cmp: drift,
    expected: NO_SYNC,
  },
  {
    name: 'same revision, drift, selfHeal on → self-heal',
    app: syncedApp({ selfHeal: true }),
    cmp: drift,
    expected: SELF_HEAL,
  },
  {
    name: 'same revision, drift, selfHeal on, 2 heals in the last minute → self-heal',
    app: syncedApp({ selfHeal: true }),
    cmp: drift,
    heals: [-50_000, -40_000],
    expected: SELF_HEAL,
  },
  {
    name: 'same revision, drift, selfHeal on, 3 heals and the last 0.5 s ago → waits',
    app: syncedApp({ selfHeal: true }),
    cmp: drift,
    heals: [-3000, -2000, -500],
    expected: SELF_HEAL_WAITS,
  },
  {
    name: 'same revision, drift, selfHeal on, 3 heals and the last 1 s ago → self-heal',
    app: syncedApp({ selfHeal: true }),
    cmp: drift,
    heals: [-3000, -2000, -1000],
    expected: SELF_HEAL,
  },
  // leftovers to prune
  {
    name: 'same revision, only leftovers, prune off → no sync',
    app: syncedApp({ selfHeal: true }),
    cmp: onlyLeftovers(REV_A),
    expected: NO_SYNC,
  },
  {
    name: 'same revision, only leftovers, prune and selfHeal on → self-heal',
    app: syncedApp({ selfHeal: true, prune: true }),
    cmp: onlyLeftovers(REV_A),
    expected: SELF_HEAL,
  },
  {
    name: 'new revision, only leftovers, prune off → sync (records the revision)',
    app: syncedApp({}),
    cmp: onlyLeftovers(REV_B),
    expected: SYNC,
  },
  // paused after a rollback
  {
    name: 'rollback paused, new revision → paused',
    app: syncedApp({ enabled: false, selfHeal: true }),
    cmp: newRevision,
    expected: PAUSED,
  },
  {
    name: 'rollback paused, in sync → no sync (nothing to pause)',
    app: syncedApp({ enabled: false }),
    cmp: comparison(),
    expected: NO_SYNC,
  },
  // retries of a failed sync
  {
    name: 'failed at this revision, first retry after 5 s elapsed → sync',
    app: application({ automated: {}, status: failedStatus(REV_B, { finishedAt: at(-5000) }) }),
    cmp: newRevision,
    expected: SYNC,
  },
  {
    name: 'failed at this revision, retry backoff not elapsed (4.9 s of 5 s) → no sync',
    app: application({ automated: {}, status: failedStatus(REV_B, { finishedAt: at(-4900) }) }),
    cmp: newRevision,
    expected: NO_SYNC,
  },
  {
    name: 'failed at this revision, 2 retries so far, 19 s of 20 s → no sync',
    app: application({
      automated: {},
      status: failedStatus(REV_B, { retryCount: 2, finishedAt: at(-19_000) }),
    }),
    cmp: newRevision,
    expected: NO_SYNC,
  },
  {
    name: 'failed at this revision, retry limit reached (5 of 5) → no sync',
    app: application({
      automated: {},
      status: failedStatus(REV_B, { retryCount: 5, finishedAt: at(-3_600_000) }),
    }),
    cmp: newRevision,
    expected: NO_SYNC,
  },
  {
    name: 'failed at this revision, retry limit 0 → no sync',
    app: application({ automated: {}, retry: { limit: 0 }, status: failedStatus(REV_B) }),
    cmp: newRevision,
    expected: NO_SYNC,
  },
  {
    name: 'failed at this revision, retry limit -1, 100 retries, 3 min since → sync',
    app: application({
      automated: {},
      retry: { limit: -1 },
      status: failedStatus(REV_B, { retryCount: 100, finishedAt: at(-180_000) }),
    }),
    cmp: newRevision,
    expected: SYNC,
  },
  {
    name: 'failed at an older revision, new revision → sync at once',
    app: application({
      automated: {},
      status: failedStatus(REV_A, { retryCount: 5, finishedAt: at(-100) }),
    }),
    cmp: newRevision,
    expected: SYNC,
  },
];

function trackerWith(heals: readonly number[]): SelfHealTracker {
  const clock = new FakeClock();
  const tracker = new SelfHealTracker(clock.read);
  for (const offset of heals) {
    clock.now = NOW + offset;
    tracker.note(application());
  }
  clock.now = NOW;
  return tracker;
}

describe('decideSync', () => {
  it.each(decideCases)('$name', ({ app, cmp, manual, heals, expected }) => {
    expect(decideSync(app, cmp, manual ?? false, trackerWith(heals ?? []), NOW)).toEqual(expected);
  });
});

describe('retryDelay', () => {
  const backoff = { duration: '1s', factor: 3, maxDuration: '10s' };
  it.each([
    { name: 'default, first retry: 5 s', retry: undefined, attempt: 0, ms: 5000 },
    { name: 'default, second retry: 10 s', retry: undefined, attempt: 1, ms: 10_000 },
    { name: 'default, fourth retry: 40 s', retry: undefined, attempt: 3, ms: 40_000 },
    { name: 'default, capped at 3 min', retry: undefined, attempt: 6, ms: 180_000 },
    { name: '1s x3, first retry: 1 s', retry: { backoff }, attempt: 0, ms: 1000 },
    { name: '1s x3, third retry: 9 s', retry: { backoff }, attempt: 2, ms: 9000 },
    { name: '1s x3, capped at maxDuration 10 s', retry: { backoff }, attempt: 3, ms: 10_000 },
    {
      name: 'unreadable duration falls back to 5 s',
      retry: { backoff: { duration: 'soon' } },
      attempt: 0,
      ms: 5000,
    },
  ])('$name', ({ retry, attempt, ms }) => {
    expect(retryDelay(application({ ...(retry ? { retry } : {}) }), attempt)).toBe(ms);
  });
});

describe('automatedEnabled', () => {
  it.each([
    { name: 'no sync policy → off', app: application(), enabled: false },
    { name: 'automated: {} → on', app: application({ automated: {} }), enabled: true },
    {
      name: 'automated.enabled true → on',
      app: application({ automated: { enabled: true } }),
      enabled: true,
    },
    {
      name: 'paused by a rollback (enabled false) → off',
      app: application({ automated: { enabled: false, selfHeal: true } }),
      enabled: false,
    },
  ])('$name', ({ app, enabled }) => {
    expect(automatedEnabled(app)).toBe(enabled);
  });
});

describe('SelfHealTracker', () => {
  it.each([
    { name: 'never healed → immediate', heals: [], delay: 0, allowed: true },
    { name: 'healed twice just now → still immediate', heals: [-20, -10], delay: 0, allowed: true },
    {
      name: 'third heal 0.5 s ago → waits 1 s',
      heals: [-700, -600, -500],
      delay: 1000,
      allowed: false,
    },
    {
      name: 'third heal 1 s ago → allowed again',
      heals: [-3000, -2000, -1000],
      delay: 1000,
      allowed: true,
    },
    {
      name: 'fifth heal 3 s ago → waits 4 s',
      heals: [-7000, -6000, -5000, -4000, -3000],
      delay: 4000,
      allowed: false,
    },
    {
      name: 'twelfth heal in a row → 1 s doubling reaches the 5 min cap',
      heals: Array.from({ length: 12 }, (_, i) => -60_000 + i * 1000),
      delay: 300_000,
      allowed: false,
    },
    {
      name: 'a streak that ended more than 2 min ago is forgotten',
      heals: [-125_000, -124_000, -123_000, -122_000, -121_000],
      delay: 0,
      allowed: true,
    },
    {
      name: 'a heal after a quiet spell starts a new streak',
      heals: [-400_000, -399_000, -398_000, -397_000, -100],
      delay: 0,
      allowed: true,
    },
  ])('$name', ({ heals, delay, allowed }) => {
    const tracker = trackerWith(heals);
    expect(tracker.delay(application())).toBe(delay);
    expect(tracker.allowed(application())).toBe(allowed);
  });

  it('counts heals per app: another app is not held back', () => {
    const tracker = trackerWith([-300, -200, -100]);
    expect(tracker.allowed(application())).toBe(false);
    expect(tracker.allowed(application({ name: 'shop' }))).toBe(true);
    expect(tracker.allowed(application({ namespace: 'team-b' }))).toBe(true);
  });

  it('lets a held-back heal through once the clock passes its delay', () => {
    const clock = new FakeClock();
    const tracker = new SelfHealTracker(clock.read);
    const app = application();
    for (let i = 0; i < 4; i++) tracker.note(app);
    expect(tracker.delay(app)).toBe(2000);
    clock.advance(1999);
    expect(tracker.allowed(app)).toBe(false);
    clock.advance(1);
    expect(tracker.allowed(app)).toBe(true);
  });
});
