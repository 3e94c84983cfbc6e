/**
 * The sync step machine, case by case: given a saved progress and what the cluster looks like,
 * what happens next. Every case is also a "resume" case: the progress is exactly what a
 * controller that died at that point left in status.
 */
import { describe, expect, it } from 'vitest';
import type { HealthStatus, HookRecord, HookType, SyncProgress } from '../api/application.ts';
import { refKey } from '../kube/types.ts';
import { failed, hookRecordKey, nextStep, startProgress, type SyncView } from './operation.ts';
import type { DesiredResource, Plan } from './preflight.ts';

function res(kind: string, name: string, wave = 0, hooks?: HookType[]): DesiredResource {
  const group = kind === 'Deployment' ? 'apps' : kind === 'Job' ? 'batch' : '';
  const ref = { group, kind, namespace: kind === 'Namespace' ? '' : 'ns', name };
  const apiVersion = group ? `${group}/v1` : 'v1';
  return {
    ref,
    key: refKey(ref),
    version: 'v1',
    object: { apiVersion, kind, metadata: { name } },
    namespaced: kind !== 'Namespace',
    wave,
    options: new Map(),
    ...(hooks ? { hooks, deletePolicies: new Set(['BeforeHookCreation' as const]) } : {}),
  };
}

const ns = res('Namespace', 'shop');
const cm = res('ConfigMap', 'config');
const db = res('Deployment', 'db', 1);
const web = res('Deployment', 'web', 2);
const migrate = res('Job', 'migrate', 0, ['PreSync']);
const smoke = res('Job', 'smoke', 0, ['PostSync']);
const alert = res('Job', 'alert', 0, ['SyncFail']);

const plan: Plan = {
  resources: [ns, cm, db, web],
  hooks: [migrate, smoke, alert],
  createNamespaces: [],
};

const T0 = Date.parse('2026-11-30T12:00:00Z');

function view(health: Record<string, HealthStatus> = {}, now = T0, p: Plan = plan): SyncView {
  return {
    plan: p,
    health: (key) => ({ status: health[key] ?? 'Healthy' }),
    crdEstablished: () => true,
    pruneLast: false,
    now,
    waitTimeoutMs: 60_000,
  };
}

const hook = (h: DesiredResource, type: HookType, phase: HookRecord['phase']): HookRecord => ({
  type,
  key: h.key,
  kind: h.ref.kind,
  apiVersion: 'batch/v1',
  namespace: 'ns',
  name: h.ref.name,
  uid: `uid-${h.ref.name}`,
  phase,
});

const at = (p: Partial<SyncProgress>): SyncProgress => ({ ...startProgress(true, false), ...p });

describe('sync step machine: what comes next', () => {
  it.each([
    {
      name: 'a new operation starts the PreSync hooks first',
      progress: startProgress(true, false),
      expected: { type: 'startHooks', hookType: 'PreSync', keys: [migrate.key] },
    },
    {
      name: 'resumed while the PreSync Job runs: wait, never start it again',
      progress: at({ stage: 'PreSync', wave: 0, hooks: [hook(migrate, 'PreSync', 'Running')] }),
      expected: { type: 'wait' },
    },
    {
      name: 'PreSync succeeded: wave 0 applies its Namespace first',
      progress: at({ stage: 'PreSync', wave: 0, hooks: [hook(migrate, 'PreSync', 'Succeeded')] }),
      expected: { type: 'apply', wave: 0, stage0: true, keys: [ns.key] },
    },
    {
      name: 'resumed after wave 0 Namespaces: the rest of wave 0',
      progress: at({ stage: 'Sync', wave: 0, applied: 'stage0' }),
      expected: { type: 'apply', wave: 0, stage0: false, keys: [cm.key] },
    },
    {
      name: 'wave 0 applied and healthy: wave 1 (no stage-0 objects) applies its Deployment',
      progress: at({ stage: 'Sync', wave: 0, applied: 'all' }),
      expected: { type: 'apply', wave: 1, stage0: false, keys: [db.key] },
    },
    {
      name: 'resumed during the wave-1 wait: still Progressing holds wave 2',
      progress: at({ stage: 'Sync', wave: 1, applied: 'all' }),
      health: { [db.key]: 'Progressing' },
      expected: { type: 'wait' },
    },
    {
      name: 'an unchanged object that is Progressing holds the next wave too',
      progress: at({ stage: 'Sync', wave: 0, applied: 'all' }),
      health: { [cm.key]: 'Progressing' },
      expected: { type: 'wait' },
    },
    {
      name: 'the last wave waits for health when PostSync hooks follow',
      progress: at({ stage: 'Sync', wave: 2, applied: 'all' }),
      health: { [web.key]: 'Progressing' },
      expected: { type: 'wait' },
    },
    {
      name: 'all waves healthy: prune',
      progress: at({ stage: 'Sync', wave: 2, applied: 'all' }),
      expected: { type: 'prune' },
    },
    {
      name: 'pruned: PostSync hooks',
      progress: at({ stage: 'Prune', wave: 0, applied: 'all' }),
      expected: { type: 'startHooks', hookType: 'PostSync', keys: [smoke.key] },
    },
    {
      name: 'PostSync done: Succeeded',
      progress: at({ stage: 'PostSync', wave: 0, hooks: [hook(smoke, 'PostSync', 'Succeeded')] }),
      expected: { type: 'finish', phase: 'Succeeded' },
    },
    {
      name: 'a failed PreSync hook runs the SyncFail hooks, nothing is applied',
      progress: at({ stage: 'PreSync', wave: 0, hooks: [hook(migrate, 'PreSync', 'Failed')] }),
      expected: { type: 'startHooks', hookType: 'SyncFail', keys: [alert.key] },
    },
    {
      name: 'a Degraded wave fails the sync (SyncFail hooks next)',
      progress: at({ stage: 'Sync', wave: 1, applied: 'all' }),
      health: { [db.key]: 'Degraded' },
      expected: { type: 'startHooks', hookType: 'SyncFail', keys: [alert.key] },
    },
    {
      name: 'after the SyncFail hooks, the operation ends Failed with the first failure',
      progress: at({
        stage: 'SyncFail',
        wave: 0,
        failure: 'Job/migrate failed',
        hooks: [hook(alert, 'SyncFail', 'Succeeded')],
      }),
      expected: { type: 'finish', phase: 'Failed', message: 'Job/migrate failed' },
    },
    {
      name: 'a failing SyncFail hook still ends the operation with the original failure',
      progress: at({
        stage: 'SyncFail',
        wave: 0,
        failure: 'Job/migrate failed',
        hooks: [hook(alert, 'SyncFail', 'Failed')],
      }),
      expected: { type: 'finish', phase: 'Failed', message: 'Job/migrate failed' },
    },
  ])('$name', ({ progress, health, expected }) => {
    const { step } = nextStep(progress, view(health as Record<string, HealthStatus> | undefined));
    expect(step.type).toBe(expected.type);
    if (step.type === 'startHooks' && 'hookType' in expected) {
      expect(step.hookType).toBe(expected.hookType);
      expect(step.hooks.map((h) => h.key)).toEqual(expected.keys);
    }
    if (step.type === 'apply' && 'wave' in expected) {
      expect({ wave: step.wave, stage0: step.stage0 }).toEqual({
        wave: expected.wave,
        stage0: expected.stage0,
      });
      expect(step.resources.map((r) => r.key)).toEqual(expected.keys);
    }
    if (step.type === 'finish' && 'phase' in expected) {
      expect(step.phase).toBe(expected.phase);
      if ('message' in expected) expect(step.message).toBe(expected.message);
    }
  });
});

