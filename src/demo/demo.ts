/**
 * `sluice demo`: the whole GitOps loop on this machine in one command. Brings up the dev
 * cluster, makes a local Git repository with the sample sources (seven Applications), registers
 * them (apps.ts), runs the controller (Applications, Rollouts, pipelines, Triggers, Promotions,
 * DORA records), shows them converge, walks the canary app through a bad version (aborted by its
 * analysis) and a good one (promoted), runs the CI pipeline once (pipeline.ts), walks a commit
 * from the web app's source to production (loop.ts, loop-walk.ts), and says what to try next
 * (hints.ts). The canary app needs the real node and Prometheus (canary-support.ts); pipelines
 * and the loop the real node.
 */
import { REAL_NODE_LABEL } from '../devcluster/node/config.ts';
import { join } from 'node:path';
import { installCrds } from '../api/install.ts';
import { GitOpsController as Controller } from '../gitops/controller.ts';
import { binaryPath } from '../devcluster/build.ts';
import { up } from '../devcluster/cluster.ts';
import type { ClusterState } from '../devcluster/state.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import { Kube } from '../kube/api.ts';
import { openRunStore, type RunStore } from '../pipelines/store/index.ts';
import { createLogger } from '../util/log.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import { appsFor, converge, registerApps } from './apps.ts';
import { canaryWalkthrough } from './canary.ts';
import { startCanarySupport, type CanarySupport } from './canary-support.ts';
import { ensureDemoRepo } from './git.ts';
import {
  downCommand,
  gitCanaryVersion,
  gitReplicas,
  stoppedMessage,
  tryNext,
  type HintContext,
} from './hints.ts';
import { startLoopRig, type LoopRig } from './loop.ts';
import { LOOP_NAMESPACE } from './loop-samples.ts';
import { loopWalkthrough, type LoopOutcome } from './loop-walk.ts';
import { ciWalkthrough, type CiOutcome } from './pipeline.ts';

export interface DemoOptions {
  clusterName: string;
  dir: string;
  appNamespace: string;
  /** Stop the controller and return once every app is Synced and Healthy. */
  exitWhenHealthy: boolean;
  /** Where the demo's controller keeps its files: Git mirrors, render journal, run store. */
  workDir: string;
  timeoutMs: number;
  progress: Progress;
  print: (line: string) => void;
}

export const defaultDemoDir = (): string => join(cacheRoot(), 'demo', 'repo');
export const defaultDemoWorkDir = (): string => join(cacheRoot(), 'demo', 'controller');
/** The loop's repositories and Prometheus data, kept between runs (the next run continues). */
export const loopDir = (workDir: string): string => join(workDir, 'loop');
/** How often the demo's controller fetches each repository. */
const DEMO_POLL_MS = 5_000;
/** The loop's Prometheus (its address is in the deploy repository's analysis). */
const LOOP_PROMETHEUS_PORT = 19091;
/** The run store (SQLite) the demo's pipeline controllers write, in its work dir. */
export const runStorePath = (workDir: string): string => join(workDir, 'runs.db');

