/**
 * Helpers for Trigger tests: `sluice controller`'s Manager (GitOpsController with `triggers`)
 * scoped to the test's namespace and serving the real `POST /api/webhook` on 127.0.0.1, signed
 * pushes in GitHub's and the generic format, a trivial Pipeline, Triggers, and reads of what a
 * user would look at (the Trigger's status, the PipelineRuns labelled with it).
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Pipeline, PipelineRun } from '../../src/api/pipeline.ts';
import type { Trigger, TriggerSpec } from '../../src/api/trigger.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import type { Kube } from '../../src/kube/api.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { eventually } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

export const API = 'sluice.dev/v1alpha1';
export const SECRET = 'trigger-push-secret';

export interface Started {
  controller: GitOpsController;
  url: string;
  stop(): Promise<void>;
}

/**
 * The controller as `sluice controller` builds it (Applications and Triggers, webhook and
 * metrics on a free port), watching only `namespace`; with `leader`, it holds the Lease
 * `sluice-controller` in `namespace` (so `sluice trigger run` sees a controller).
 */
export async function startTriggers(
  k: Kube,
  namespace: string,
  o: { leader?: boolean; cacheDir?: string } = {},
): Promise<Started> {
  await ensureCrds(k);
  const cacheDir = o.cacheDir ?? (await mkdtemp(join(tmpdir(), 'sluice-trig-')));
  const controller = new GitOpsController({
    kube: k,
    namespace,
    appNamespaces: [namespace],
    destinationNamespaces: [namespace],
    cacheDir,
    triggers: true,
    leaderElection: o.leader
      ? { enabled: true, leaseDurationMs: 5000, renewMs: 1000 }
      : { enabled: false },
    listen: { host: '127.0.0.1', port: 0 },
    webhookSecrets: { github: SECRET, generic: SECRET },
    log: process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger,
  });
  await controller.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await controller.stop();
  };
  onTestFinished(async () => {
    await stop();
    if (!o.cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });
  return { controller, url: controller.url ?? '', stop };
}

export const sign = (body: string, secret = SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface PushAnswer {
  status: number;
  json: { refreshed?: string[]; error?: string };
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<PushAnswer> {
  const res = await fetch(`${url}/api/webhook`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, json: (await res.json()) as PushAnswer['json'] };
}

/** A push as GitHub sends it (X-Hub-Signature-256), signed with `secret`. */
export function githubPush(url: string, repo: string, ref: string, secret = SECRET) {
  const body = JSON.stringify({ ref, repository: { clone_url: repo, default_branch: 'main' } });
  return post(url, body, { 'x-github-event': 'push', 'x-hub-signature-256': sign(body, secret) });
}

/** A push in the generic format (X-Sluice-Signature). */
export function genericPush(url: string, repo: string, ref: string) {
  const body = JSON.stringify({ repository: repo, ref });
  return post(url, body, { 'x-sluice-signature': sign(body) });
}

/** A Pipeline with one task that echoes its params (it never runs unless a test asks). */
export async function createPipeline(k: Kube, namespace: string, name = 'build'): Promise<void> {
  await ensureCrds(k);
  const p: Pipeline = {
    apiVersion: API,
    kind: 'Pipeline',
    metadata: { name, namespace },
    spec: {
      params: [{ name: 'revision' }, { name: 'branch', default: '' }],
      tasks: [
        {
          name: 'echo',
          params: [{ name: 'revision', value: '$(params.revision)' }],
          taskSpec: {
            params: [{ name: 'revision' }],
            steps: [
              {
                name: 'echo',
                image: 'localhost:5000/busybox:latest',
                script: 'echo $(params.revision)',
              },
            ],
          },
        },
      ],
    },
  };
  await k.create(p);
}

/** A Trigger of `repo` running Pipeline `build`, with the commit's details as params. */
export function trigger(
  namespace: string,
  name: string,
  repo: string,
  spec: Partial<TriggerSpec> = {},
): Trigger {
  return {
    apiVersion: API,
    kind: 'Trigger',
    metadata: { name, namespace },
    spec: {
      repoURL: repo,
      template: {
        spec: {
          pipelineRef: { name: 'build' },
          params: [
            { name: 'revision', value: '$(trigger.sha)' },
            { name: 'short', value: '$(trigger.shortSha)' },
            { name: 'branch', value: '$(trigger.branch)' },
            { name: 'ref', value: '$(trigger.ref)' },
            { name: 'repo', value: '$(trigger.repoURL)' },
            { name: 'author', value: '$(trigger.author)' },
            { name: 'message', value: '$(trigger.message)' },
            { name: 'files', value: '$(trigger.changedFiles)' },
          ],
        },
      },
      ...spec,
    },
  };
}

export const getTrigger = (k: Kube, namespace: string, name: string) =>
  k.get<Trigger>(API, 'Trigger', namespace, name);

/** The runs of a trigger (by its label), oldest first. */
export async function runsOf(k: Kube, namespace: string, name: string): Promise<PipelineRun[]> {
  const list = await k.list<PipelineRun>(API, 'PipelineRun', {
    namespace,
    labelSelector: `sluice.dev/trigger=${name}`,
  });
  return list.items.sort((a, b) =>
    (a.metadata.annotations?.['sluice.dev/queued-at'] ?? '').localeCompare(
      b.metadata.annotations?.['sluice.dev/queued-at'] ?? '',
    ),
  );
}

/** The runs of a trigger for one commit. */
export async function runsFor(
  k: Kube,
  namespace: string,
  name: string,
  sha: string,
): Promise<PipelineRun[]> {
  return (await runsOf(k, namespace, name)).filter(
    (r) => r.metadata.labels?.['sluice.dev/commit'] === sha,
  );
}

/** Waits until the trigger has recorded `ref` at `sha` (its baseline, or a commit handled). */
export function handled(k: Kube, namespace: string, name: string, ref: string, sha: string) {
  return eventually(`${name} to handle ${ref}@${sha.slice(0, 7)}`, async () => {
    const t = await getTrigger(k, namespace, name);
    return t?.status?.refs?.find((r) => r.ref === ref && r.commit === sha);
  });
}

/** Params of a run as a plain object. */
export const paramsOf = (r: PipelineRun): Record<string, unknown> =>
  Object.fromEntries((r.spec.params ?? []).map((p) => [p.name, p.value]));

/** What the run's Succeeded condition would say once finished (as the pipeline controller writes). */
export async function finish(k: Kube, run: PipelineRun): Promise<void> {
  const at = new Date().toISOString();
  await k.mergePatch(
    run,
    {
      status: {
        startTime: at,
        completionTime: at,
        conditions: [
          { type: 'Succeeded', status: 'True', reason: 'Succeeded', lastTransitionTime: at },
        ],
      },
    },
    { subresource: 'status' },
  );
}
