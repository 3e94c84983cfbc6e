/**
 * A Promotion carries one image dev → staging → prod through real Git commits (issue 12, item
 * 3): the GitOps engine deploys each environment from its kustomization, the Promotion controller
 * (in the same controller) sees dev Healthy on a digest, writes it into staging's kustomization
 * (a commit in the repository, never forced), staging syncs and runs it; prod waits for a person
 * (`sluice promote approve prod`, as a user RBAC allows), then gets the same digest. A rejected
 * version stops with its reason and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Promotion } from '../../src/api/promotion.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import {
  createApp,
  createRepo,
  startController,
  waitApp,
  syncedHealthy,
  type TestRepo,
} from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { IMAGE, deployment, digest, kustomization } from './promotion-fixtures.ts';

const ns = useNamespace('promote');
const API = 'sluice.dev/v1alpha1';
const D0 = digest('0');
const D1 = digest('1');
const D2 = digest('2');
const ENVS = ['dev', 'staging', 'prod'] as const;

const sluice = (...args: string[]): Promise<ExecResult> =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    {
      timeoutMs: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );

async function setUp(
  k: Kube,
  gates: { prod: Promotion['spec']['environments'][number]['gates'] },
): Promise<TestRepo> {
  const files: Record<string, string> = {};
  for (const env of ENVS) {
    files[`envs/${env}/kustomization.yaml`] = kustomization(env === 'dev' ? D1 : D0);
    files[`envs/${env}/deployment.yaml`] = deployment(env);
  }
  const repo = await createRepo(files);
  // The test repository has a working tree: let pushes to its branch update it.
  await repo.git('config', 'receive.denyCurrentBranch', 'updateInstead');
  await startController(k, ns(), { promotions: true, pollIntervalMs: 60_000 });
  for (const env of ENVS)
    await createApp(
      k,
      ns(),
      {
        source: { repoURL: repo.url, targetRevision: 'main', path: `envs/${env}` },
        syncPolicy: { automated: {} },
      },
      `web-${env}`,
    );
  const git = (env: string) => ({ repoURL: repo.url, branch: 'main', path: `envs/${env}` });
  await k.create<Promotion>({
    apiVersion: API,
    kind: 'Promotion',
    metadata: { name: 'web', namespace: ns() },
    spec: {
      image: IMAGE,
      environments: [
        { name: 'dev', applications: ['web-dev'] },
        { name: 'staging', applications: ['web-staging'], git: git('staging') },
        { name: 'prod', applications: ['web-prod'], git: git('prod'), gates: gates.prod },
      ],
    },
  });
  return repo;
}

const promotion = async (k: Kube) => (await k.get<Promotion>(API, 'Promotion', ns(), 'web'))!;
const stepOf = (p: Promotion, env: string) =>
  p.status?.environments?.find((e) => e.name === env)?.candidate;

async function runs(k: Kube, env: string, d: string): Promise<void> {
  await waitApp(
    k,
    ns(),
    `web-${env}`,
    `${env} Synced and Healthy on ${d.slice(0, 14)}`,
    (a) => syncedHealthy(a) && (a.status?.summary?.images ?? []).includes(`${IMAGE}@${d}`),
  );
}

describe('Promotion', () => {
  it('dev → staging by itself, prod after `sluice promote approve`: each a commit of the same digest', async () => {
    const k = await kube();
    const repo = await setUp(k, { prod: { approval: true } });
    await runs(k, 'dev', D1);
    // staging: written by the controller, synced by the engine.
    await runs(k, 'staging', D1);
    const log = await repo.git('log', '--format=%s', '-n', '3');
    expect(log.split('\n')[0]).toBe(`promote ${IMAGE} sha256:111111111111 to staging`);
    const staged = await repo.git('show', 'HEAD:envs/staging/kustomization.yaml');
    expect(staged).toBe(kustomization(D1).trim()); // the comment kept, only the digest changed
    await eventually('staging Promoted, prod waiting for approval', async () => {
      const p = await promotion(k);
      return stepOf(p, 'staging')?.phase === 'Promoted' && stepOf(p, 'prod')?.phase === 'Waiting'
        ? p
        : undefined;
    });
    const table = await sluice('promote', 'status');
    expect(table.stdout).toMatch(
      /web +prod +sha256:000000000000 \(healthy [^)]+\) +sha256:111111111111 +Waiting +soak ✓, approval …/,
    );
    // Nothing goes to prod without a person.
    expect(await repo.git('show', 'HEAD:envs/prod/kustomization.yaml')).toBe(
      kustomization(D0).trim(),
    );

    const approved = await sluice('promote', 'approve', 'prod', '--reason', 'CHG-7');
    expect(approved.code, approved.stderr).toBe(0);
    await runs(k, 'prod', D1);
    const done = await eventually('prod Promoted', async () => {
      const p = await promotion(k);
      return stepOf(p, 'prod')?.phase === 'Promoted' ? p : undefined;
    });
    expect(stepOf(done, 'prod')?.commit).toBe(
      await repo.git('log', '-1', '--format=%H', '--', 'envs/prod'),
    );
    expect(done.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Promoted',
    });
    // Never forced: the history is a line of ordinary commits.
    expect((await repo.git('log', '--format=%s')).split('\n').slice(0, 2)).toEqual([
      `promote ${IMAGE} sha256:111111111111 to prod`,
      `promote ${IMAGE} sha256:111111111111 to staging`,
    ]);
  });

  it('a rejected version stops with who and why; a newer one starts again', async () => {
    const k = await kube();
    const repo = await setUp(k, { prod: { approval: true } });
    await eventually('prod waiting for approval', async () => {
      const p = await promotion(k);
      return stepOf(p, 'prod')?.phase === 'Waiting' ? true : undefined;
    });
    const rejected = await sluice('promote', 'reject', 'prod', '--reason', 'freeze');
    expect(rejected.code, rejected.stderr).toBe(0);
    const stopped = await eventually('prod Rejected', async () => {
      const p = await promotion(k);
      return stepOf(p, 'prod')?.phase === 'Rejected' ? p : undefined;
    });
    expect(stepOf(stopped, 'prod')?.message).toMatch(/gate approval: rejected by \S+: freeze/);
    expect(stopped.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PromotionRejected',
    });
    expect(await repo.git('show', 'HEAD:envs/prod/kustomization.yaml')).toBe(
      kustomization(D0).trim(),
    );
    // A new build in dev: it flows to staging and waits at prod again.
    await repo.commit({ 'envs/dev/kustomization.yaml': kustomization(D2) }, 'ci: dev runs D2');
    await k.mergePatch(
      { apiVersion: API, kind: 'Application', metadata: { namespace: ns(), name: 'web-dev' } },
      { metadata: { annotations: { 'sluice.dev/refresh': String(Date.now()) } } },
    );
    await runs(k, 'staging', D2);
    await eventually('prod waiting for D2', async () => {
      const p = await promotion(k);
      const c = stepOf(p, 'prod');
      return c?.phase === 'Waiting' && c.version === D2 ? true : undefined;
    });
  });
});
