/**
 * Helpers for GitOps tests: real Git repositories in temp dirs (file:// URLs), a controller
 * scoped to the test's namespace, and Applications.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import {
  API_VERSION,
  KIND,
  type Application,
  type ApplicationSpec,
} from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import {
  GitOpsController as Controller,
  type ControllerOptions,
} from '../../src/gitops/controller.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kubeconfigPath, uniqueName } from './harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

export interface TestRepo {
  dir: string;
  url: string;
  /** Writes (or, with null, deletes) files and commits; returns the new commit SHA. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  git(...args: string[]): Promise<string>;
}

export async function createRepo(files: Record<string, string | null>): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-repo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const git = async (...args: string[]): Promise<string> => {
    const r = await execFile(
      'git',
      [
        '-c',
        'user.name=Test',
        '-c',
        'user.email=test@example.com',
        '-c',
        'commit.gpgsign=false',
        ...args,
      ],
      { cwd: dir },
    );
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git('init', '-q', '-b', 'main');
  const commit = async (
    changes: Record<string, string | null>,
    message = 'change',
  ): Promise<string> => {
    for (const [path, content] of Object.entries(changes)) {
      const full = join(dir, path);
      if (content === null) await rm(full, { force: true });
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  await commit(files, 'initial');
  return { dir, url: `file://${dir}`, commit, git };
}

let crdsInstalled: Promise<unknown> | undefined;

/**
 * A controller that only looks at Applications in `namespace`; stopped after the test. With
 * `leader`, it holds the Lease in `namespace` as `sluice controller` does (the CLI, given
 * SLUICE_CONTROLLER_NAMESPACE, then knows a controller runs instead of giving up after 10 s).
 */
export async function startController(
  kube: Kube,
  namespace: string,
  options: Pick<
    ControllerOptions,
    'waitTimeoutMs' | 'listen' | 'webhookSecrets' | 'pollIntervalMs' | 'promotions' | 'policies'
  > & { log?: Logger; leader?: boolean } = {},
): Promise<Controller> {
  crdsInstalled ??= installCrds(kube, silentProgress);
  await crdsInstalled;
  const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
  const controller = new Controller({
    kube,
    namespace,
    appNamespaces: [namespace],
    cacheDir,
    leaderElection: options.leader
      ? { enabled: true, leaseDurationMs: 5000, renewMs: 1000 }
      : { enabled: false },
    waitTimeoutMs: options.waitTimeoutMs ?? 30_000,
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.webhookSecrets ? { webhookSecrets: options.webhookSecrets } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.promotions ? { promotions: true } : {}),
    ...(options.policies ? { policies: options.policies } : {}),
    log: options.log ?? (process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger),
  });
  await controller.start();
  cleanups.push(async () => {
    await controller.stop();
    // A webhook left behind would send the shared cluster's requests to a closed port.
    if (typeof options.policies === 'object' && options.policies.admission)
      await controller.policies?.unregister().catch(() => undefined);
    await rm(cacheDir, { recursive: true, force: true });
  });
  return controller;
}

export function application(namespace: string, name: string, spec: ApplicationSpec): Application {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
}

