/**
 * The demo's walk through the whole loop of issue 12, once the other apps are Synced and Healthy:
 * a developer's commit to the web app's source repository (the rig of loop.ts, namespace `loop`)
 * is seen by the Trigger (polling, no webhook), which starts `web-ci`: clone, test beside the
 * buildah build and push (tagged with the commit SHA), scan gate, set-image into the deploy
 * repository's envs/dev. Dev syncs; the Promotion writes the same digest into staging after dev
 * ran it for the soak time; prod waits for a person, and the demo approves it as
 * `sluice promote approve prod` would (printing the command), after which prod rolls out as a
 * canary whose analysis asks Prometheus. It ends with `sluice dora` for the namespace.
 *
 * Every wait prints what it waits for and how long it took; Ctrl-C ends it between two looks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnalysisRun } from '../api/analysis.ts';
import type { Application } from '../api/application.ts';
import { API_VERSION } from '../api/application.ts';
import type { PipelineRun, TaskRun } from '../api/pipeline.ts';
import type { Promotion } from '../api/promotion.ts';
import type { Rollout } from '../api/rollout.ts';
import type { Trigger } from '../api/trigger.ts';
import { decide } from '../cli/promote/approve.ts';
import { promotionTable } from '../cli/promote/view.ts';
import { reportTable } from '../cli/dora/render.ts';
import { doraReport } from '../delivery/dora/index.ts';
import { SluiceError } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { succeededCondition } from '../pipelines/kube/runstatus.ts';
import type { RunStore } from '../pipelines/store/index.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import type { LoopRig } from './loop.ts';
import {
  LOOP_ENVIRONMENTS,
  LOOP_NAMESPACE,
  LOOP_PROMOTION,
  LOOP_TRIGGER,
  appName,
  type LoopEnvironment,
} from './loop-samples.ts';

export interface LoopWalkContext {
  kube: Kube;
  rig: LoopRig;
  store: RunStore;
  progress: Progress;
  print: (line: string) => void;
  stopped: () => boolean;
  /** How long each phase (the run, each environment) may take. */
  timeoutMs: number;
}

export interface LoopOutcome {
  sha: string;
  run: string;
  digest: string;
  /** Seconds from the push until each environment ran the new image. */
  seconds: Record<LoopEnvironment, number>;
}

class Stopped extends Error {}

/** Looks every half second until `fn` answers; a timeout names `what`. */
async function until<T>(
  c: LoopWalkContext,
  what: string,
  fn: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + c.timeoutMs;
  for (;;) {
    if (c.stopped()) throw new Stopped();
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new SluiceError('DemoTimeout', `the loop: ${what} did not happen in ${formatDuration(c.timeoutMs)}`, {
        hint: `look at it with \`sluice pipeline runs -n ${LOOP_NAMESPACE}\`, \`sluice promote status -n ${LOOP_NAMESPACE}\` and \`sluice app list -N ${LOOP_NAMESPACE}\``,
        exitCode: 4,
      }); // prettier-ignore
    await sleep(500);
  }
}

const app = (kube: Kube, env: LoopEnvironment) =>
  kube.get<Application>(API_VERSION, 'Application', LOOP_NAMESPACE, appName(env));

/** The app of `env` when Synced and Healthy with an image containing `image`. */
async function runs(kube: Kube, env: LoopEnvironment, image: string) {
  const a = await app(kube, env);
  const ok =
    a?.status?.sync?.status === 'Synced' &&
    a.status.health?.status === 'Healthy' &&
    (a.status.summary?.images ?? []).some((i) => i.includes(image));
  return ok ? a : undefined;
}

const promotion = (kube: Kube) =>
  kube.get<Promotion>(API_VERSION, 'Promotion', LOOP_NAMESPACE, LOOP_PROMOTION);