/** Resolves with the signal's name on the first Ctrl-C (or SIGTERM) from now on. */
function stopRequested(): { signal: Promise<string>; stopped: () => boolean } {
  let got: string | undefined;
  const signal = new Promise<string>((resolve) => {
    const on = (name: string) => (): void => {
      got = name;
      resolve(name);
    };
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
  return { signal, stopped: () => got !== undefined };
}

/** The canary walk-through, when this run has the canary app; false if stopped during it. */
async function walkCanary(
  kube: Kube,
  o: DemoOptions,
  canary: CanarySupport | undefined,
  stopped: () => boolean,
): Promise<boolean> {
  if (!canary) return true;
  await canaryWalkthrough({
    kube,
    repoDir: o.dir,
    appNamespace: o.appNamespace,
    urls: canary.urls,
    progress: o.progress,
    print: o.print,
    stopped,
    timeoutMs: 120_000,
  });
  return !stopped();
}

/** The CI walk-through, when this run has pipelines; false if stopped during it. */
async function walkCi(
  kube: Kube,
  o: DemoOptions,
  store: RunStore | undefined,
  stopped: () => boolean,
): Promise<CiOutcome | undefined | false> {
  if (!store) return undefined;
  const c = { kube, repoDir: o.dir, store, progress: o.progress, print: o.print, stopped };
  const outcome = await ciWalkthrough({ ...c, timeoutMs: 120_000 });
  return stopped() ? false : outcome;
}

/** What runs beside the cluster while the demo does; all stopped when it ends. */
interface Running {
  controller?: Controller;
  canary?: CanarySupport;
  store?: RunStore;
  loop?: LoopRig;
}

/**
 * The loop from a commit to production, when this run has pipelines: its rig (repositories,
 * images, Prometheus) in namespace `loop`, then the walk; false if stopped during it.
 */
async function walkLoop(
  kube: Kube,
  o: DemoOptions,
  state: ClusterState,
  r: Running,
  stopped: () => boolean,
): Promise<LoopOutcome | undefined | false> {
  const node = state.realNode?.network;
  if (!r.store || !node || !state.registry) return undefined;
  o.progress.step(`from a commit to production: the loop in namespace ${LOOP_NAMESPACE}`);
  const ns = await kube.get('v1', 'Namespace', undefined, LOOP_NAMESPACE);
  if (!ns)
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: LOOP_NAMESPACE } });
  r.loop = await startLoopRig({
    kube,
    namespace: LOOP_NAMESPACE,
    dir: loopDir(o.workDir),
    registry: state.registry,
    hostIp: node.hostIp,
    nodeIp: node.nodeIp,
    progress: o.progress,
    prometheusPort: LOOP_PROMETHEUS_PORT,
    keepDir: true,
    reuseRepos: true,
  });
  const c = { kube, rig: r.loop, store: r.store, progress: o.progress, print: o.print, stopped };
  const outcome = await loopWalkthrough({ ...c, timeoutMs: 300_000 });
  return stopped() || !outcome ? false : outcome;
}

const REAL_NODE_POD_TEMPLATE = {
  nodeSelector: { [REAL_NODE_LABEL]: 'true' },
  tolerations: [{ key: REAL_NODE_LABEL, operator: 'Exists' }],
};

/** Prometheus for the canary app and the run store for pipelines: both need the real node. */
async function startSupport(kube: Kube, o: DemoOptions, nodeIp: string, r: Running) {
  o.progress.step('Prometheus for the canary app');
  const canary = await startCanarySupport(kube, nodeIp, o.progress);
  if (canary) r.canary = canary;
  // Pipelines' tasks run on the real node; their records and logs outlive the pods here.
  r.store = await openRunStore({ databaseUrl: runStorePath(o.workDir), retention: {} });
}

async function startController(kube: Kube, o: DemoOptions, r: Running): Promise<Controller> {
  o.progress.step(
    `starting the controller (${r.store ? 'Applications, Rollouts and pipelines' : 'Applications and Rollouts'}; its files in ${o.workDir})`,
  );
  r.controller = new Controller({
    kube,
    cacheDir: o.workDir,
    // Every repository is on this machine: looking every 5 s is cheap, and the loop's deploy
    // commits (set-image, promotions) reach their apps without a webhook.
    pollIntervalMs: DEMO_POLL_MS,
    namespace: o.appNamespace,
    appNamespaces: [o.appNamespace, LOOP_NAMESPACE],
    rollouts: true,
    // Task pods go to the real node unless a run says otherwise (the other nodes are simulated).
    // With pipelines come the loop's parts: Triggers, Promotions, DORA records, notifications.
    ...(r.store
      ? {
          pipelines: { store: r.store, defaultPodTemplate: REAL_NODE_POD_TEMPLATE },
          triggers: true,
          promotions: true,
          notifications: true,
          dora: { store: r.store.deployments },
        }
      : {}),
    log: createLogger('warn'),
  });
  await r.controller.start();
  return r.controller;
}

