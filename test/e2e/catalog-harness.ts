/**
 * Helpers for the catalog's e2e tests: the shipped Task applied from `catalog/<name>/task.yaml`,
 * the images the Tasks use pushed to the run cluster's registry (Sluice's own, buildah), the
 * cluster's addresses (the registry on the node, the host end of the node's link), a
 * TaskRun run on the real node to its end, timed, and bare Git repositories served over http
 * with Basic auth where the node's pods reach them.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { API_VERSION } from '../../src/api/application.ts';
import type { Param, Task, TaskRun, WorkspaceBinding } from '../../src/api/pipeline.ts';
import { pushBuildahImage } from '../../src/devcluster/images/buildah-image.ts';
import { pushSluiceImage } from '../../src/devcluster/images/sluice-image.ts';
import type { ClusterState } from '../../src/devcluster/state.ts';
import type { Kube } from '../../src/kube/api.ts';
import { followStepLogs } from '../../src/pipelines/kube/logs.ts';
import { serveReposToNode, type NodeGitServer } from '../../src/demo/git-serve.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { kubeconfigPath } from './harness.ts';
import { ended, onRealNode, startTaskRuns, succeeded } from './taskrun-harness.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function clusterState(): Promise<ClusterState> {
  const path = join(dirname(kubeconfigPath()), 'state.json');
  return JSON.parse(await readFile(path, 'utf8')) as ClusterState;
}

/** The registry as pods and the host reach it (`<node IP>:5000`). */
export async function registry(): Promise<string> {
  const r = (await clusterState()).registry;
  if (!r) throw new Error('the run cluster has no registry (is it a real-node cluster?)');
  return r;
}

/** The host's address on the node's link: pods on the real node reach host listeners there. */
export async function hostAddress(): Promise<string> {
  const ip = (await clusterState()).realNode?.network.hostIp;
  if (!ip) throw new Error('the run cluster has no real node');
  return ip;
}

let sluiceImage: Promise<string> | undefined;
/** Sluice's image for this checkout, as the node pulls it (`localhost:5000/sluice/sluice:<hash>`). */
export function sluiceImageRef(): Promise<string> {
  sluiceImage ??= registry().then(async (reg) => {
    const { reference } = await pushSluiceImage({
      repoRoot: REPO_ROOT,
      registry: reg,
      progress: silentProgress,
    });
    return reference.replace(reg, 'localhost:5000');
  });
  return sluiceImage;
}

let buildahImage: Promise<string> | undefined;
export function buildahImageRef(): Promise<string> {
  buildahImage ??= registry().then(async (reg) => {
    const { reference } = await pushBuildahImage({ registry: reg, progress: silentProgress });
    return reference.replace(reg, 'localhost:5000');
  });
  return buildahImage;
}

/** The shipped Task, as a user applies it, created in `namespace`. */
export async function applyCatalogTask(k: Kube, namespace: string, name: string): Promise<Task> {
  const text = await readFile(join(REPO_ROOT, 'catalog', name, 'task.yaml'), 'utf8');
  const task = parse(text) as Task;
  return k.create<Task>({ ...task, metadata: { ...task.metadata, namespace } });
}

export interface CatalogRun {
  params?: Param[];
  workspaces?: WorkspaceBinding[];
  /** Merged over the real-node placement. */
  podTemplate?: Record<string, unknown>;
  /** Follow this step's log while it runs (the controller may delete a failed pod early). */
  follow?: string;
  /** The TaskRun's labels (a PipelineRun's `tekton.dev/pipelineRun`, say). */
  labels?: Record<string, string>;
}

export interface Finished {
  run: TaskRun;
  /** Created → ended, in seconds. */
  seconds: number;
  ok: boolean;
  message: string;
  results: Record<string, string>;
  /** The followed step's log. */
  log: string;
}

/** Runs the catalog Task `task` as TaskRun `name` on the real node and waits for its end. */
export async function runCatalogTask(
  k: Kube,
  namespace: string,
  name: string,
  task: string,
  o: CatalogRun = {},
): Promise<Finished> {
  const started = Date.now();
  await k.create<TaskRun>({
    apiVersion: API_VERSION,
    kind: 'TaskRun',
    metadata: { name, namespace, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      taskRef: { name: task },
      podTemplate: { ...onRealNode, ...o.podTemplate },
      ...(o.params ? { params: o.params } : {}),
      ...(o.workspaces ? { workspaces: o.workspaces } : {}),
    },
  });
  let log = '';
  const stop = new AbortController();
  const following = o.follow
    ? followStepLogs(k, { namespace, name }, o.follow, (t) => (log += t), stop.signal).catch(
        () => undefined,
      )
    : Promise.resolve();
  const run = await ended(k, namespace, name, 150_000);
  // The log ends with the container; give the stream a moment to deliver its last bytes.
  await Promise.race([following, sleep(5000)]);
  stop.abort();
  const c = succeeded(run);
  const results: Record<string, string> = {};
  for (const r of run.status?.results ?? [])
    results[r.name] = typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
  return {
    run,
    seconds: (Date.now() - started) / 1000,
    ok: c?.status === 'True',
    message: c?.message ?? '',
    results,
    log,
  };
}

/**
 * A step's log: from the pod, kept after the run, or what was followed when the controller
 * removed the pod of a step that failed before the pod's phase said so (see the report).
 */
export async function stepLog(
  k: Kube,
  namespace: string,
  f: Finished,
  step: string,
): Promise<string> {
  const pod = f.run.status?.podName ?? '';
  return k.podLog(namespace, pod, { container: `step-${step}` }).catch(() => f.log);
}

export { startTaskRuns };

/** Records how long each catalog Task took, printed once per file (for the report). */
export function timing(label: string, f: Finished): void {
  process.stderr.write(`catalog timing: ${label} ${f.seconds.toFixed(1)} s\n`);
}

export type HostGitServer = NodeGitServer;

/** The bare repositories under `projectRoot`, served where the real node's pods reach them. */
export async function serveGitToNode(
  projectRoot: string,
  auth: { username: string; password: string; bearerToken?: string },
): Promise<HostGitServer> {
  return serveReposToNode(projectRoot, auth, await hostAddress());
}
