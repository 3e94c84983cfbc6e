/** `sluice rollout get` and `list` rendered from fixture objects (testdata/*.yaml). */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../../api/analysis.ts';
import type { Rollout } from '../../api/rollout.ts';
import type { KubeObject } from '../../kube/types.ts';
import { treeOf, type Pod, type ReplicaSet, type RolloutTree } from './objects.ts';
import { age, renderList, renderRollout } from './render.ts';
import { rolloutView } from './view.ts';

const NOW = new Date('2030-01-01T12:00:30Z');

function fixture(name: string): RolloutTree {
  const text = readFileSync(new URL(`testdata/${name}.yaml`, import.meta.url), 'utf8');
  const objs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
  const of = <T>(kind: string): T[] => objs.filter((o) => o.kind === kind) as T[];
  const [rollout] = of<Rollout>('Rollout');
  if (!rollout) throw new Error(`${name} has no Rollout`);
  return treeOf(rollout, {
    replicaSets: of<ReplicaSet>('ReplicaSet'),
    pods: of<Pod>('Pod'),
    analysisRuns: of<AnalysisRun>('AnalysisRun'),
  });
}

describe('rollout get, canary paused at its first pause', () => {
  const tree = fixture('canary-paused');
  const view = rolloutView(tree);
  const text = renderRollout(view, NOW);

  it('summarises step, weights, images with their roles, replicas', () => {
    expect(view).toMatchObject({
      strategy: 'Canary',
      phase: 'Paused',
      step: { index: 1, count: 4 },
      setWeight: 20,
      actualWeight: 20,
      stale: false,
      replicas: { desired: 5, current: 5, updated: 1, ready: 5, available: 5 },
    });
    expect(text).toMatch(/Status:\s+Paused {2}CanaryPauseStep/);
    expect(text).toMatch(/Step:\s+1\/4/);
    expect(text).toMatch(/Set weight:\s+20/);
    expect(text).toMatch(/Actual weight:\s+20/);
    expect(text).toMatch(
      /Images:\s+localhost:5000\/sample-app:v1 \(stable\)\n\s+localhost:5000\/sample-app:v2 \(canary\)/,
    );
    expect(text).toContain('5 desired, 5 current, 1 updated, 5 ready, 5 available');
  });

  it('lists revisions newest first, each ReplicaSet with its role and pods', () => {
    expect(view.revisions.map((r) => r.revision)).toEqual([2, 1]);
    const lines = text.split('\n');
    const at = (s: string): number => lines.findIndex((l) => l.includes(s));
    expect(at('revision 2')).toBeLessThan(at('revision 1'));
    expect(text).toMatch(/├─ checkout-7c9f6d8b5 +ReplicaSet +Healthy +2m +canary, 1\/1 ready/);
    expect(text).toMatch(/│ {2}└─ checkout-7c9f6d8b5-q2x7k +Pod +Running +2m +ready 1\/1/);
    expect(text).toMatch(/checkout-5d4b8c7f9 +ReplicaSet +Healthy +60m +stable, 4\/4 ready/);
    expect(text).toMatch(
      /checkout-5d4b8c7f9-d3e4f +Pod +CrashLoopBackOff .*ready 0\/1, 5 restarts/,
    );
    expect(text).not.toContain('other-5d4b8c7f9');
  });

  it('shows the current analysis with its latest measurements, older runs on one line', () => {
    expect(text).toMatch(/└─ checkout-7c9f6d8b5-2-bg +AnalysisRun +Running +2m +current/);
    expect(text).toMatch(
      /success-rate +Metric +Running +3 ok 1 error; latest: \[0\.998\], Error: Prometheus unreachable, \[0\.997\]/,
    );
    expect(text).toMatch(/checkout-5d4b8c7f9-1-bg +AnalysisRun +Successful/);
    const old = text.split('checkout-5d4b8c7f9-1-bg')[1] ?? '';
    expect(old).not.toContain('Metric');
  });
});

describe('rollout get, blue-green aborted in preview', () => {
  const view = rolloutView(fixture('bluegreen-preview'));
  const text = renderRollout(view, NOW);

  it('names active and preview, has no weights, says the spec is not observed yet', () => {
    expect(view.strategy).toBe('BlueGreen');
    expect(view.setWeight).toBeUndefined();
    expect(view.step).toBeUndefined();
    expect(view.stale).toBe(true);
    expect(text).toMatch(/billing-hash3 +ReplicaSet +Healthy +stable, active, 2\/2 ready/);
    expect(text).toMatch(/billing-hash4 +ReplicaSet +Healthy +preview, 2\/2 ready/);
    expect(text).toMatch(/billing-hash2 +ReplicaSet +ScaledDown +0\/0 ready/);
    expect(text).toContain('registry.local/billing:3.0 (stable, active)');
    expect(text).not.toContain('billing:2.0');
    expect(text).toContain('spec changed');
  });

  it('shows why it failed: the run, the failing value, the Progressing condition', () => {
    expect(text).toMatch(/Status:\s+Degraded {2}RolloutAborted: success-rate 0.91 < 0.99/);
    expect(text).toMatch(/billing-hash4-4-pre +AnalysisRun +Failed +current; success-rate 0.91/);
    expect(text).toMatch(/latest: 0.995, 0.91 \(Failed\)/);
    expect(text).toMatch(/Progressing:\s+Rollout aborted update to revision 4/);
  });
});

describe('rollout list', () => {
  const ros = [fixture('canary-paused').rollout, fixture('bluegreen-preview').rollout];

  it('has the columns kubectl argo rollouts users know', () => {
    const text = renderList(ros, false);
    expect(text).toMatch(
      /^NAME +STRATEGY +STATUS +STEP +SET-WEIGHT +READY +DESIRED +UP-TO-DATE +AVAILABLE\n/,
    );
    expect(text).toMatch(/checkout +Canary +Paused +1\/4 +20 +5\/5 +5 +1 +5/);
    expect(text).toMatch(/billing +BlueGreen +Degraded +- +- +4\/2 +2 +2 +4/);
  });

  it('puts NAMESPACE first with -A', () => {
    expect(renderList(ros, true)).toMatch(/^NAMESPACE +NAME[^\n]*\nshop +checkout/);
  });
});

describe('age', () => {
  it.each([
    ['2030-01-01T12:00:25Z', '5s'],
    ['2030-01-01T11:58:00Z', '2m'],
    ['2030-01-01T09:00:00Z', '3h'],
    ['2029-12-25T12:00:00Z', '7d'],
    [undefined, ''],
  ])('%s -> %s', (since, expected) => {
    expect(age(since, NOW)).toBe(expected);
  });
});
