/** The promotion planner: what to write, what waits and why, from what environments run. */
import { describe, expect, it } from 'vitest';
import type { Approval, Environment, Promotion } from '../../api/promotion.ts';
import {
  planPromotion,
  viewEnv,
  type AppObservation,
  type EnvObservation,
  type RolloutObservation,
} from './plan.ts';

const REPO = 'localhost:5000/team/web';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const NOW = Date.parse('2026-12-01T10:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

const app = (name: string, digest: string, over: Partial<AppObservation> = {}): AppObservation => ({
  name,
  found: true,
  sync: 'Synced',
  health: 'Healthy',
  images: [`${REPO}:abc@${digest}`, 'localhost:5000/sidecar:1'],
  ...over,
});
const env = (apps: AppObservation[], rollouts: RolloutObservation[] = []): EnvObservation => ({
  apps,
  rollouts,
});
const rollout = (
  digest: string,
  phase: RolloutObservation['phase'],
  analysis: RolloutObservation['analysis'],
): RolloutObservation => ({ name: 'web', images: [`${REPO}@${digest}`], phase, analysis });

function promotion(
  envs: Array<Partial<Environment>>,
  over: Partial<Promotion['spec']> = {},
  status?: Promotion['status'],
): Promotion {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Promotion',
    metadata: { name: 'web', namespace: 'delivery' },
    spec: {
      image: REPO,
      environments: envs.map((e, i) => ({
        name: ['dev', 'staging', 'prod'][i]!,
        applications: [],
        ...e,
      })),
      ...over,
    },
    ...(status ? { status } : {}),
  };
}

/** dev and staging Healthy for `devSince`: dev on D2 (new), staging on D1. */
const healthy = (devSince: number) => ({
  environments: [
    { name: 'dev', current: { image: `${REPO}:abc@${D2}`, version: D2, since: ago(devSince) } },
  ],
});
const approval = (decision: Approval['decision'], version = D2): Approval => ({
  environment: 'staging',
  digest: version,
  decision,
  user: 'alice',
  time: ago(1),
});

describe('viewEnv', () => {
  it.each<[string, EnvObservation, string, string | undefined]>([
    ['all Synced and Healthy', env([app('a', D1), app('b', D1)]), 'Healthy', D1],
    [
      'an app missing',
      env([app('a', D1), app('b', D1, { found: false, images: [] })]),
      'Missing',
      D1,
    ],
    ['an app OutOfSync', env([app('a', D1, { sync: 'OutOfSync' })]), 'OutOfSync', D1],
    ['an app Degraded', env([app('a', D1, { health: 'Degraded' })]), 'Degraded', D1],
    ['an app Progressing', env([app('a', D2, { health: 'Progressing' })]), 'Progressing', D2],
    ['two versions', env([app('a', D1), app('b', D2)]), 'Mixed', undefined],
    ['not running the image', env([app('a', D1, { images: ['other:1'] })]), 'Missing', undefined],
  ])('%s', (_what, o, state, version) => {
    const v = viewEnv(REPO, o);
    expect(v.state).toBe(state);
    expect(v.current?.version).toBe(version);
  });
});