/** The run the Trigger started for `sha`. */
async function runOf(kube: Kube, sha: string): Promise<PipelineRun | undefined> {
  const list = await kube.list<PipelineRun>(API_VERSION, 'PipelineRun', {
    namespace: LOOP_NAMESPACE,
    labelSelector: `sluice.dev/trigger=${LOOP_TRIGGER},sluice.dev/commit=${sha}`,
  });
  return list.items[0];
}

const taskState = (t: TaskRun): string => {
  const c = succeededCondition(t.status);
  if (!c) return 'Pending';
  if (c.status === 'Unknown') return c.reason === 'Running' ? 'Running' : (c.reason ?? 'Running');
  return c.status === 'True' ? 'Succeeded' : `Failed (${c.reason ?? 'Failed'})`;
};

/** Prints each task whose state changed since the last look. */
function printChanges(c: LoopWalkContext, tasks: readonly TaskRun[], seen: Map<string, string>) {
  for (const t of tasks) {
    const task = t.metadata.labels?.['tekton.dev/pipelineTask'] ?? t.metadata.name ?? '?';
    const state = taskState(t);
    // Forward only: a pod's status may say Pending again between two steps.
    const before = seen.get(task);
    if (before === state || (before === 'Running' && state === 'Pending')) continue;
    seen.set(task, state);
    const start = Date.parse(t.status?.startTime ?? '');
    const end = Date.parse(t.status?.completionTime ?? '');
    const took =
      Number.isNaN(start) || Number.isNaN(end) ? '' : ` in ${formatDuration(end - start)}`;
    c.progress.detail(`${task.padEnd(11)} ${state}${took}`);
  }
}

/** Follows the run's tasks, printing each change of state, until the run ends. */
async function followRun(c: LoopWalkContext, name: string): Promise<PipelineRun> {
  const seen = new Map<string, string>();
  return until(c, `PipelineRun ${name} finishing`, async () => {
    const tasks = await c.kube.list<TaskRun>(API_VERSION, 'TaskRun', {
      namespace: LOOP_NAMESPACE,
      labelSelector: `tekton.dev/pipelineRun=${name}`,
    });
    printChanges(c, tasks.items, seen);
    const run = await c.kube.get<PipelineRun>(API_VERSION, 'PipelineRun', LOOP_NAMESPACE, name);
    const s = succeededCondition(run?.status)?.status;
    return run && (s === 'True' || s === 'False') ? run : undefined;
  });
}

const result = (t: TaskRun | undefined, name: string): string => {
  const v = t?.status?.results?.find((r) => r.name === name)?.value;
  return typeof v === 'string' ? v : '';
};

/** Waits for the starting point: every environment Synced and Healthy, the Trigger's baseline. */
async function ready(c: LoopWalkContext): Promise<void> {
  c.progress.step(`the loop's apps (${LOOP_ENVIRONMENTS.map(appName).join(', ')}) and Trigger`);
  for (const env of LOOP_ENVIRONMENTS) {
    await until(c, `${appName(env)} Synced and Healthy`, () => runs(c.kube, env, ''));
  }
  await until(c, `Trigger ${LOOP_TRIGGER} watching the source repository`, async () => {
    const t = await c.kube.get<Trigger>(API_VERSION, 'Trigger', LOOP_NAMESPACE, LOOP_TRIGGER);
    return (t?.status?.refs ?? []).length > 0 ? true : undefined;
  });
}

async function prodRollout(c: LoopWalkContext): Promise<string> {
  const ro = await c.kube.get<Rollout>(API_VERSION, 'Rollout', LOOP_NAMESPACE, appName('prod'));
  const runs = await c.kube.list<AnalysisRun>(API_VERSION, 'AnalysisRun', {
    namespace: LOOP_NAMESPACE,
  });
  const newest = runs.items.sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0];
  return `Rollout ${ro?.status?.phase ?? '?'}; analysis ${newest?.metadata.name ?? '-'}: ${newest?.status?.phase ?? '-'}`;
}

