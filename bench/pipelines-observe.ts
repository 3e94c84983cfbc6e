/**
 * What the pipelines benchmark watches, each moment taken in this process with millisecond
 * precision (the API's own timestamps have 1 s resolution):
 *
 * - watches on the namespace's PipelineRuns, TaskRuns and TaskRun pods: when each object was
 *   first seen, when a run started and ended, when a pod first showed its first step running;
 *   and, on every PipelineRun event, how many runs are running (started, not ended) at once;
 * - containerd's event stream on the real node (`ctr events`): when each container's process
 *   really started and exited (nanosecond timestamps), named by its pod and container (read
 *   from the container's OCI bundle as it is created). Kubelet notices a container's start
 *   or exit only at its next relist (up to 1 s later), so these are the true step times;
 * - a step's own start time when its pod reports one: Tekton's entrypoint starts the container,
 *   then waits (for the pod's ready annotation, for the step before) and only then runs the
 *   command, writing that moment (`StartedAt`, ms) into the step's termination message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { PipelineRun, TaskRun } from '../src/api/pipeline.ts';
import type { Kube } from '../src/kube/api.ts';
import { Informer } from '../src/kube/informer.ts';
import type { Pod } from '../src/pipelines/kube/pods.ts';
import { API, outcome, STEP_CONTAINER } from './pipelines-fixtures.ts';

/** On the TaskRuns and pods of both Sluice and Tekton (Sluice sets Tekton's labels too). */
export const RUN_LABEL = 'tekton.dev/pipelineRun';
export const TASK_LABEL = 'tekton.dev/pipelineTask';

/** Whose objects are watched: Sluice's API or Tekton's. */
export interface Flavor {
  apiVersion: string;
  /** The label naming a pod's TaskRun. */
  podTaskRunLabel: string;
}
export const SLUICE: Flavor = { apiVersion: API, podTaskRunLabel: 'sluice.dev/taskRun' };
export const TEKTON: Flavor = {
  apiVersion: 'tekton.dev/v1',
  podTaskRunLabel: 'tekton.dev/taskRun',
};

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
export const median = (xs: readonly number[]): number => pct(xs, 50);

/** Seen by the bench's watches (ms since the epoch). */
export interface RunTimes {
  seen: number;
  started?: number;
  ended?: number;
}

export class Watches {
  readonly runs: Informer<PipelineRun>;
  readonly taskRuns: Informer<TaskRun>;
  readonly pods: Informer<Pod>;
  readonly run = new Map<string, RunTimes>();
  readonly taskRunSeen = new Map<string, number>();
  readonly taskRunEnded = new Map<string, number>();
  readonly podSeen = new Map<string, number>();
  /** Pod -> when its status first showed the first step running or ended. */
  readonly stepSeen = new Map<string, number>();
  /** `pod/container` -> when the pod's status first showed the container terminated. */
  readonly endSeen = new Map<string, number>();
  /** `pod/container` -> when the step's command started, as its termination message says. */
  readonly commandStarted = new Map<string, number>();
  /** TaskRun -> the first pod seen for it (pods are cleaned up; this stays). */
  readonly podByTaskRun = new Map<string, string>();
  /** PipelineRun -> every pod seen for it (a run whose task ran twice has two). */
  readonly podsOfRun = new Map<string, Set<string>>();
  /** The most runs running at once (started, not ended), from every event. */
  maxRunning = 0;
  /** The most TaskRuns not yet ended at once, from every event. */
  maxActiveTaskRuns = 0;
  private readonly running = new Set<string>();
  private readonly activeTaskRuns = new Set<string>();

  private readonly flavor: Flavor;

  constructor(kube: Kube, namespace: string, flavor: Flavor = SLUICE) {
    this.flavor = flavor;
    const at = { namespace, apiVersion: flavor.apiVersion };
    this.runs = new Informer<PipelineRun>(kube, { kind: 'PipelineRun', ...at });
    this.taskRuns = new Informer<TaskRun>(kube, { kind: 'TaskRun', ...at });
    this.pods = new Informer<Pod>(kube, {
      apiVersion: 'v1',
      kind: 'Pod',
      labelSelector: flavor.podTaskRunLabel,
      namespace,
    });
    this.runs.on((type, r) => type !== 'deleted' && this.onRun(r));
    this.taskRuns.on((type, tr) => type !== 'deleted' && this.onTaskRun(tr));
    this.pods.on((type, p) => type !== 'deleted' && this.onPod(p));
  }

  async start(): Promise<void> {
    await Promise.all([this.runs.start(), this.taskRuns.start(), this.pods.start()]);
  }

