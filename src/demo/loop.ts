/**
 * The loop's rig (issue 12): what the commit-to-production loop of loop-samples.ts needs besides
 * the controller, set up on a dev cluster with a real node, the same for `sluice demo`, the e2e
 * test and `npm run bench:loop`:
 *
 * - two bare Git repositories under `dir` (the app's source and the deploy repository, both
 *   refusing non-fast-forward pushes), served to the real node's pods over http with Basic auth
 *   (git-serve.ts), and a developer's clone of the source that makes the commits (`push`);
 * - Sluice's image and the buildah image in the cluster's registry (built once, cached);
 * - a real Prometheus scraping the pods of `namespace` and traffic on prod's NodePorts, so prod's
 *   canary analysis has requests to count;
 * - the catalog Tasks, the Git Secret, the Pipeline, Trigger, Promotion and three Applications.
 *
 * `stop()` ends what it started and removes `dir` unless told to keep it; the namespace and its
 * objects stay (the cluster's owner removes them).
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Task } from '../api/pipeline.ts';
import { pushBuildahImage } from '../devcluster/images/buildah-image.ts';
import { pushSluiceImage } from '../devcluster/images/sluice-image.ts';
import { startPrometheus, type RunningPrometheus } from '../devcluster/prometheus.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

interface Service extends KubeObject {
  spec?: { ports?: Array<{ nodePort?: number }> };
}
import { execFile } from '../util/exec.ts';
import type { Progress } from '../util/progress.ts';
import { serveReposToNode } from './git-serve.ts';
import { startLoad, type Load } from './load.ts';
import {
  LOOP_APP_PORT,
  PROD_SERVICES,
  applications,
  deployFiles,
  gitSecret,
  pipeline,
  promotion,
  sourceFiles,
  trigger,
  type LoopOptions,
} from './loop-samples.ts';
import { scrapePods } from './scrape.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The catalog Tasks the loop's Pipeline runs, applied from `catalog/<name>/task.yaml`. */
export const CATALOG_TASKS = [
  'git-clone',
  'run-tests',
  'buildah-build-push',
  'scan-gate',
  'set-image',
] as const;

export interface LoopRigOptions {
  kube: Kube;
  namespace: string;
  /** Repositories, Prometheus' data: created if missing. */
  dir: string;
  /** The cluster's registry as this machine reaches it (`<node IP>:5000`). */
  registry: string;
  /** The host end of the real node's link (pods reach the Git server there). */
  hostIp: string;
  /** The real node's address (prod's NodePorts). */
  nodeIp: string;
  progress: Progress;
  /** Prometheus' port on 127.0.0.1 (default: a free one). */
  prometheusPort?: number;
  pollInterval?: string;
  soak?: string;
  /** Leave `dir` in place on stop (the demo: people look at the repositories afterwards). */
  keepDir?: boolean;
  /**
   * Keep the repositories a previous rig left in `dir` (the demo run again continues where it
   * stopped: the apps, the Trigger's baseline and the deploy history stay true). Needs a fixed
   * `prometheusPort`: the deploy repository's analysis names Prometheus' address.
   */
  reuseRepos?: boolean;
}

export interface LoopRig {
  options: LoopOptions;
  /** The developer's clone of the source repository. */
  sourceWork: string;
  /** The bare repositories. */
  sourceRepo: string;
  deployRepo: string;
  /** Commits these files (null deletes) in the developer's clone, pushes main; the new SHA. */
  push(files: Record<string, string | null>, message: string): Promise<string>;
  /** git in the deploy repository (bare). */
  deployGit(...args: string[]): Promise<string>;
  prometheus: RunningPrometheus;
  stop(): Promise<void>;
}

const GIT_AUTH = { username: 'ci', password: 'loop-s3cret' };

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execFile(
    'git',
    [
      '-c',
      'user.name=Dev',
      '-c',
      'user.email=dev@example.com',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd },
  );
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    if (text === null) await rm(full, { force: true });
    else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text);
    }
  }
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * A bare repository `<name>.git` under `dir` holding `files` on main, and its working clone;
 * with `reuse`, the ones already there (the working clone brought up to date).
 */
