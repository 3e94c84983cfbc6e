/**
 * The controller's HTTP side: a signed push webhook refreshes exactly the apps it touches (a bad
 * signature is 401 and refreshes nothing), polling picks up commits without any webhook, and
 * /metrics exposes the Prometheus series dashboards use.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.ts';
import { refreshByAnnotation, refreshTriggers } from '../../src/server/standalone.ts';
import { silentLogger } from '../../src/util/log.ts';
import { kube, useNamespace } from './harness.ts';
import {
  application,
  appName,
  configMap,
  createApp,
  createRepo,
  getApp,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('server');
const SECRET = 'push-secret';
const sign = (body: string, secret = SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: { refreshed?: string[]; error?: string } }> {
  const res = await fetch(`${url}/api/webhook`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return {
    status: res.status,
    json: (await res.json()) as { refreshed?: string[]; error?: string },
  };
}

describe('webhooks, polling and metrics', () => {
  it('a signed push refreshes only the matching apps; a bad signature refreshes nothing', async () => {
    const k = await kube();
    const repoA = await createRepo({ 'app/cm.yaml': configMap('a', { v: '1' }) });
    const repoB = await createRepo({ 'app/cm.yaml': configMap('b', { v: '1' }) });
    const controller = await startController(k, ns(), {
      listen: { host: '127.0.0.1', port: 0 },
      webhookSecrets: { generic: SECRET, github: SECRET },
    });
    const a = appName('a');
    const b = appName('b');
    for (const [name, repo] of [
      [a, repoA],
      [b, repoB],
    ] as const) {
      await k.create(
        application(ns(), name, {
          source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: {} },
        }),
      );
      await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    }
    const url = controller.url ?? '';

    // Bad signature: 401, nothing refreshed, the new commit stays unseen.
    const next = await repoA.commit({ 'app/cm.yaml': configMap('a', { v: '2' }) });
    const push = JSON.stringify({ repository: repoA.url, ref: 'refs/heads/main' });
    const refused = await post(url, push, { 'x-sluice-signature': sign(push, 'wrong') });
    expect(refused.status).toBe(401);
    await sleep(1000);
    expect((await getApp(k, ns(), a))?.status?.sync?.revision).not.toBe(next);

    // Signed (generic format): A refreshes and syncs the commit; B is untouched.
    const t = Date.now();
    const ok = await post(url, push, { 'x-sluice-signature': sign(push) });
    expect(ok.status).toBe(200);
    expect(ok.json.refreshed).toEqual([`${ns()}/${a}`]);
    await waitApp(
      k,
      ns(),
      a,
      'synced at the pushed commit',
      (x) => x.status?.sync?.revision === next && syncedHealthy(x),
    );
    expect(Date.now() - t).toBeLessThan(3000);

    // GitHub format, other branch: matches nothing.
    const gh = JSON.stringify({
      ref: 'refs/heads/feature',
      repository: { clone_url: repoA.url, default_branch: 'main' },
    });
    const other = await post(url, gh, {
      'x-github-event': 'push',
      'x-hub-signature-256': sign(gh),
    });
    expect(other.json.refreshed).toEqual([]);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      `sluice_app_info{name="${a}",namespace="${ns()}",sync_status="Synced",health_status="Healthy"} 1`,
    );
    expect(metrics).toMatch(
      new RegExp(
        `sluice_app_sync_total\\{name="${a}",namespace="${ns()}",phase="Succeeded"\\} [2-9]`,
      ),
    );
    expect(metrics).toMatch(/sluice_k8s_request_total\{verb="apply",code="20[01]"\} \d+/);
    expect(metrics).toMatch(/sluice_k8s_request_total\{verb="dryrun",code="20[01]"\} \d+/);
    expect(metrics).toMatch(/sluice_git_request_total\{op="fetch"\} [1-9]/);
    expect(metrics).toMatch(/sluice_app_reconcile_duration_seconds_bucket\{le="\+Inf"\} [1-9]/);
    expect(metrics).toContain('sluice_workqueue_depth');
    expect(metrics).toMatch(/sluice_process_resident_memory_bytes \d+/);
  });

  it('polls each repository when no webhook comes', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/cm.yaml': configMap('p', { v: '1' }) });
    await startController(k, ns(), { pollIntervalMs: 1500 });
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    const next = await repo.commit({ 'app/cm.yaml': configMap('p', { v: '2' }) });
    await waitApp(
      k,
      ns(),
      name,
      'the polled commit',
      (x) => x.status?.sync?.revision === next && syncedHealthy(x),
      10_000,
    );
  });

  it('`sluice server` apart from the controller: a push marks the app, the controller fetches', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/cm.yaml': configMap('s', { v: '1' }) });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    // A Trigger on the same repository (no controller runs Triggers here: the mark is the point).
    await k.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Trigger',
      metadata: { name: 'ci', namespace: ns() },
      spec: {
        repoURL: repo.url,
        branches: ['main'],
        pollInterval: '0s',
        template: { spec: { pipelineRef: { name: 'ci' } } },
      },
    });
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      webhookSecrets: { generic: SECRET },
      onPush: async (event) => [
        ...(await refreshByAnnotation(k, event, [ns()])),
        ...(await refreshTriggers(k, event)),
      ],
      log: silentLogger,
    });
    try {
      const next = await repo.commit({ 'app/cm.yaml': configMap('s', { v: '2' }) });
      const push = JSON.stringify({ repository: repo.url, ref: 'refs/heads/main' });
      const r = await post(server.url, push, { 'x-sluice-signature': sign(push) });
      expect(r.json.refreshed).toEqual([`${ns()}/${name}`, `Trigger/${ns()}/ci`]);
      const trigger = await k.get('sluice.dev/v1alpha1', 'Trigger', ns(), 'ci');
      expect(trigger?.metadata.annotations?.['sluice.dev/refresh']).toBeDefined();
      await waitApp(
        k,
        ns(),
        name,
        'synced at the pushed commit',
        (x) => x.status?.sync?.revision === next && syncedHealthy(x),
      );
    } finally {
      await server.close();
    }
  });
});