  stop(): void {
    for (const i of [this.runs, this.taskRuns, this.pods]) i.stop();
  }

  /** Starts counting the most runs running at once afresh. */
  resetMax(): void {
    this.maxRunning = this.running.size;
    this.maxActiveTaskRuns = this.activeTaskRuns.size;
  }

  private onRun(r: PipelineRun): void {
    const now = Date.now();
    const name = r.metadata.name;
    const t = this.run.get(name) ?? { seen: now };
    this.run.set(name, t);
    if (r.status?.startTime && t.started === undefined) t.started = now;
    if (outcome(r) && t.ended === undefined) t.ended = now;
    if (t.started !== undefined && t.ended === undefined) this.running.add(name);
    else this.running.delete(name);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
  }

  private onTaskRun(tr: TaskRun): void {
    const now = Date.now();
    const name = tr.metadata.name;
    if (!this.taskRunSeen.has(name)) this.taskRunSeen.set(name, now);
    const c = tr.status?.conditions?.find((x) => x.type === 'Succeeded');
    const ended = c !== undefined && c.status !== 'Unknown';
    if (ended && !this.taskRunEnded.has(name)) this.taskRunEnded.set(name, now);
    if (ended) this.activeTaskRuns.delete(name);
    else this.activeTaskRuns.add(name);
    this.maxActiveTaskRuns = Math.max(this.maxActiveTaskRuns, this.activeTaskRuns.size);
  }

  private onPod(p: Pod): void {
    const now = Date.now();
    const name = p.metadata.name;
    if (!this.podSeen.has(name)) {
      this.podSeen.set(name, now);
      const run = p.metadata.labels?.[RUN_LABEL];
      if (run) this.podsOfRun.set(run, (this.podsOfRun.get(run) ?? new Set()).add(name));
      const tr = p.metadata.labels?.[this.flavor.podTaskRunLabel];
      if (tr && !this.podByTaskRun.has(tr)) this.podByTaskRun.set(tr, name);
    }
    // Sluice's steps are init containers, Tekton's regular containers.
    const all = [
      ...(p.status?.initContainerStatuses ?? []),
      ...(p.status?.containerStatuses ?? []),
    ];
    const first = all.find((c) => c.name === STEP_CONTAINER)?.state;
    if ((first?.running || first?.terminated) && !this.stepSeen.has(name))
      this.stepSeen.set(name, now);
    for (const c of all) {
      const key = `${name}/${c.name}`;
      if (c.state?.terminated && !this.endSeen.has(key)) {
        this.endSeen.set(key, now);
        const started = commandStartedAt(c.state.terminated.message);
        if (started !== undefined) this.commandStarted.set(key, started);
      }
    }
  }

  /** The TaskRuns of a PipelineRun, by pipeline task. */
  taskRunsOf(run: string): Map<string, TaskRun> {
    const out = new Map<string, TaskRun>();
    for (const tr of this.taskRuns.list())
      if (tr.metadata.labels?.[RUN_LABEL] === run)
        out.set(tr.metadata.labels[TASK_LABEL] ?? '', tr);
    return out;
  }

  /** The pod of a TaskRun's first attempt, as seen by the watch (it may be gone since). */
  podOf(taskRun: string): string | undefined {
    return this.podByTaskRun.get(taskRun);
  }
}

/**
 * `StartedAt` (RFC 3339, ms) from a termination message that is a JSON list of
 * `{key, value}` (Tekton's entrypoint writes one); undefined for any other message.
 */
