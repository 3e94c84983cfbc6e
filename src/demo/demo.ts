/**
 * `sluice demo`: the whole GitOps loop on this machine in one command. Brings up the dev
 * cluster, makes a local Git repository with three sample sources (four Applications), registers them, runs the
 * controller, shows them converge, and says what to try next.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { installCrds } from '../api/install.ts';
import { GitOpsController as Controller } from '../gitops/controller.ts';
import { binaryPath } from '../devcluster/build.ts';
import { up } from '../devcluster/cluster.ts';
import { cacheRoot } from '../devcluster/paths.ts';
import { SluiceError } from '../errors.ts';
import { FIELD_MANAGER, FINALIZER } from '../gitops/annotations.ts';
import { Kube } from '../kube/api.ts';
import { execFile } from '../util/exec.ts';
import { createLogger } from '../util/log.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import { downCommand, gitReplicas, stoppedMessage, tryNext, type HintContext } from './hints.ts';
import { SAMPLE_APPS, SAMPLE_FILES, type SampleApp } from './samples.ts';

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

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execFile(
    'git',
    [
      '-c',
      'user.name=Sluice Demo',
      '-c',
      'user.email=demo@sluice.dev',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: dir },
  );
  if (r.code !== 0)
    throw new SluiceError('GitFailed', `git ${args[0]} in ${dir} failed: ${r.stderr.trim()}`, {
      hint: 'is git installed?',
    });
  return r.stdout.trim();
}

/** Creates the sample repository once; later runs keep the user's commits. */
export async function ensureDemoRepo(dir: string): Promise<string> {
  const exists = await access(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(dir, { recursive: true });
    await git(dir, 'init', '-q', '-b', 'main');
    for (const [path, content] of Object.entries(SAMPLE_FILES)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'Sample apps: plain YAML, Kustomize, Helm');
  }
  return git(dir, 'rev-parse', 'HEAD');
}

function application(
  name: string,
  path: string,
  namespace: string,
  repoURL: string,
  appNamespace: string,
): Application {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: appNamespace, finalizers: [FINALIZER] },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path },
      destination: { server: 'https://kubernetes.default.svc', namespace },
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

/** The sample apps this cluster can run: the real-node one only where there is a real node. */
function appsFor(realNode: boolean): readonly SampleApp[] {
  return SAMPLE_APPS.filter((s) => realNode || !s.realNode);
}

async function registerApps(kube: Kube, o: DemoOptions, apps: readonly SampleApp[]): Promise<void> {
  if (!(await kube.get('v1', 'Namespace', undefined, o.appNamespace)))
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.appNamespace } });
  o.progress.step('registering Applications');
  for (const s of apps) {
    await kube.apply(application(s.name, s.path, s.namespace, `file://${o.dir}`, o.appNamespace), {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
    o.progress.detail(`${s.name} (${s.kind}: ${s.path} -> namespace ${s.namespace})`);
  }
}

/** Shows the apps until all are Synced and Healthy; false when stopped first. */
async function converge(
  kube: Kube,
  controller: Controller,
  o: DemoOptions,
  apps: readonly SampleApp[],
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
      a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
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

export async function runDemo(o: DemoOptions): Promise<void> {
  const started = Date.now();
  const { state } = await up({ name: o.clusterName, nodes: 3, realNodes: 1, progress: o.progress });
  // From here on Ctrl-C stops the demo but not the cluster (and says so); during `up` it aborts.
  const { signal, stopped } = stopRequested();
  const hints: HintContext = {
    clusterName: o.clusterName,
    kubeconfig: state.kubeconfig,
    repoDir: o.dir,
    appNamespace: o.appNamespace,
    kubectl: (await binaryPath('kubectl')) ?? 'kubectl',
    replicas: 2,
    ...(state.realNode ? { realNodeIp: state.realNode.network.nodeIp } : {}),
  };
  const apps = appsFor(state.realNode !== undefined);
  const kube = await Kube.connect(state.kubeconfig);
  let controller: Controller | undefined;
  try {
    await installCrds(kube, o.progress);
    o.progress.step(`sample repository at ${o.dir}`);
    const sha = await ensureDemoRepo(o.dir);
    o.progress.detail(`main is at ${sha.slice(0, 7)}`);
    await registerApps(kube, o, apps);
    if (!state.realNode) {
      o.progress.detail(
        'no real node in this cluster (started with --real-nodes 0): the "hello" app is left out',
      );
    }
    o.progress.step('starting the controller');
    controller = new Controller({
      kube,
      namespace: o.appNamespace,
      appNamespaces: [o.appNamespace],
      log: createLogger('warn'),
    });
    await controller.start();
    if (await converge(kube, controller, o, apps, stopped)) {
      o.progress.step(
        `all ${apps.length} Applications are Synced and Healthy (${formatDuration(Date.now() - started)})`,
      );
      o.print(tryNext({ ...hints, replicas: await gitReplicas(o.dir) }));
      if (o.exitWhenHealthy) return;
      o.print(
        `The controller keeps running here; press Ctrl-C to stop it (the cluster keeps running: \`${downCommand(hints)}\` removes it).`,
      );
    }
    o.progress.step(`${await signal}: stopping the controller`);
  } finally {
    await controller?.stop();
    await kube.close();
  }
  o.print(stoppedMessage(hints));
}