async function bareRepo(
  dir: string,
  name: string,
  files: Record<string, string>,
  reuse = false,
): Promise<{ bare: string; work: string }> {
  const work = join(dir, `${name}-work`);
  const bare = join(dir, `${name}.git`);
  if (reuse && (await exists(join(bare, 'HEAD'))) && (await exists(join(work, '.git')))) {
    await git(work, 'pull', '-q', '--ff-only', 'origin', 'main');
    return { bare, work };
  }
  await rm(work, { recursive: true, force: true });
  await rm(bare, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await git(work, 'init', '-q', '-b', 'main');
  await writeFiles(work, files);
  await git(work, 'add', '-A');
  await git(work, 'commit', '-q', '-m', 'initial');
  await git(dir, 'clone', '-q', '--bare', work, bare);
  await git(bare, 'config', 'receive.denyNonFastForwards', 'true');
  await git(work, 'remote', 'add', 'origin', bare);
  await git(work, 'fetch', '-q', 'origin');
  await git(work, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  return { bare, work };
}

/** Creates `o`, or replaces its spec when it exists (a demo run again). */
async function apply(kube: Kube, o: KubeObject): Promise<void> {
  const existing = await kube.get(
    o.apiVersion,
    o.kind,
    o.metadata.namespace,
    o.metadata.name ?? '',
  );
  if (!existing) await kube.create(o);
  else
    await kube.update({
      ...o,
      metadata: { ...o.metadata, resourceVersion: existing.metadata.resourceVersion ?? '' },
    });
}

/**
 * Traffic to prod's stable and canary Services (10 requests a second each), from when they
 * exist: their NodePorts are the API server's choice, so two loops never collide.
 */
function prodTraffic(kube: Kube, namespace: string, nodeIp: string): { stop(): Promise<void> } {
  const stopped = new AbortController();
  let load: Load | undefined;
  const nodePort = async (name: string): Promise<number | undefined> => {
    const svc = await kube.get<Service>('v1', 'Service', namespace, name).catch(() => undefined);
    return svc?.spec?.ports?.[0]?.nodePort;
  };
  const started = (async () => {
    while (!stopped.signal.aborted) {
      const ports = await Promise.all(PROD_SERVICES.map(nodePort));
      if (ports.every((p) => p !== undefined)) {
        load = startLoad(
          ports.map((p) => `http://${nodeIp}:${p}/`),
          10,
        );
        return;
      }
      await sleep(1000, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await started;
      await load?.stop();
    },
  };
}

export async function startLoopRig(o: LoopRigOptions): Promise<LoopRig> {
  const { kube, namespace } = o;
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const f of stops.reverse()) await f().catch(() => undefined);
    if (!o.keepDir) await rm(o.dir, { recursive: true, force: true });
  };
  try {
    await mkdir(o.dir, { recursive: true });
    o.progress.step('images for the loop: Sluice (clone, scan gate, set-image) and buildah');
    const [sluice, buildah] = await Promise.all([
      pushSluiceImage({ repoRoot: REPO_ROOT, registry: o.registry, progress: o.progress }),
      pushBuildahImage({ registry: o.registry, progress: o.progress }),
    ]);
    const asNodePulls = (ref: string) => ref.replace(o.registry, 'localhost:5000');

    const prometheus = await startPrometheus({
      jobName: 'loop',
      dir: join(o.dir, 'prometheus'),
      ...(o.prometheusPort ? { port: o.prometheusPort } : {}),
    });
    stops.push(() => prometheus.stop());
    const image = `localhost:5000/${namespace}/web`;
    const reuse = o.reuseRepos === true;
    const source = await bareRepo(o.dir, 'source', sourceFiles({ image }), reuse);
    const deploy = await bareRepo(
      o.dir,
      'deploy',
      deployFiles({ prometheusURL: prometheus.url }),
      reuse,
    );
    const served = await serveReposToNode(o.dir, GIT_AUTH, o.hostIp);
    stops.push(() => served.close());
    const options: LoopOptions = {
      namespace,
      sourceRepoURL: `file://${source.bare}`,
      sourceCloneURL: `${served.base}/source.git`,
      deployRepoURL: `file://${deploy.bare}`,
      deployPushURL: `${served.base}/deploy.git`,
      image,
      sluiceImage: asNodePulls(sluice.reference),
      buildahImage: asNodePulls(buildah.reference),
      prometheusURL: prometheus.url,
      pollInterval: o.pollInterval ?? '1s',
      soak: o.soak ?? '10s',
    };

    const scrape = await scrapePods(
      kube,
      namespace,
      LOOP_APP_PORT,
      (groups) => prometheus.setTargets(groups),
      () => undefined,
    );
    stops.push(() => Promise.resolve(scrape.stop()));
    const traffic = prodTraffic(kube, namespace, o.nodeIp);
    stops.push(() => traffic.stop());

    o.progress.step(`the loop's resources in namespace ${namespace}`);
    const tasks = await Promise.all(
      CATALOG_TASKS.map(async (name) => {
        const text = await readFile(join(REPO_ROOT, 'catalog', name, 'task.yaml'), 'utf8');
        const t = parse(text) as Task;
        const namespaced: KubeObject = { ...t, metadata: { ...t.metadata, namespace } };
        return namespaced;
      }),
    );
    const resources: KubeObject[] = [
      ...tasks,
      gitSecret(namespace, GIT_AUTH),
      pipeline(options),
      trigger(options),
      promotion(options),
      ...applications(options),
    ];
    for (const r of resources) await apply(kube, r);

    return {
      options,
      sourceWork: source.work,
      sourceRepo: source.bare,
      deployRepo: deploy.bare,
      prometheus,
      push: async (files, message) => {
        await writeFiles(source.work, files);
        await git(source.work, 'add', '-A');
        await git(source.work, 'commit', '-q', '--allow-empty', '-m', message);
        await git(source.work, 'push', '-q', 'origin', 'main');
        return git(source.work, 'rev-parse', 'HEAD');
      },
      deployGit: (...args) => git(deploy.bare, ...args),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
