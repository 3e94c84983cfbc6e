/**
 * Notifications from the command line and through `sluice controller` itself: `sluice
 * notification test` sends a sample event to every destination (exit 1 when one refuses it),
 * `list` and `get` show how deliveries went, and a controller killed -9 once it recorded a
 * delivery does not send it again after it restarts.
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { Notification, NotificationSpec } from '../../src/api/notification.ts';
import type { PipelineRun } from '../../src/api/pipeline.ts';
import { startReceiver, type Receiver } from '../../src/delivery/notifications/testing/receiver.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { controllerProcess } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('notif-cli');
const API = 'sluice.dev/v1alpha1';
const env = { ...process.env, NO_COLOR: '1' };
const sluice = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', 'notification', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    { timeoutMs: 60_000, env },
  );

beforeAll(async () => {
  await installCrds(await kube(), silentProgress);
});

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  onTestFinished(() => r.close());
  return r;
}

async function createNotification(k: Kube, name: string, spec: NotificationSpec): Promise<void> {
  await k.create({
    apiVersion: API,
    kind: 'Notification',
    metadata: { name, namespace: ns() },
    spec,
  });
}

async function failedRun(k: Kube, name: string): Promise<void> {
  const pr = await k.create<PipelineRun>({
    apiVersion: API,
    kind: 'PipelineRun',
    metadata: { name, namespace: ns() },
    spec: { pipelineRef: { name: 'ci' } },
  });
  const at = new Date().toISOString();
  await k.mergePatch(
    pr,
    {
      status: {
        startTime: at,
        completionTime: at,
        conditions: [
          {
            type: 'Succeeded',
            status: 'False',
            reason: 'Failed',
            message: 'boom',
            lastTransitionTime: at,
          },
        ],
      },
    },
    { subresource: 'status' },
  );
}

function controller(cacheDir: string): ChildProcess {
  const p = controllerProcess(ns(), cacheDir, ['--no-leader-election'], { notifications: true });
  onTestFinished(() => {
    p.kill('SIGKILL');
  });
  return p;
}

describe('sluice notification', () => {
  it('test sends a sample event to every destination; exit 1 when one refuses it', async () => {
    const k = await kube();
    const hook = await receiver();
    const slack = await receiver();
    const refusing = await receiver([404]);
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook', namespace: ns() },
      stringData: { key: 's3cret' },
    });
    await createNotification(k, 'ci', {
      triggers: [{ events: ['pipelinerun-failed'], send: ['short'], destinations: ['chat'] }],
      templates: [{ name: 'short', message: '{{ .object.name }} failed: {{ .message }}' }],
      destinations: [
        { name: 'hook', webhook: { url: hook.url, secretRef: { name: 'hook', key: 'key' } } },
        { name: 'chat', slack: { url: `${slack.url}/services/x` } },
        { name: 'gone', webhook: { url: `${refusing.url}/gone` }, retry: { limit: 3 } },
      ],
    });
    const r = await sluice(
      'test',
      'ci',
      '--event',
      'pipelinerun-failed',
      '--object',
      'build-7',
      '--no-retry',
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/hook\s+webhook \(signed\)\s+default\s+Delivered\s+1\s+HTTP 200/);
    expect(r.stdout).toMatch(/chat\s+slack\s+short\s+Delivered/);
    expect(r.stdout).toMatch(/gone\s+webhook\s+default\s+Failed\s+1\s+HTTP 404 HTTPError/);
    const [req] = hook.requests;
    expect(req?.headers['x-sluice-signature']).toBe(
      `sha256=${createHmac('sha256', 's3cret')
        .update(req?.body ?? '')
        .digest('hex')}`,
    );
    expect(JSON.parse(req?.body ?? '')).toMatchObject({
      type: 'pipelinerun-failed',
      object: { kind: 'PipelineRun', name: 'build-7', namespace: ns() },
      details: { sample: 'true' },
    });
    expect(slack.json()).toEqual([
      { text: 'build-7 failed: Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 1' },
    ]);
    expect(refusing.requests).toHaveLength(1);

    const json = await sluice(
      'test',
      'ci',
      '--event',
      'sync-succeeded',
      '-o',
      'json',
      '--no-retry',
    );
    expect(
      (JSON.parse(json.stdout) as Array<{ destination: string; result: string }>).map((x) => [
        x.destination,
        x.result,
      ]),
    ).toEqual([
      ['hook', 'Delivered'],
      ['chat', 'Delivered'],
      ['gone', 'Failed'],
    ]);
    expect((await sluice('test', 'ci', '--event', 'nope')).code).toBe(2);
    expect((await sluice('test', 'missing', '--event', 'sync-failed')).code).toBe(3);
  });

  it('sluice controller delivers, list and get show it; killed -9 and restarted, it sends nothing twice', async () => {
    const k = await kube();
    const hook = await receiver();
    await createNotification(k, 'ops', {
      triggers: [{ events: ['pipelinerun-failed'] }],
      destinations: [{ name: 'hook', webhook: { url: hook.url } }],
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-notif-'));
    onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
    const first = controller(cacheDir);
    await failedRun(k, 'r1');
    await eventually(
      'r1 delivered',
      async () => (hook.requests.length >= 1 ? true : undefined),
      60_000,
    );
    await eventually('r1 recorded in the status', async () => {
      const n = await k.get<Notification>(API, 'Notification', ns(), 'ops');
      return n?.status?.notified?.some((x) => x.object.endsWith('/r1')) &&
        n.status.destinations?.[0]?.lastDelivery?.result === 'Delivered'
        ? true
        : undefined;
    });

    const list = await sluice('list');
    expect(list.stdout).toMatch(
      /^NAME\s+READY\s+REASON\s+EVENTS\s+DESTINATIONS\s+LAST DELIVERY\s+AGE/,
    );
    expect(list.stdout).toMatch(
      /ops\s+True\s+Succeeded\s+pipelinerun-failed\s+hook\s+Delivered \d+s ago/,
    );
    const got = await sluice('get', 'ops');
    expect(got.stdout).toMatch(
      /hook\s+webhook\s+http:\/\/127\.0\.0\.1:\d+\s+1\s+0\s+Delivered HTTP 200 \(1 attempt\)/,
    );
    const yaml = await sluice('get', 'ops', '-o', 'json');
    expect(JSON.parse(yaml.stdout)).toMatchObject({
      status: { destinations: [{ name: 'hook', delivered: 1 }] },
    });

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    controller(cacheDir);
    await failedRun(k, 'r2');
    await eventually(
      'r2 delivered',
      async () => (hook.requests.length >= 2 ? true : undefined),
      60_000,
    );
    const sent = hook.json().map((b) => (b as { object: { name: string } }).object.name);
    expect(sent).toEqual(['r1', 'r2']);
  });
});