describe('planPromotion', () => {
  const two = (gates: Environment['gates'] = {}) => [{}, { gates }];

  it('writes the version dev runs into staging when its gates pass', () => {
    const p = promotion(two());
    const plan = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(plan.writes).toEqual([
      { environment: 'staging', image: `${REPO}:abc@${D2}`, version: D2 },
    ]);
    expect(plan.environments[1]?.candidate?.phase).toBe('Promoting');
    expect(plan.environments[0]?.current?.since).toBe(new Date(NOW).toISOString());
  });

  it('waits for the soak, and says when to look again', () => {
    const p = promotion(two({ soak: '5m' }), {}, healthy(60));
    const plan = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(plan.writes).toEqual([]);
    expect(plan.environments[1]?.candidate).toMatchObject({ phase: 'Waiting', version: D2 });
    expect(plan.environments[1]?.candidate?.message).toMatch(/240 s of soak left/);
    expect(plan.requeueAfterMs).toBe(240_000);
    const later = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW + 240_000);
    expect(later.writes).toHaveLength(1);
  });

  it('does nothing while dev is not Healthy on a version', () => {
    const p = promotion(two());
    const plan = planPromotion(
      p,
      [env([app('dev', D2, { health: 'Progressing' })]), env([app('stg', D1)])],
      NOW,
    );
    expect(plan.writes).toEqual([]);
    expect(plan.environments[1]?.candidate).toBeUndefined();
    expect(plan.environments[0]?.current).toEqual({ image: `${REPO}:abc@${D2}`, version: D2 });
  });

  it.each<[string, Approval[], string, number]>([
    ['no approval yet', [], 'Waiting', 0],
    ['approved', [approval('Approved')], 'Promoting', 1],
    ['rejected', [approval('Rejected')], 'Rejected', 0],
    ['approved for another version', [approval('Approved', D1)], 'Waiting', 0],
    ['rejected, then approved', [approval('Rejected'), approval('Approved')], 'Promoting', 1],
  ])('approval gate: %s', (_what, approvals, phase, writes) => {
    const p = promotion(two({ approval: true }), { approvals }, healthy(10));
    const plan = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(plan.environments[1]?.candidate?.phase).toBe(phase);
    expect(plan.writes).toHaveLength(writes);
  });

  it.each<[string, RolloutObservation[], string]>([
    ['promoted with analysis passed', [rollout(D2, 'Healthy', 'Successful')], 'Promoting'],
    ['still stepping', [rollout(D2, 'Paused', 'Running')], 'Waiting'],
    ['aborted', [rollout(D2, 'Aborted', 'Failed')], 'Failed'],
    ['no Rollout on it', [rollout(D1, 'Healthy', 'Successful')], 'Waiting'],
    ['promoted without any analysis', [rollout(D2, 'Healthy', 'None')], 'Failed'],
  ])('analysis gate: %s', (_what, rollouts, phase) => {
    const p = promotion(two({ analysis: true }), {}, healthy(10));
    const plan = planPromotion(p, [env([app('dev', D2)], rollouts), env([app('stg', D1)])], NOW);
    expect(plan.environments[1]?.candidate?.phase).toBe(phase);
  });

  it('a rejected version stays stopped; a newer one starts again', () => {
    const stopped = {
      environments: [
        healthy(10).environments[0]!,
        {
          name: 'staging',
          candidate: {
            image: `${REPO}@${D2}`,
            version: D2,
            phase: 'Rejected' as const,
            message: 'no',
          },
        },
      ],
    };
    const p = promotion(two(), {}, stopped);
    expect(planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW).writes).toEqual(
      [],
    );
    const D3 = `sha256:${'3'.repeat(64)}`;
    expect(
      planPromotion(p, [env([app('dev', D3)]), env([app('stg', D1)])], NOW).writes,
    ).toHaveLength(1);
  });

  it('follows a written version until the environment runs it Healthy (or Degraded)', () => {
    const written = {
      environments: [
        healthy(10).environments[0]!,
        {
          name: 'staging',
          candidate: {
            image: `${REPO}@${D2}`,
            version: D2,
            phase: 'Deploying' as const,
            commit: 'c0ffee',
          },
        },
      ],
    };
    const p = promotion(two(), {}, written);
    const syncing = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(syncing.writes).toEqual([]);
    expect(syncing.environments[1]?.candidate).toMatchObject({
      phase: 'Deploying',
      commit: 'c0ffee',
    });
    const rolling = planPromotion(
      p,
      [env([app('dev', D2)]), env([app('stg', D2, { health: 'Progressing' })])],
      NOW,
    );
    expect(rolling.environments[1]?.candidate).toMatchObject({
      phase: 'Deploying',
      commit: 'c0ffee',
    });
    const done = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D2)])], NOW);
    expect(done.environments[1]?.candidate).toMatchObject({ phase: 'Promoted', commit: 'c0ffee' });
    const broken = planPromotion(
      p,
      [env([app('dev', D2)]), env([app('stg', D2, { health: 'Degraded' })])],
      NOW,
    );
    expect(broken.environments[1]?.candidate?.phase).toBe('Failed');
  });

  it('suspended: nothing is written', () => {
    const p = promotion(two(), { suspend: true });
    const plan = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(plan.writes).toEqual([]);
    expect(plan.environments[1]?.candidate?.message).toBe('suspended');
  });

  it('three environments: prod waits for staging, one step at a time', () => {
    const D0 = `sha256:${'0'.repeat(64)}`;
    const p = promotion([{}, {}, { gates: { approval: true } }]);
    const plan = planPromotion(
      p,
      [env([app('dev', D2)]), env([app('stg', D1)]), env([app('prod', D0)])],
      NOW,
    );
    expect(plan.writes.map((w) => w.environment)).toEqual(['staging']);
    expect(plan.environments[2]?.candidate).toMatchObject({ phase: 'Waiting', version: D1 });
    expect(plan.environments[2]?.candidate?.message).toMatch(/sluice promote approve prod/);
    const caughtUp = planPromotion(
      p,
      [env([app('dev', D2)]), env([app('stg', D1)]), env([app('prod', D1)])],
      NOW,
    );
    expect(caughtUp.environments[2]?.candidate?.phase).toBe('Promoted');
  });

  it('keeps `since` while the version stays Healthy, resets it on a new one', () => {
    const p = promotion(two({ soak: '1h' }), {}, healthy(600));
    const same = planPromotion(p, [env([app('dev', D2)]), env([app('stg', D1)])], NOW);
    expect(same.environments[0]?.current?.since).toBe(ago(600));
    const next = planPromotion(p, [env([app('dev', D1)]), env([app('stg', D1)])], NOW);
    expect(next.environments[0]?.current?.since).toBe(new Date(NOW).toISOString());
  });
});
