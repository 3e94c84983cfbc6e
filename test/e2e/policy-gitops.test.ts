/**
 * Policies in GitOps syncs, as a user meets them: an Enforce ClusterPolicy in the cluster, an
 * app whose new commit has a Deployment violating it. The revision applies nothing (its changed
 * ConfigMap stays as it was), the app says Ready=False PolicyViolation naming the policy, the
 * rule, the object and the policy's message; the fixing commit syncs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import { CLUSTER_POLICY_KIND, POLICY_API_VERSION } from '../../src/api/policy.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { eventually, kube, uniqueName, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('pol-git');
let policyName = '';

afterEach(async () => {
  const k = await kube();
  if (policyName)
    await k.delete({
      apiVersion: POLICY_API_VERSION,
      kind: CLUSTER_POLICY_KIND,
      metadata: { name: policyName },
    });
  policyName = '';
});

/** Refresh as a push webhook would. */
async function refresh(namespace: string, name: string): Promise<void> {
  await (
    await kube()
  ).mergePatch(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace } },
    { metadata: { annotations: { 'sluice.dev/refresh': String(Date.now()) } } },
  );
}

/** Enforce: Deployments' pods carry a `team` label; only in `namespace` (a shared cluster). */
const requireTeam = (name: string, namespace: string): KubeObject => ({
  apiVersion: POLICY_API_VERSION,
  kind: CLUSTER_POLICY_KIND,
  metadata: { name },
  spec: {
    validationFailureAction: 'Enforce',
    rules: [
      {
        name: 'team-label',
        match: { any: [{ resources: { kinds: ['Pod'], namespaces: [namespace] } }] },
        validate: {
          message: 'pods need a "team" label',
          pattern: { metadata: { labels: { team: '?*' } } },
        },
      },
    ],
  },
});

const web = (labels: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web${labels} } }
    spec:
      containers: [{ name: main, image: nginx:1.27 }]
`;

describe('the GitOps policy gate', () => {
  it('a revision violating an Enforce policy applies nothing and says why; the fix syncs', async () => {
    const k = await kube();
    const controller = await startController(k, ns(), { policies: true });
    policyName = uniqueName('require-team');
    await k.create(requireTeam(policyName, ns()));
    // The controller compiled it (its status says so) before the app is looked at.
    await eventually('the policy is Ready', async () => {
      const p = await k.get(POLICY_API_VERSION, CLUSTER_POLICY_KIND, undefined, policyName);
      const ready = (
        p?.['status'] as { conditions?: Array<{ type: string; status: string }> }
      )?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? true : undefined;
    });
    expect(controller.policies?.policies().map((p) => p.name)).toContain(policyName);

    const repo = await createRepo({
      'app/settings.yaml': configMap('settings', { color: 'blue' }),
      'app/web.yaml': web(', team: shop'),
    });
    const app = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), app, 'first sync', syncedHealthy, 90_000);

    // The violating commit changes the ConfigMap too: none of it is applied.
    const bad = await repo.commit({
      'app/settings.yaml': configMap('settings', { color: 'red' }),
      'app/web.yaml': web(''),
    });
    await refresh(ns(), app);
    const refused = await waitApp(k, ns(), app, 'Ready=False PolicyViolation', (a) =>
      (a.status?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'False' && c.reason === 'PolicyViolation',
      ),
    );
    const ready = refused.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toBe(
      `revision ${bad.slice(0, 7)} violates Enforce policies; nothing of it was applied:\n` +
        `- policy ${policyName}, rule team-label: Deployment/${ns()}/web: pods need a "team" label (at /spec/template/metadata/labels/team)\n` +
        '  hint: fix the objects in Git (or the policy); the next commit is checked again',
    );
    const cm = await k.get('v1', 'ConfigMap', ns(), 'settings');
    expect(cm?.['data']).toEqual({ color: 'blue' });

    // The fix: the same ConfigMap change with a compliant Deployment syncs.
    const fixed = await repo.commit({ 'app/web.yaml': web(', team: shop') });
    await refresh(ns(), app);
    await waitApp(
      k,
      ns(),
      app,
      'synced at the fixing commit',
      (a) => a.status?.sync?.revision === fixed && syncedHealthy(a),
      90_000,
    );
    expect((await k.get('v1', 'ConfigMap', ns(), 'settings'))?.['data']).toEqual({ color: 'red' });
  }, 240_000);
  it('relaxing the policy (Enforce to Audit) lets the refused revision sync without a commit', async () => {
    const k = await kube();
    await startController(k, ns(), { policies: true });
    policyName = uniqueName('require-team');
    await k.create(requireTeam(policyName, ns()));
    const repo = await createRepo({
      'app/settings.yaml': configMap('settings', { color: 'blue' }),
      'app/web.yaml': web(''),
    });
    const app = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), app, 'Ready=False PolicyViolation', (a) =>
      (a.status?.conditions ?? []).some((c) => c.reason === 'PolicyViolation'),
    );
    expect(await k.get('v1', 'ConfigMap', ns(), 'settings')).toBeUndefined();
    await k.mergePatch(
      { apiVersion: POLICY_API_VERSION, kind: CLUSTER_POLICY_KIND, metadata: { name: policyName } },
      { spec: { validationFailureAction: 'Audit' } },
    );
    // Sooner than the 60 s a refused app waits: the policy change re-queues it.
    await waitApp(k, ns(), app, 'synced once the policy audits', syncedHealthy, 20_000);
  }, 120_000);
});