export async function getApp(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<Application | undefined> {
  return kube.get<Application>(API_VERSION, KIND, namespace, name);
}

/** Waits until the app's status satisfies `check`; the error shows the last status seen. */
export async function waitApp(
  kube: Kube,
  namespace: string,
  name: string,
  what: string,
  check: (a: Application) => boolean,
  timeoutMs = 30_000,
): Promise<Application> {
  let last: Application | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await getApp(kube, namespace, name);
        return last && check(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`,
      { cause: err },
    );
  }
}

export const syncedHealthy = (a: Application): boolean =>
  a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';

export function appName(prefix = 'app'): string {
  return uniqueName(prefix);
}

export const configMap = (name: string, data: Record<string, string>, extra = ''): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n${Object.entries(
    data,
  )
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n')}\n`;

export const deployment = (
  name: string,
  replicas = 2,
  image = 'nginx:1.27',
): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: main
          image: ${image}
`;

/** Creates an Application in `namespace` deploying there too (unless `destination` says otherwise). */
export async function createApp(
  kube: Kube,
  namespace: string,
  spec: Omit<ApplicationSpec, 'destination'> & { destination?: ApplicationSpec['destination'] },
  name = appName(),
): Promise<string> {
  await kube.create(application(namespace, name, { destination: { namespace }, ...spec }));
  return name;
}

/** A repository Secret (sluice.dev/secret-type=repository) in `namespace`. */
export async function repoSecret(
  kube: Kube,
  namespace: string,
  data: Record<string, string>,
  name = 'repo-creds',
): Promise<void> {
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'sluice.dev/secret-type': 'repository' } },
    stringData: data,
  });
}

/**
 * The command line of a test's `sluice controller`: the run's cluster, Lease and Applications in
 * `namespace`, no Rollout controller (rollouts are tested on their own), no pipeline controllers
 * unless asked, `--listen` as given.
 */
export function controllerArgs(
  namespace: string,
  listen = 'off',
  o: { pipelines?: boolean; notifications?: boolean } = {},
): string[] {
  return [
    'bin/sluice.js',
    'controller',
    '--no-rollouts',
    ...(o.pipelines ? [] : ['--no-pipelines']),
    ...(o.notifications ? [] : ['--no-notifications']),
    // Each test asks only for what it tests: image automation and promotions watch every
    // namespace, which a test's controller has no business doing.
    '--no-image-automation',
    '--no-promotions',
    '--no-triggers',
    // Policies are cluster-wide (ClusterPolicies gate every app): tested on their own.
    '--no-policies',
    '--kubeconfig',
    kubeconfigPath(),
    '--namespace',
    namespace,
    '--app-namespace',
    namespace,
    '--listen',
    listen,
  ];
}

/**
 * `sluice controller` as its own process (to kill -9 it, or to watch it die), watching only
 * `namespace`, with its Git cache in `cacheDir`. `args` are added to the command line.
 */
export function controllerProcess(
  namespace: string,
  cacheDir: string,
  args: readonly string[] = [],
  options: {
    env?: Record<string, string>;
    stderr?: 'ignore' | 'pipe';
    pipelines?: boolean;
    notifications?: boolean;
  } = {},
): ChildProcess {
  const which = {
    pipelines: options.pipelines ?? false,
    notifications: options.notifications ?? false,
  };
  return spawn(process.execPath, [...controllerArgs(namespace, 'off', which), ...args], {
    stdio: ['ignore', 'ignore', options.stderr ?? 'ignore'],
    env: { ...process.env, SLUICE_CACHE_DIR: cacheDir, ...options.env },
  });
}

/** A `sluice controller` process a test started (see `startSluiceController`). */
export interface SluiceControllerProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  /** Its work dir (Git mirrors, render journal), removed after the test. */
  workDir: string;
  /** SIGTERM, and wait for it to exit (also done after the test). */
  stop(): Promise<void>;
}

/**
 * `sluice controller` as its own process, as a user runs it: the run's cluster, its Lease and
 * Applications in `namespace`, deploying only there, with `args` added (the controllers a test
 * turns off, `--listen`, ...); its output kept for assertions. Stopped (SIGTERM) after the test.
 */
export async function startSluiceController(
  namespace: string,
  args: readonly string[],
): Promise<SluiceControllerProcess> {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-proc-'));
  let log = '';
  const child = spawn(
    process.execPath,
    [
      'bin/sluice.js',
      'controller',
      '--kubeconfig',
      kubeconfigPath(),
      '--namespace',
      namespace,
      '--app-namespace',
      namespace,
      '--destination-namespace',
      namespace,
      '--work-dir',
      join(workDir, 'work'),
      ...args,
    ],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
  cleanups.push(async () => {
    await stop();
    await rm(workDir, { recursive: true, force: true });
  });
  return { child, log: () => log, workDir, stop };
}