export function commandStartedAt(message: string | undefined): number | undefined {
  if (!message?.startsWith('[')) return undefined;
  try {
    const entries = JSON.parse(message) as Array<{ key?: unknown; value?: unknown }>;
    const v = entries.find((e) => e.key === 'StartedAt')?.value;
    const at = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isFinite(at) ? at : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of containerd's task events this file reads. */
interface EventBody {
  container_id?: string;
  id?: string;
  bundle?: string;
  exited_at?: string | { seconds?: number; nanos?: number };
}

/** One container's process on the real node, named by its pod and container. */
export interface ContainerTimes {
  namespace?: string;
  pod?: string;
  container?: string;
  started?: number;
  exited?: number;
  /** How many times a process was started in it. */
  starts: number;
}

/**
 * `ctr events` on the real node's containerd. Container ids are named by reading the OCI
 * bundle's annotations (`io.kubernetes.cri.sandbox-name`, `...container-name`) through the
 * containerd process's root (it runs in its own mount namespace).
 */
export class ContainerdEvents {
  readonly byId = new Map<string, ContainerTimes>();
  private child: ChildProcess | undefined;
  private lines = 0;

  private readonly ctr: string;
  private readonly socket: string;
  private readonly containerdPid: number;

  constructor(ctr: string, socket: string, containerdPid: number) {
    this.ctr = ctr;
    this.socket = socket;
    this.containerdPid = containerdPid;
  }

  start(): void {
    const child = spawn(this.ctr, ['-a', this.socket, 'events'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    child.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (l) => this.onLine(l));
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }

  /** Whether events are arriving at all (checked after a pod has run). */
  get working(): boolean {
    return this.lines > 0;
  }

  private entry(id: string): ContainerTimes {
    const e = this.byId.get(id) ?? { starts: 0 };
    this.byId.set(id, e);
    return e;
  }

  private onLine(line: string): void {
    // "2026-12-01 05:20:11.123456789 +0000 UTC k8s.io /tasks/start {...}"
    const m = /^(\S+) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d\d)(\d\d) \S+ (\S+) (\S+) (.*)$/.exec(line);
    if (!m || m[6] !== 'k8s.io') return;
    this.lines++;
    const at = Date.parse(`${m[1]}T${m[2]}${m[4]}:${m[5]}`) + Number(m[3] ?? 0) * 1000;
    let body: EventBody;
    try {
      body = JSON.parse(m[8] ?? '{}') as EventBody;
    } catch {
      return;
    }
    const id = body.container_id ?? '';
    if (!id) return;
    const topic = m[7];
    if (topic === '/tasks/create') void this.name(id, body.bundle ?? '');
    if (topic === '/tasks/start') {
      const e = this.entry(id);
      e.started ??= at;
      e.starts++;
    }
    if (topic === '/tasks/exit' && body.id === id) {
      // A protobuf Timestamp: {seconds, nanos} (or RFC 3339 text).
      const x = body.exited_at;
      const exited =
        typeof x === 'string' ? Date.parse(x) : (x?.seconds ?? NaN) * 1000 + (x?.nanos ?? 0) / 1e6;
      this.entry(id).exited = Number.isFinite(exited) ? exited : at;
    }
  }

  private async name(id: string, bundle: string): Promise<void> {
    try {
      const spec = JSON.parse(
        await readFile(`/proc/${this.containerdPid}/root${bundle}/config.json`, 'utf8'),
      ) as { annotations?: Record<string, string> };
      const a = spec.annotations ?? {};
      const e = this.entry(id);
      const pod = a['io.kubernetes.cri.sandbox-name'];
      if (pod) e.pod = pod;
      const ns = a['io.kubernetes.cri.sandbox-namespace'];
      if (ns) e.namespace = ns;
      e.container = a['io.kubernetes.cri.container-name'] ?? 'sandbox';
    } catch {
      // Gone already (a container that ended at once): it stays unnamed.
    }
  }

  /**
   * The container `container` of pod `namespace/pod` (its first instance). Sluice's and
   * Tekton's runs share names (`chain-0-t00`...) in two namespaces: the namespace tells them
   * apart.
   */
  find(namespace: string, pod: string, container: string): ContainerTimes | undefined {
    for (const e of this.byId.values())
      if (e.namespace === namespace && e.pod === pod && e.container === container) return e;
    return undefined;
  }

  /** Process starts in containers named `container` in `namespace`, by pod. */
  startsByPod(namespace: string, container: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.byId.values())
      if (e.pod && e.namespace === namespace && e.container === container)
        out.set(e.pod, (out.get(e.pod) ?? 0) + e.starts);
    return out;
  }
}

/** Peak and current resident memory (MB) of a process. */
export async function rssMb(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
  return { peak: Math.round(kb('VmHWM') / 1024), now: Math.round(kb('VmRSS') / 1024) };
}

export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** A Prometheus histogram's _sum and _count (all label sets added) from /metrics text. */
export function histogram(text: string, name: string): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const m of text.matchAll(new RegExp(`^${name}_(sum|count)(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    if (m[1] === 'sum') sum += Number(m[2]);
    else count += Number(m[2]);
  return { sum, count };
}

/** The controller's API requests by verb (`sluice_k8s_request_total`), watches left out. */
export function requestsByVerb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^sluice_k8s_request_total\{verb="([^"]+)",code="[^"]+"\} (\d+)/gm,
  )) {
    const verb = m[1] ?? '';
    if (verb !== 'watch' && !verb.startsWith('lease')) out[verb] = (out[verb] ?? 0) + Number(m[2]);
  }
  return out;
}

/** `after - before`, per key, without zeros. */
export function minus(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (v - (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}