/** The walks once the apps converged: canary, CI, the loop; false if stopped during one. */
async function walks(
  kube: Kube,
  o: DemoOptions,
  state: ClusterState,
  r: Running,
  stopped: () => boolean,
): Promise<{ ci: CiOutcome | undefined; loop: LoopOutcome | undefined } | false> {
  if (!(await walkCanary(kube, o, r.canary, stopped))) return false;
  const ci = await walkCi(kube, o, r.store, stopped);
  if (ci === false) return false;
  const loop = await walkLoop(kube, o, state, r, stopped);
  return loop === false ? false : { ci, loop };
}

async function printTryNext(
  o: DemoOptions,
  hints: HintContext,
  r: Running,
  ci?: CiOutcome,
  loop?: LoopOutcome,
) {
  const canaryVersion = r.canary ? await gitCanaryVersion(o.dir) : undefined;
  o.print(
    tryNext({
      ...hints,
      replicas: await gitReplicas(o.dir),
      ...(canaryVersion ? { canaryVersion } : {}),
      ...(ci ? { ci: { run: ci.run, storeUrl: runStorePath(o.workDir) } } : {}),
      ...(loop && r.loop
        ? { loop: { sourceWork: r.loop.sourceWork, storeUrl: runStorePath(o.workDir) } }
        : {}),
    }),
  );
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const started = Date.now();
  const { state } = await up({ name: o.clusterName, nodes: 3, realNodes: 1, progress: o.progress });
  // From here on Ctrl-C stops the demo but not the cluster (and says so); during `up` it aborts.
  const { signal, stopped } = stopRequested();
  const nodeIp = state.realNode?.network.nodeIp;
  const hints: HintContext = {
    clusterName: o.clusterName,
    kubeconfig: state.kubeconfig,
    repoDir: o.dir,
    appNamespace: o.appNamespace,
    kubectl: (await binaryPath('kubectl')) ?? 'kubectl',
    replicas: 2,
    ...(nodeIp ? { realNodeIp: nodeIp } : {}),
  };
  const kube = await Kube.connect(state.kubeconfig);
  const ac = {
    kube,
    dir: o.dir,
    appNamespace: o.appNamespace,
    progress: o.progress,
    timeoutMs: o.timeoutMs,
  };
  const r: Running = {};
  try {
    await installCrds(kube, o.progress);
    o.progress.step(`sample repository at ${o.dir}`);
    const sha = await ensureDemoRepo(o.dir);
    o.progress.detail(`main is at ${sha.slice(0, 7)}`);
    if (nodeIp) await startSupport(kube, o, nodeIp, r);
    const apps = appsFor(nodeIp !== undefined, r.canary !== undefined);
    const controller = await startController(kube, o, r);
    await registerApps(ac, apps);
    if (!nodeIp) {
      o.progress.detail(
        'no real node in this cluster (started with --real-nodes 0): the "hello", "canary" and "ci" apps are left out, and the pipeline controllers are off (CI tasks run on the real node)',
      );
    }
    const converged = await converge(ac, controller, apps, sha, stopped);
    if (converged) {
      o.progress.step(
        `all ${apps.length} Applications are Synced and Healthy (${formatDuration(Date.now() - started)})`,
      );
    }
    const walked = converged && (await walks(kube, o, state, r, stopped));
    if (walked !== false) {
      await printTryNext(o, hints, r, walked.ci, walked.loop);
      if (o.exitWhenHealthy) return;
      o.print(
        `The controller keeps running here; press Ctrl-C to stop it (the cluster keeps running: \`${downCommand(hints)}\` removes it).`,
      );
    }
    o.progress.step(`${await signal}: stopping the controller`);
  } finally {
    await r.controller?.stop();
    await r.loop?.stop();
    await r.canary?.stop();
    await r.store?.close();
    await kube.close();
  }
  o.print(stoppedMessage(hints));
}