describe('sync step machine: waits and limits', () => {
  it('a wait remembers when it began, and fails the sync once it lasts too long', () => {
    const first = nextStep(
      at({ stage: 'Sync', wave: 1, applied: 'all' }),
      view({ [db.key]: 'Progressing' }),
    );
    expect(first.step.type).toBe('wait');
    expect(first.progress.waitingSince).toBe(new Date(T0).toISOString());
    const later = nextStep(first.progress, view({ [db.key]: 'Progressing' }, T0 + 61_000));
    expect(later.step.type).toBe('startHooks');
    expect(later.progress.stage).toBe('SyncFail');
    expect(later.progress.failure).toMatch(/Deployment\/ns\/db.*not done after 60s/);
  });

  it('the last wave does not wait for health when nothing follows it (as Argo CD)', () => {
    const simple: Plan = { resources: [cm, db], hooks: [], createNamespaces: [] };
    const { step } = nextStep(
      at({ stage: 'Sync', wave: 1, applied: 'all' }),
      view({ [db.key]: 'Progressing' }, T0, simple),
    );
    expect(step.type).toBe('prune');
  });

  it('PruneLast prunes after the PostSync hooks', () => {
    const v = { ...view(), pruneLast: true };
    const afterSync = nextStep(at({ stage: 'Sync', wave: 2, applied: 'all' }), v);
    expect(afterSync.step).toMatchObject({ type: 'startHooks', hookType: 'PostSync' });
    const afterPost = nextStep(
      at({ stage: 'PostSync', wave: 0, hooks: [hook(smoke, 'PostSync', 'Succeeded')] }),
      v,
    );
    expect(afterPost.step.type).toBe('prune');
  });

  it('CRDs of a wave must be Established before the rest of the wave applies', () => {
    const crd = res('CustomResourceDefinition', 'widgets.example.dev');
    const p: Plan = { resources: [crd, cm], hooks: [], createNamespaces: [] };
    const v = { ...view({}, T0, p), crdEstablished: () => false };
    expect(nextStep(at({ stage: 'Sync', wave: 0, applied: 'stage0' }), v).step.type).toBe('wait');
    expect(
      nextStep(at({ stage: 'Sync', wave: 0, applied: 'stage0' }), view({}, T0, p)).step,
    ).toMatchObject({ type: 'apply', stage0: false });
  });

  it('failed() in the SyncFail stage ends the operation instead of looping', () => {
    const p = failed(at({ stage: 'SyncFail', wave: 0, failure: 'first' }), 'second');
    expect(p).toMatchObject({ stage: 'Done', failure: 'first' });
  });

  it('hook records are keyed by type and object', () => {
    expect(hookRecordKey('PreSync', migrate.key)).not.toBe(hookRecordKey('PostSync', migrate.key));
  });
});