async function walk(c: LoopWalkContext): Promise<LoopOutcome> {
  await ready(c);
  const pushed = Date.now();
  const since = (): string => formatDuration(Date.now() - pushed);
  const sha = await c.rig.push(
    { 'CHANGELOG.md': `# web\n\n- ${new Date().toISOString()}: a change made by the demo\n` },
    'docs: a change made by the demo',
  );
  c.progress.step(
    `a developer pushes ${sha.slice(0, 7)} to ${c.rig.sourceRepo} (main); the Trigger polls it`,
  );
  const started = await until(c, `a PipelineRun for ${sha.slice(0, 7)}`, () => runOf(c.kube, sha));
  const name = started.metadata.name ?? '?';
  c.progress.detail(`${name} started ${since()} after the push`);
  const run = await followRun(c, name);
  if (succeededCondition(run.status)?.status !== 'True')
    throw new SluiceError('DemoLoopFailed', `the loop: PipelineRun ${LOOP_NAMESPACE}/${name} failed: ${succeededCondition(run.status)?.message ?? ''}`, {
      hint: `its logs: sluice pipeline logs ${name} -n ${LOOP_NAMESPACE}`,
    }); // prettier-ignore
  const tasks = await c.kube.list<TaskRun>(API_VERSION, 'TaskRun', {
    namespace: LOOP_NAMESPACE,
    labelSelector: `tekton.dev/pipelineRun=${name},tekton.dev/pipelineTask=build`,
  });
  const digest = result(tasks.items[0], 'IMAGE_DIGEST');
  c.progress.detail(`built and pushed ${result(tasks.items[0], 'IMAGE_URL')} (${digest})`);

  const seconds = { dev: 0, staging: 0, prod: 0 };
  c.progress.step('dev: the deploy commit of set-image syncs');
  await until(c, `${appName('dev')} running ${digest}`, () => runs(c.kube, 'dev', digest));
  seconds.dev = (Date.now() - pushed) / 1000;
  c.progress.detail(`dev runs it, ${since()} after the push`);
  c.progress.step('staging: promoted by a commit once dev ran it for the soak time');
  await until(c, `${appName('staging')} running ${digest}`, () => runs(c.kube, 'staging', digest));
  seconds.staging = (Date.now() - pushed) / 1000;
  c.progress.detail(`staging runs it, ${since()} after the push`);

  c.progress.step('prod: waits for a person');
  // (An older version may be waiting from before: the approval is for this one.)
  const p = await until(c, `prod waiting for approval of ${digest}`, async () => {
    const p = await promotion(c.kube);
    const step = p?.status?.environments?.find((e) => e.name === 'prod')?.candidate;
    return step?.phase === 'Waiting' && step.version.includes(digest) ? p : undefined;
  });
  c.print(`$ sluice promote status -n ${LOOP_NAMESPACE}\n${promotionTable([p])}`);
  c.progress.detail(
    `the demo approves, as \`sluice promote approve prod -n ${LOOP_NAMESPACE}\` does`,
  );
  await decide(c.kube, LOOP_NAMESPACE, {
    env: 'prod',
    decision: 'Approved',
    reason: 'approved by the demo',
  });
  c.progress.step('prod: a canary (50 %, an analysis on Prometheus, then all)');
  await until(c, `${appName('prod')} running ${digest}`, () => runs(c.kube, 'prod', digest));
  seconds.prod = (Date.now() - pushed) / 1000;
  c.progress.detail(`prod runs it, ${since()} after the push; ${await prodRollout(c)}`);

  c.progress.step('sluice dora --env prod: what the deployments say');
  c.print(
    reportTable(await doraReport(c.store.deployments, { environment: 'prod', since: '30d' })),
  );
  return { sha, run: name, digest, seconds };
}

/** The walk; undefined when Ctrl-C stopped it. */
export async function loopWalkthrough(c: LoopWalkContext): Promise<LoopOutcome | undefined> {
  try {
    return await walk(c);
  } catch (err) {
    if (err instanceof Stopped) return undefined;
    throw err;
  }
}
