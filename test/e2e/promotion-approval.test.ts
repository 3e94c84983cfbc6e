/**
 * Who may approve a promotion (issue 12, items 3 and 9), decided by the real API server: the
 * admission policy installed with the CRDs lets only users whom RBAC allows `update` on
 * `promotions/approval` change `spec.approvals`, and only in their own name. Users are real client
 * certificates of the dev cluster's CA; `sluice promote approve|reject|status` runs as each.
 */
import { describe, expect, it } from 'vitest';
import type { Promotion } from '../../src/api/promotion.ts';
import { Kube } from '../../src/kube/api.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import { kube, useNamespace } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';
import { grant, userKubeconfig } from './users-harness.ts';

const ns = useNamespace('promo');
const API = 'sluice.dev/v1alpha1';
const D = `sha256:${'7'.repeat(64)}`;

const sluice = (kubeconfig: string, ...args: string[]): Promise<ExecResult> =>
  execFile(process.execPath, ['bin/sluice.js', ...args, '--kubeconfig', kubeconfig, '-n', ns()], {
    timeoutMs: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });

const EDIT = {
  apiGroups: ['sluice.dev'],
  resources: ['promotions'],
  verbs: ['get', 'list', 'update', 'patch'],
};
const APPROVE = {
  apiGroups: ['sluice.dev'],
  resources: ['promotions/approval'],
  verbs: ['update'],
};

/** A Promotion whose prod step waits for a person (its status as the controller writes it). */
async function waitingForApproval(k: Kube): Promise<void> {
  await k.create<Promotion>({
    apiVersion: API,
    kind: 'Promotion',
    metadata: { name: 'web', namespace: ns() },
    spec: {
      image: 'localhost:5000/team/web',
      environments: [
        { name: 'staging', applications: ['web-staging'] },
        { name: 'prod', applications: ['web-prod'], gates: { approval: true } },
      ],
    },
  });
  const p = (await k.get<Promotion>(API, 'Promotion', ns(), 'web'))!;
  await k.update(
    {
      ...p,
      status: {
        environments: [
          { name: 'staging', current: { image: `localhost:5000/team/web@${D}`, version: D } },
          {
            name: 'prod',
            candidate: {
              image: `localhost:5000/team/web@${D}`,
              version: D,
              phase: 'Waiting',
              gates: [
                { name: 'soak', state: 'Passed' },
                {
                  name: 'approval',
                  state: 'Pending',
                  message: 'waiting for `sluice promote approve prod`',
                },
              ],
              message: 'approval: waiting for `sluice promote approve prod`',
            },
          },
        ],
      },
    },
    { subresource: 'status' },
  );
}

describe('promotion approvals', () => {
  it('only users RBAC allows on promotions/approval approve, each in their own name', async () => {
    const k = await kube();
    await ensureCrds(k);
    await waitingForApproval(k);
    const [bob, carol] = await Promise.all([userKubeconfig('bob'), userKubeconfig('carol')]);
    await grant(k, ns(), 'bob', [EDIT]);
    await grant(k, ns(), 'carol', [EDIT, APPROVE]);

    // bob may edit the Promotion, not approve it.
    const refused = await sluice(bob, 'promote', 'approve', 'prod');
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stderr).toContain(
      `Promotion ${ns()}/web: bob may not approve or reject (RBAC: update on promotions/approval in namespace ${ns()} is needed)`,
    );
    const asBob = await Kube.connect(bob);
    try {
      const p = (await asBob.get<Promotion>(API, 'Promotion', ns(), 'web'))!;
      await asBob.update({ ...p, spec: { ...p.spec, suspend: true } });
    } finally {
      await asBob.close();
    }

    const table = await sluice(carol, 'promote', 'status');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/web +prod +- +sha256:777777777777 +Waiting +soak ✓, approval …/);

    const approved = await sluice(carol, 'promote', 'approve', 'prod', '--reason', 'CHG-1');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(
      `Approved sha256:777777777777 for prod of Promotion/${ns()}/web (as carol)\n`,
    );
    const after = (await k.get<Promotion>(API, 'Promotion', ns(), 'web'))!;
    expect(after.spec.suspend).toBe(true);
    expect(after.spec.approvals).toEqual([
      expect.objectContaining({
        environment: 'prod',
        digest: D,
        decision: 'Approved',
        user: 'carol',
        reason: 'CHG-1',
      }),
    ]);

    // Nobody approves in someone else's name, not even with the rights.
    const asCarol = await Kube.connect(carol);
    try {
      const forged = {
        ...after.spec.approvals![0]!,
        user: 'alice',
        time: new Date().toISOString(),
      };
      const err = await asCarol
        .update({
          ...after,
          spec: { ...after.spec, approvals: [...after.spec.approvals!, forged] },
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).message).toContain(
        'an approval must name its author (user: carol)',
      );
    } finally {
      await asCarol.close();
    }

    const json = JSON.parse(
      (await sluice(carol, 'promote', 'status', 'web', '-o', 'json')).stdout,
    ) as Promotion;
    expect(json.spec.approvals).toHaveLength(1);
    const none = await sluice(carol, 'promote', 'reject', 'staging');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`Promotion/${ns()}/web: nothing waits for approval in staging`);
    const missing = await sluice(carol, 'promote', 'approve', 'qa');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('has no environment qa');
  });
});
