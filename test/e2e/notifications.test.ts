/**
 * Notifications against the dev cluster with real HTTP receivers on 127.0.0.1: a PipelineRun
 * failing on the real node (signed JSON to a webhook, text to Slack), an Application synced by
 * the GitOps engine (commit statuses on fake GitHub and GitLab APIs), retries (500, 500, 200:
 * delivered once; a 400: not retried, the reason in the status), a receiver that hangs (syncs
 * and other destinations go on), a Rollout's pause, abort and completion (statuses written as its
 * controller writes them), and a restart (nothing sent twice, nothing from before the
 * Notification was created).
 */
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import type {
  Notification,
  NotificationSpec,
  NotificationStatus,
} from '../../src/api/notification.ts';
import type { PipelineRun, PipelineRunStatus } from '../../src/api/pipeline.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import { NotificationController } from '../../src/delivery/notifications/controller.ts';
import { startReceiver, type Receiver } from '../../src/delivery/notifications/testing/receiver.ts';
import type { Kube } from '../../src/kube/api.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import {
  configMap,
  createApp,
  createRepo,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { condition, finished, startPipelines } from './pipeline-harness.ts';
import { BUSYBOX, ensureCrds, onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('notif');
const API = 'sluice.dev/v1alpha1';
const log = process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger;
const FAST_RETRY = { limit: 3, backoff: { duration: '100ms', factor: 2, maxDuration: '1s' } };

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  onTestFinished(() => r.close());
  return r;
}

/** The notification controller for the test's namespace, leading; stopped after the test. */
async function startNotifications(
  k: Kube,
): Promise<{ c: NotificationController; stop: () => Promise<void> }> {
  await ensureCrds(k);
  const c = new NotificationController({
    kube: k,
    log,
    namespace: ns(),
    appNamespaces: [ns()],
    workloadNamespaces: [ns()],
  });
  await c.start();
  const leader = new AbortController();
  c.startLeading(leader.signal);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await c.stop();
    leader.abort();
  };
  onTestFinished(stop);
  return { c, stop };
}

async function createNotification(k: Kube, spec: NotificationSpec, name = 'n'): Promise<void> {
  await k.create({
    apiVersion: API,
    kind: 'Notification',
    metadata: { name, namespace: ns() },
    spec,
  });
}

async function secret(k: Kube, name: string, data: Record<string, string>): Promise<void> {
  await k.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns() },
    stringData: data,
  });
}

function notificationStatus(k: Kube, name = 'n'): Promise<NotificationStatus | undefined> {
  return k.get<Notification>(API, 'Notification', ns(), name).then((n) => n?.status);
}

/** Waits until `r` has received `n` requests. */
function received(r: Receiver, n: number, what: string, ms = 30_000): Promise<true> {
  return eventually(
    `${what}: ${n} request(s) (got ${r.requests.length})`,
    async () => (r.requests.length >= n ? true : undefined),
    ms,
  );
}

const SHA = 'c0ffee0000000000000000000000000000000001';

/** A PipelineRun whose status is written here as its controller would (status subresource). */
async function runWithStatus(k: Kube, name: string, status: PipelineRunStatus): Promise<void> {
  const pr = await k.create<PipelineRun>({
    apiVersion: API,
    kind: 'PipelineRun',
    metadata: { name, namespace: ns() },
    spec: { pipelineRef: { name: 'ci' }, params: [{ name: 'revision', value: SHA }] },
  });
  await k.mergePatch(pr, { status }, { subresource: 'status' });
}

const failedStatus = (at: Date, reason = 'Failed'): PipelineRunStatus => ({
  startTime: new Date(at.getTime() - 30_000).toISOString(),
  completionTime: at.toISOString(),
  conditions: [
    {
      type: 'Succeeded',
      status: 'False',
      reason,
      message: 'Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0',
      lastTransitionTime: at.toISOString(),
    },
  ],
});

