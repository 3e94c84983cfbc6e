/**
 * Promotion by pull request (issue 12, item 3): when prod's Git target names a forge, the
 * Promotion pushes its commit to a branch of its own and opens a pull request (a GitHub-shaped
 * API on 127.0.0.1 backed by the real repository, src/delivery/promotion/testing/forge.ts);
 * prod's manifests on main stay as they were until a person merges it; then prod syncs the
 * digest and the step is Promoted. A missing or refused token stops the step with the reason,
 * and nothing reaches main.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Promotion } from '../../src/api/promotion.ts';
import { startForge, type Forge } from '../../src/delivery/promotion/testing/forge.ts';
import type { Kube } from '../../src/kube/api.ts';
import {
  createApp,
  createRepo,
  startController,
  syncedHealthy,
  waitApp,
  type TestRepo,
} from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { IMAGE, deployment, kustomization } from './promotion-fixtures.ts';

const ns = useNamespace('promote-pr');
const API = 'sluice.dev/v1alpha1';
const D0 = `sha256:${'0'.repeat(64)}`;
const D1 = `sha256:${'1'.repeat(64)}`;
const TOKEN = 'forge-t0ken';

let forge: Forge | undefined;
afterEach(async () => {
  await forge?.close();
  forge = undefined;
});

/** dev (run by CI) → prod by pull request; the token Secret holds `token` unless undefined. */
async function setUp(
  k: Kube,
  token: string | undefined,
): Promise<{ repo: TestRepo; forge: Forge }> {
  const repo = await createRepo({
    'envs/dev/kustomization.yaml': kustomization(D1),
    'envs/dev/deployment.yaml': deployment('dev'),
    'envs/prod/kustomization.yaml': kustomization(D0),
    'envs/prod/deployment.yaml': deployment('prod'),
  });
  await repo.git('config', 'receive.denyCurrentBranch', 'updateInstead');
  forge = await startForge({ dir: repo.dir, repo: 'team/deploy', token: TOKEN });
  if (token !== undefined)
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'forge', namespace: ns() },
      stringData: { token },
    });
  await startController(k, ns(), { promotions: true, pollIntervalMs: 60_000 });
  for (const env of ['dev', 'prod'])
    await createApp(
      k,
      ns(),
      {
        source: { repoURL: repo.url, targetRevision: 'main', path: `envs/${env}` },
        syncPolicy: { automated: {} },
      },
      `web-${env}`,
    );
  await k.create<Promotion>({
    apiVersion: API,
    kind: 'Promotion',
    metadata: { name: 'web', namespace: ns() },
    spec: {
      image: IMAGE,
      environments: [
        { name: 'dev', applications: ['web-dev'] },
        {
          name: 'prod',
          applications: ['web-prod'],
          git: {
            repoURL: repo.url,
            path: 'envs/prod',
            pullRequest: {
              github: {
                baseURL: forge.url,
                repository: 'team/deploy',
                tokenSecretRef: { name: 'forge', key: 'token' },
              },
            },
          },
        },
      ],
    },
  });
  return { repo, forge };
}

const prodStep = async (k: Kube) =>
  (await k.get<Promotion>(API, 'Promotion', ns(), 'web'))?.status?.environments?.find(
    (e) => e.name === 'prod',
  )?.candidate;

describe('Promotion by pull request', () => {
  it('pushes a branch, opens a pull request, and promotes once a person merges it', async () => {
    const k = await kube();
    const { repo, forge } = await setUp(k, TOKEN);
    const step = await eventually('prod Deploying with a pull request', async () => {
      const c = await prodStep(k);
      return c?.phase === 'Deploying' && c.pullRequest ? c : undefined;
    });
    const branch = 'sluice/promote/prod/sha256-111111111111';
    expect(forge.pulls).toEqual([
      expect.objectContaining({ number: 1, head: branch, base: 'main', state: 'open' }),
    ]);
    expect(forge.pulls[0]?.title).toBe(`promote ${IMAGE} sha256:111111111111 to prod`);
    expect(step.pullRequest).toEqual({
      number: 1,
      url: 'https://forge.test/team/deploy/pull/1',
    });
    expect(step.message).toContain('pull request #1');
    expect(step.commit).toBe(await repo.git('rev-parse', branch));
    // The branch has the edit; main does not, until the merge.
    expect(await repo.git('show', `${branch}:envs/prod/kustomization.yaml`)).toBe(
      kustomization(D1).trim(),
    );
    expect(await repo.git('show', 'main:envs/prod/kustomization.yaml')).toBe(
      kustomization(D0).trim(),
    );

    // A reconcile later changes nothing: one pull request, not one per look.
    await new Promise((r) => setTimeout(r, 2000));
    expect(forge.pulls).toHaveLength(1);

    await forge.merge(1);
    await k.mergePatch(
      { apiVersion: API, kind: 'Application', metadata: { namespace: ns(), name: 'web-prod' } },
      { metadata: { annotations: { 'sluice.dev/refresh': String(Date.now()) } } },
    );
    await waitApp(
      k,
      ns(),
      'web-prod',
      'prod on D1',
      (a) => syncedHealthy(a) && (a.status?.summary?.images ?? []).includes(`${IMAGE}@${D1}`),
    );
    await eventually('prod Promoted', async () =>
      (await prodStep(k))?.phase === 'Promoted' ? true : undefined,
    );
  });

  it('a missing token stops the step with the Secret named; a refused one with what the forge said; main untouched', async () => {
    const k = await kube();
    const { repo, forge } = await setUp(k, undefined);
    const ready = async () =>
      (await k.get<Promotion>(API, 'Promotion', ns(), 'web'))?.status?.conditions?.find(
        (c) => c.type === 'Ready',
      );
    const missing = await eventually('Ready False: no token Secret', async () => {
      const c = await ready();
      return c?.status === 'False' && c.message?.includes('token') ? c : undefined;
    });
    expect(missing.message).toContain(`no Secret ${ns()}/forge`);
    // Nothing pushed: no branch, no pull request.
    expect(await repo.git('branch', '--list', 'sluice/*')).toBe('');
    expect(forge.pulls).toEqual([]);

    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'forge', namespace: ns() },
      stringData: { token: 'wrong' },
    });
    const refused = await eventually('Ready False: the forge refused', async () => {
      const c = await ready();
      return c?.status === 'False' && c.message?.includes('401') ? c : undefined;
    });
    expect(refused.message).toContain('Bad credentials');
    expect(forge.unauthorized).toBeGreaterThan(0);
    expect(forge.pulls).toEqual([]);
    expect(await repo.git('show', 'main:envs/prod/kustomization.yaml')).toBe(
      kustomization(D0).trim(),
    );
  });
});
