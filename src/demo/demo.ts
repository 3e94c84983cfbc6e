/**
 * `sluice demo`: the whole GitOps loop on this machine in one command. Brings up the dev
 * cluster, makes a local Git repository with the sample sources (six Applications), registers
 * them, runs the controller (Applications and Rollouts), shows them converge, walks the canary
 * app through a bad version (aborted by its analysis) and a good one (promoted), and says what
 * to try next. The canary app needs the real node and Prometheus (canary-support.ts).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { installCrds } from '../api/install.ts';
import { GitOpsController as Controller } from '../gitops/controller.ts';
import { binaryPath } from '../devcluster/build.ts';
import { up } from '../devcluster/cluster.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import { SluiceError } from '../errors.ts';
import { FIELD_MANAGER, FINALIZER, REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import { Kube } from '../kube/api.ts';
import { createLogger } from '../util/log.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
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
import { SAMPLE_APPS, type SampleApp } from './samples.ts';

export interface DemoOptions {
  clusterName: string;
  dir: string;
  appNamespace: string;
  /** Stop the controller and return once every app is Synced and Healthy. */
  exitWhenHealthy: boolean;
  timeoutMs: number;
  progress: Progress;
  print: (line: string) => void;
}

export const defaultDemoDir = (): string => join(cacheRoot(), 'demo', 'repo');

function application(s: SampleApp, repoURL: string, appNamespace: string): Application {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: s.name,
      namespace: appNamespace,
      finalizers: [FINALIZER],
      // Fetch first: the controller's mirror of this repository may be older than the
      // repository (commits made while no controller ran, or a repository made afresh). The
      // controller runs already, so it sees this as a request.
      annotations: { [REFRESH_ANNOTATION]: new Date().toISOString() },
    },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: s.path },
      destination: { server: 'https://kubernetes.default.svc', namespace: s.namespace },
      syncPolicy: {
        // enabled: a rollback in an earlier run paused it; every run starts automated again.
        automated: { enabled: true, prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  };
}

function table(apps: readonly Application[]): string {
  return apps
    .map(
      (a) =>
        `    ${a.metadata.name.padEnd(14)} ${(a.status?.sync?.status ?? '…').padEnd(10)} ${(a.status?.health?.status ?? '…').padEnd(12)} ${a.status?.health?.message ?? ''}`,
    )
    .join('\n');
}

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

/** The sample apps this run can have: real-node ones need a real node, canary Prometheus. */
function appsFor(realNode: boolean, prometheus: boolean): readonly SampleApp[] {
  return SAMPLE_APPS.filter((s) => (realNode || !s.realNode) && (prometheus || !s.prometheus));
}

async function registerApps(kube: Kube, o: DemoOptions, apps: readonly SampleApp[]): Promise<void> {
  if (!(await kube.get('v1', 'Namespace', undefined, o.appNamespace)))
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.appNamespace } });
  o.progress.step('registering Applications');
  for (const s of apps) {
    await kube.apply(application(s, `file://${o.dir}`, o.appNamespace), {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
    o.progress.detail(`${s.name} (${s.kind}: ${s.path} -> namespace ${s.namespace})`);
  }
}

/** Shows the apps until all are Synced to `sha` (main now) and Healthy; false when stopped first. */
async function converge(
  kube: Kube,
  controller: Controller,
  o: DemoOptions,
  apps: readonly SampleApp[],
  sha: string,
  stopped: () => boolean,
): Promise<boolean> {
  const names = new Set(apps.map((s) => s.name));
  const deadline = Date.now() + o.timeoutMs;
  let shown = '';
  while (!stopped()) {
    const apps = (
      await kube.list<Application>(API_VERSION, KIND, { namespace: o.appNamespace })
    ).items.filter((a) => names.has(a.metadata.name));
    const view = table(apps);
    if (view !== shown) o.progress.detail(`\n${view}`);
    shown = view;
    // Only trust a status this run's controller has looked at.
    const reconciled = (controller.queue.processed ?? 0) >= names.size;
    const ready = (a: Application): boolean =>
      a.status?.sync?.status === 'Synced' &&
      a.status.sync.revision === sha &&
      a.status.health?.status === 'Healthy';
    if (reconciled && apps.length === names.size && apps.every(ready)) return true;
    if (Date.now() > deadline)
      throw new SluiceError(
        'DemoTimeout',
        `the sample apps did not converge in ${o.timeoutMs / 1000}s`,
        { hint: '`npx sluice app get <name>` shows what each one waits on' },
      );
    await sleep(500);
  }
  return false;
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
  let controller: Controller | undefined;
  let canary: CanarySupport | undefined;
  try {
    await installCrds(kube, o.progress);
    o.progress.step(`sample repository at ${o.dir}`);
    const sha = await ensureDemoRepo(o.dir);
    o.progress.detail(`main is at ${sha.slice(0, 7)}`);
    if (nodeIp) {
      o.progress.step('Prometheus for the canary app');
      canary = await startCanarySupport(kube, nodeIp, o.progress);
    }
    const apps = appsFor(nodeIp !== undefined, canary !== undefined);
    o.progress.step('starting the controller (Applications and Rollouts)');
    controller = new Controller({
      kube,
      namespace: o.appNamespace,
      appNamespaces: [o.appNamespace],
      rollouts: true,
      log: createLogger('warn'),
    });
    await controller.start();
    await registerApps(kube, o, apps);
    if (!nodeIp) {
      o.progress.detail(
        'no real node in this cluster (started with --real-nodes 0): the "hello" and "canary" apps are left out',
      );
    }
    const converged = await converge(kube, controller, o, apps, sha, stopped);
    if (converged) {
      o.progress.step(
        `all ${apps.length} Applications are Synced and Healthy (${formatDuration(Date.now() - started)})`,
      );
    }
    if (converged && (await walkCanary(kube, o, canary, stopped))) {
      const canaryVersion = canary ? await gitCanaryVersion(o.dir) : undefined;
      o.print(
        tryNext({
          ...hints,
          replicas: await gitReplicas(o.dir),
          ...(canaryVersion ? { canaryVersion } : {}),
        }),
      );
      if (o.exitWhenHealthy) return;
      o.print(
        `The controller keeps running here; press Ctrl-C to stop it (the cluster keeps running: \`${downCommand(hints)}\` removes it).`,
      );
    }
    o.progress.step(`${await signal}: stopping the controller`);
  } finally {
    await controller?.stop();
    await canary?.stop();
    await kube.close();
  }
  o.print(stoppedMessage(hints));
}