describe('notifications', () => {
  beforeEach(async () => {
    await ensureCrds(await kube());
  });

  it('a PipelineRun failing on the real node: signed JSON to the webhook, text to Slack', async () => {
    const k = await kube();
    const hook = await receiver();
    const slack = await receiver();
    await secret(k, 'hook', { hmac: 'hook-key' });
    await secret(k, 'slack', { url: `${slack.url}/services/T0/B0/secret` });
    await createNotification(k, {
      triggers: [{ name: 'ci-failed', events: ['pipelinerun-failed'], send: ['ci'] }],
      destinations: [
        {
          name: 'hook',
          webhook: { url: `${hook.url}/ci`, secretRef: { name: 'hook', key: 'hmac' } },
        },
        { name: 'chat', slack: { urlSecretRef: { name: 'slack', key: 'url' } } },
      ],
      templates: [
        {
          name: 'ci',
          message:
            ':x: {{ .object.name }} failed at {{ .revisionShort }} ({{ .reason }}): {{ .message }}',
        },
      ],
    });
    await startNotifications(k);
    await startPipelines(k, ns());
    await k.create<PipelineRun>({
      apiVersion: API,
      kind: 'PipelineRun',
      metadata: { name: 'build-1', namespace: ns() },
      spec: {
        params: [{ name: 'revision', value: SHA }],
        taskRunTemplate: { podTemplate: onRealNode },
        pipelineSpec: {
          params: [{ name: 'revision' }],
          tasks: [
            {
              name: 'test',
              taskSpec: {
                steps: [{ name: 'run', image: BUSYBOX, script: 'echo testing; exit 3' }],
              },
            },
          ],
        },
      },
    });
    const run = await finished(k, ns(), 'build-1', 120_000);
    expect(condition(run)?.status).toBe('False');
    await received(hook, 1, 'webhook');
    await received(slack, 1, 'slack');

    const [req] = hook.requests;
    expect(req?.path).toBe('/ci');
    const signature = `sha256=${createHmac('sha256', 'hook-key')
      .update(req?.body ?? '')
      .digest('hex')}`;
    expect(req?.headers['x-sluice-signature']).toBe(signature);
    expect(req?.headers['x-sluice-event']).toBe('pipelinerun-failed');
    expect(JSON.parse(req?.body ?? '')).toMatchObject({
      type: 'pipelinerun-failed',
      object: { kind: 'PipelineRun', namespace: ns(), name: 'build-1' },
      revision: SHA,
      reason: condition(run)?.reason,
      message: condition(run)?.message,
      trigger: 'ci-failed',
      text: `:x: build-1 failed at c0ffee0 (${condition(run)?.reason}): ${condition(run)?.message}`,
    });
    expect(slack.requests[0]?.path).toBe('/services/T0/B0/secret');
    expect(slack.json()).toEqual([
      {
        text: `:x: build-1 failed at c0ffee0 (${condition(run)?.reason}): ${condition(run)?.message}`,
      },
    ]);

    const status = await eventually('both deliveries in the status', async () => {
      const s = await notificationStatus(k);
      return s?.destinations?.length === 2 ? s : undefined;
    });
    expect(status.destinations?.map((d) => [d.name, d.delivered, d.lastDelivery?.result])).toEqual([
      ['chat', 1, 'Delivered'],
      ['hook', 1, 'Delivered'],
    ]);
    expect(status.notified).toEqual([
      expect.objectContaining({
        type: 'pipelinerun-failed',
        object: `PipelineRun/${ns()}/build-1`,
      }),
    ]);
  });

  it('an Application synced by the engine: commit statuses on GitHub and GitLab', async () => {
    const k = await kube();
    const forge = await receiver([201]);
    await secret(k, 'forge', { token: 'tok-123' });
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { color: 'blue' }) });
    await createNotification(k, {
      context: { baseURL: 'https://sluice.example.com' },
      triggers: [{ events: ['sync-succeeded', 'sync-failed'] }],
      destinations: [
        {
          name: 'github',
          github: {
            baseURL: `${forge.url}/api/v3`,
            repository: 'org/deploy',
            tokenSecretRef: { name: 'forge', key: 'token' },
          },
        },
        {
          name: 'gitlab',
          gitlab: {
            baseURL: `${forge.url}/api/v4`,
            project: 'org/deploy',
            tokenSecretRef: { name: 'forge', key: 'token' },
          },
        },
      ],
    });
    await startNotifications(k);
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      syncPolicy: { automated: { prune: true } },
    });
    const head = await repo.git('rev-parse', 'HEAD');
    await waitApp(k, ns(), name, 'synced', syncedHealthy);
    await received(forge, 2, 'forge');

    const github = forge.requests.find((r) => r.path.startsWith('/api/v3'));
    expect(github?.path).toBe(`/api/v3/repos/org/deploy/statuses/${head}`);
    expect(github?.headers['authorization']).toBe('Bearer tok-123');
    expect(JSON.parse(github?.body ?? '')).toEqual({
      state: 'success',
      context: `sluice/application/${name}`,
      description: expect.stringContaining(`Sync succeeded: Application ${ns()}/${name}`) as string,
      target_url: `https://sluice.example.com/applications/${ns()}/${name}`,
    });
    const gitlab = forge.requests.find((r) => r.path.startsWith('/api/v4'));
    expect(gitlab?.path).toBe(`/api/v4/projects/org%2Fdeploy/statuses/${head}`);
    expect(gitlab?.headers['private-token']).toBe('tok-123');
    expect(JSON.parse(gitlab?.body ?? '')).toMatchObject({
      state: 'success',
      name: `sluice/application/${name}`,
    });
  });

  it('500 twice then 200: delivered once after two retries; a 400 is not retried', async () => {
    const k = await kube();
    const flaky = await receiver([500, 500, 200]);
    const refusing = await receiver([400]);
    await createNotification(k, {
      triggers: [{ events: ['pipelinerun-failed'] }],
      destinations: [
        { name: 'flaky', webhook: { url: flaky.url }, retry: FAST_RETRY },
        { name: 'refusing', webhook: { url: refusing.url }, retry: FAST_RETRY },
      ],
    });
    const { c } = await startNotifications(k);
    await runWithStatus(k, 'build-2', failedStatus(new Date()));

    const status = await eventually('both outcomes in the status', async () => {
      const s = await notificationStatus(k);
      return s?.destinations?.length === 2 ? s : undefined;
    });
    expect(flaky.requests).toHaveLength(3);
    expect(new Set(flaky.requests.map((r) => r.headers['x-sluice-delivery'])).size).toBe(1);
    expect(refusing.requests).toHaveLength(1);
    const [f, r] = [status.destinations?.[0], status.destinations?.[1]];
    expect(f).toMatchObject({
      name: 'flaky',
      delivered: 1,
      failed: 0,
      lastDelivery: { result: 'Delivered', attempts: 3, code: 200 },
    });
    expect(r).toMatchObject({
      name: 'refusing',
      delivered: 0,
      failed: 1,
      lastFailure: {
        result: 'Failed',
        attempts: 1,
        code: 400,
        reason: 'HTTPError',
        object: `PipelineRun/${ns()}/build-2`,
      },
    });
    expect(status.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'DeliveryFailed',
    });
    expect(status.conditions?.[0]?.message).toContain('refusing: HTTPError HTTP 400');
    const metrics = await c.metrics.registry.metrics();
    expect(metrics).toContain(
      `sluice_notifications_delivered_total{destination="${ns()}/n/flaky",result="delivered"} 1`,
    );
    expect(metrics).toContain(
      `sluice_notifications_delivered_total{destination="${ns()}/n/refusing",result="failed"} 1`,
    );
  });

  it('a receiver that hangs holds up neither syncs nor the other destinations', async () => {
    const k = await kube();
    const stuck = await receiver(['hang']);
    const fast = await receiver();
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { v: '1' }) });
    await createNotification(k, {
      triggers: [{ events: ['sync-succeeded'] }],
      destinations: [
        { name: 'stuck', webhook: { url: stuck.url }, timeout: '60s', retry: { limit: 0 } },
        { name: 'fast', webhook: { url: fast.url } },
      ],
    });
    await startNotifications(k);
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      syncPolicy: { automated: { prune: true } },
    });
    await waitApp(k, ns(), name, 'synced', syncedHealthy);
    await received(fast, 1, 'fast receiver, first sync');
    await eventually('the stuck receiver holds the first delivery', async () =>
      stuck.held >= 1 ? true : undefined,
    );

    const second = await repo.commit({ 'app/cm.yaml': configMap('settings', { v: '2' }) });
    await k.mergePatch<Application>(
      { apiVersion: API, kind: 'Application', metadata: { name, namespace: ns() } },
      { metadata: { annotations: { 'sluice.dev/refresh': String(Date.now()) } } },
    );
    const started = Date.now();
    await waitApp(
      k,
      ns(),
      name,
      'synced at the second commit',
      (a) => syncedHealthy(a) && a.status?.sync?.revision === second,
    );
    await received(fast, 2, 'fast receiver, second sync');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((fast.json()[1] as { revision?: string }).revision).toBe(second);
    expect(stuck.held).toBeGreaterThanOrEqual(1);
  });

  it('a Rollout paused, aborted, then completed: each once, with the app that manages it', async () => {
    const k = await kube();
    const hook = await receiver();
    await createNotification(k, {
      triggers: [{ events: ['rollout-paused', 'rollout-aborted', 'rollout-completed'] }],
      destinations: [{ name: 'hook', webhook: { url: hook.url }, concurrency: 1 }],
    });
    await startNotifications(k);
    const rollout = (name: string) =>
      k.create<Rollout>({
        apiVersion: API,
        kind: 'Rollout',
        metadata: {
          name,
          namespace: ns(),
          labels: { 'sluice.dev/environment': 'staging' },
          annotations: {
            'sluice.dev/tracking-id': `sluice-system_shop:sluice.dev/Rollout:${ns()}/${name}`,
          },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
          strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
        },
      });
    const ro = await rollout('web');
    // As the Rollout controller writes it: a merge patch of the status subresource.
    const status = (obj: Rollout, s: Record<string, unknown>) =>
      k.mergePatch(obj, { status: s }, { subresource: 'status' });
    const t = (ms: number) => new Date(Date.now() + ms).toISOString();
    const paused = (startTime: string) => ({
      phase: 'Paused',
      currentStepIndex: 1,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime }],
    });
    await status(ro, paused(t(0)));
    await received(hook, 1, 'paused');
    await status(ro, {
      phase: 'Degraded',
      abort: true,
      abortedAt: t(1000),
      pauseConditions: [],
      message: 'aborted by a person',
    });
    await received(hook, 2, 'aborted');
    await status(ro, {
      phase: 'Healthy',
      abort: false,
      abortedAt: null,
      stableRS: 'h2',
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          lastUpdateTime: t(2000),
        },
      ],
    });
    await received(hook, 3, 'completed');
    // A change that is no new transition (pods counted again) sends nothing: a second Rollout
    // paused after it (the same watch, so seen after it) is the next request.
    await status(ro, { availableReplicas: 2 });
    await status(await rollout('marker'), paused(t(3000)));
    await received(hook, 4, 'the marker paused');
    const events = hook.json() as Array<{
      type: string;
      object: { name: string };
      app?: object;
      environment: string;
      message: string;
    }>;
    expect(events.map((e) => `${e.type} ${e.object.name}`)).toEqual([
      'rollout-paused web',
      'rollout-aborted web',
      'rollout-completed web',
      'rollout-paused marker',
    ]);
    expect(events[0]).toMatchObject({
      app: { namespace: 'sluice-system', name: 'shop' },
      environment: 'staging',
    });
    expect(events[1]?.message).toBe('aborted by a person');
    const s = await eventually('the occurrences recorded', async () => {
      const st = await notificationStatus(k);
      return st?.notified?.length === 4 ? st : undefined;
    });
    const web = s.notified?.filter((n) => n.object === `Rollout/${ns()}/web`);
    expect(web?.map((n) => [n.type, n.key])).toEqual([
      ['rollout-paused', expect.stringMatching(/^CanaryPauseStep@/) as string],
      ['rollout-aborted', expect.any(String) as string],
      ['rollout-completed', 'h2'],
    ]);
    expect(hook.requests).toHaveLength(4);
  });

  it('after a restart nothing is sent again; nothing from before the Notification is sent', async () => {
    const k = await kube();
    const hook = await receiver();
    // History: a run that failed a minute before the Notification existed.
    await runWithStatus(k, 'old', failedStatus(new Date(Date.now() - 60_000)));
    await createNotification(k, {
      triggers: [{ events: ['pipelinerun-failed', 'sync-succeeded', 'health-degraded'] }],
      destinations: [{ name: 'hook', webhook: { url: hook.url }, concurrency: 1 }],
    });
    const first = await startNotifications(k);
    await runWithStatus(k, 'r1', failedStatus(new Date()));
    const app = await k.create<Application>({
      apiVersion: API,
      kind: 'Application',
      metadata: { name: 'web', namespace: ns() },
      spec: {
        source: { repoURL: 'https://git.example.com/org/web.git', path: '.' },
        destination: { namespace: ns() },
      },
    });
    const now = new Date().toISOString();
    await k.mergePatch(
      app,
      {
        status: {
          sync: { status: 'Synced', revision: SHA },
          health: { status: 'Degraded', message: 'Deployment/web: 0 of 2 available' },
          operationState: {
            phase: 'Succeeded',
            startedAt: now,
            finishedAt: now,
            message: 'ok',
            syncResult: { revision: SHA, resources: [] },
          },
        },
      },
      { subresource: 'status' },
    );
    await received(hook, 3, 'before the restart');
    await first.stop();

    await startNotifications(k);
    await runWithStatus(k, 'r2', failedStatus(new Date()));
    await received(hook, 4, 'after the restart');
    const sent = hook.json().map((b) => {
      const e = b as { type: string; object: { name: string } };
      return `${e.type} ${e.object.name}`;
    });
    expect(sent.slice(0, 3).sort()).toEqual([
      'health-degraded web',
      'pipelinerun-failed r1',
      'sync-succeeded web',
    ]);
    expect(sent[3]).toBe('pipelinerun-failed r2');
    expect(hook.requests).toHaveLength(4);
  });
});
