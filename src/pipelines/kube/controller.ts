/**
 * The TaskRun controller: runs each TaskRun as one Pod (per attempt) on the cluster and keeps
 * its status as Tekton does. It plugs into the controller runtime like the others: a cache of
 * TaskRuns, a cache of their pods (an event on a pod queues its TaskRun), one StatusPatcher, the
 * timeout as a requeue — nothing polls, and no worker waits for a pod.
 *
 * Around reconcile.ts: cancel and timeout delete the pod (1 s grace); an ended run's
 * volumeClaimTemplate PVCs are deleted (they go once no kept pod uses them); finished pods are
 * kept per namespace up to `keepPods` (cleanup.ts).
 *
 * @example
 * const taskRuns = new TaskRunController({ kube, log, helperImage: 'localhost:5000/busybox:latest' });
 * manager.add(taskRuns);
 */
import type { TaskRun, TaskRunStatus } from '../../api/pipeline.ts';
import { API_VERSION } from '../../api/application.ts';
import { TASK_RUN_KIND } from '../../api/pipeline.ts';
import { errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { Logger } from '../../util/log.ts';
import { DEFAULT_KEEP_PODS, podsToDelete } from './cleanup.ts';
import { placementOf, SHARED_CLAIM_INDEX, sharedClaimKeys } from './placement.ts';
import { isTerminal, type Pod, TASK_RUN_LABEL } from './pods.ts';
import { reconcileRun, type Step } from './reconcile.ts';
import { isDone } from './runstatus.ts';
import { claimsToCreate } from './workspaces.ts';

/** The results container's image on the dev cluster (any image with sh, wc and base64 does). */
export const DEFAULT_HELPER_IMAGE = 'localhost:5000/busybox:latest';
/** `sluice controller` reads the helper image from here when no flag gives it. */
export const HELPER_IMAGE_ENV = 'SLUICE_PIPELINE_HELPER_IMAGE';

export interface TaskRunControllerOptions {
  kube: Kube;
  log: Logger;
  /** Watch only these namespaces (default: all). */
  namespaces?: readonly string[];
  concurrency?: number;
  /** The image of the container that prints results (default $SLUICE_PIPELINE_HELPER_IMAGE, else the dev cluster's busybox). */
  helperImage?: string;
  /** Finished pods kept per namespace (default 10). */
  keepPods?: number;
  /** What every TaskRun's pod gets unless its own podTemplate says otherwise. */
  defaultPodTemplate?: Record<string, unknown>;
  /** False holds a finished pod back from cleanup (e.g. its logs are not saved yet). */
  canDeletePod?: (pod: Pod) => boolean;
  /** The clock (tests). */
  now?: () => number;
}

type Flags = Record<string, never>;

/** Pods just created, until the cache has them (a reconcile must never make one twice). */
const MEMO_MS = 30_000;

export class TaskRunController implements Runnable {
  readonly taskRuns: Controller<TaskRun, Flags>;
  private readonly pods: Informer<Pod>[];
  private readonly patcher = new StatusPatcher<TaskRunStatus, TaskRun>();
  private readonly created = new Map<string, { pod: Pod; at: number }>();
  private readonly placing = new Map<string, Promise<unknown>>();
  private readonly cleanups = new Map<string, NodeJS.Timeout>();
  /** Ended runs whose PVCs this process has already deleted. */
  private readonly ended = new Set<string>();
  private readonly o: TaskRunControllerOptions;
  private readonly helperImage: string;
  private readonly now: () => number;

  constructor(o: TaskRunControllerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.helperImage = o.helperImage ?? process.env[HELPER_IMAGE_ENV] ?? DEFAULT_HELPER_IMAGE;
    this.taskRuns = new Controller<TaskRun, Flags>({
      name: 'taskruns',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: TASK_RUN_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: o.concurrency ?? 10,
      indexes: { [SHARED_CLAIM_INDEX]: sharedClaimKeys },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.taskRuns.onEvent((type, tr) => {
      this.patcher.observe(tr);
      if (type !== 'deleted') return;
      this.patcher.forget(`${tr.metadata.namespace}/${tr.metadata.name}`);
      this.ended.delete(`${tr.metadata.namespace}/${tr.metadata.name}/${tr.metadata.uid ?? ''}`);
    });
    this.pods = (o.namespaces ?? [undefined]).map((namespace) => {
      const inf = new Informer<Pod>(o.kube, {
        apiVersion: 'v1',
        kind: 'Pod',
        ...(namespace ? { namespace } : {}),
        labelSelector: TASK_RUN_LABEL,
        transform: dropManagedFields,
        onError: (err) => o.log.warn('pod watch failed; retrying', { error: errorMessage(err) }),
      });
      inf.on((_type, pod) => this.onPod(pod));
      return inf;
    });
  }

  async start(): Promise<void> {
    await Promise.all([...this.pods.map((i) => i.start()), this.taskRuns.start()]);
  }

  startLeading(leader: AbortSignal): void {
    this.taskRuns.startLeading(leader);
    const namespaces = new Set(this.pods.flatMap((i) => i.list()).map((p) => p.metadata.namespace));
    for (const ns of namespaces) this.scheduleCleanup(ns);
  }

  async stop(): Promise<void> {
    await this.taskRuns.stop();
    for (const i of this.pods) i.stop();
    for (const t of this.cleanups.values()) clearTimeout(t);
    this.cleanups.clear();
  }

  /** A TaskRun's pod by name: from the cache, or one just created. */
  pod(namespace: string, name: string): Pod | undefined {
    for (const inf of this.pods) {
      const p = inf.get(namespace, name);
      if (p) return p;
    }
    const memo = this.created.get(`${namespace}/${name}`);
    return memo && this.now() - memo.at < MEMO_MS ? memo.pod : undefined;
  }

  private onPod(pod: Pod): void {
    this.created.delete(`${pod.metadata.namespace}/${pod.metadata.name}`);
    // A run may end before kubelet calls its pod Succeeded: the pod counts from then on.
    if (isTerminal(pod)) this.scheduleCleanup(pod.metadata.namespace);
    const owner = pod.metadata.ownerReferences?.find(
      (r) => r.kind === TASK_RUN_KIND && r.controller,
    );
    if (owner) this.taskRuns.enqueue(`${pod.metadata.namespace}/${owner.name}`);
  }

  private async reconcile(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.taskRuns.get(req.namespace, req.name);
    if (!cached) return {};
    const tr = this.patcher.current(cached);
    const kube = this.o.kube.withSignal(req.signal);
    if (isDone(tr)) return this.afterEnd(kube, tr);
    const step = await this.serialPlacement(tr, () =>
      reconcileRun(
        {
          kube,
          now: this.now(),
          helperImage: this.helperImage,
          ...(this.o.defaultPodTemplate ? { defaultPodTemplate: this.o.defaultPodTemplate } : {}),
          pod: (ns, name) => this.pod(ns, name),
          remember: (p) =>
            this.created.set(`${p.metadata.namespace}/${p.metadata.name}`, {
              pod: p,
              at: this.now(),
            }),
          placement: (t) =>
            placementOf(t, {
              siblings: (key) => this.taskRuns.byIndex(SHARED_CLAIM_INDEX, key),
              pod: (ns, name) => this.pod(ns, name),
            }),
        },
        tr,
      ),
    );
    await this.apply(kube, tr, step);
    return step.requeueAfterMs !== undefined ? { requeueAfterMs: step.requeueAfterMs } : {};
  }

  private async apply(kube: Kube, tr: TaskRun, step: Step): Promise<void> {
    if (step.deletePod) {
      const target = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: step.deletePod, namespace: tr.metadata.namespace },
      };
      await kube.delete(target, { gracePeriodSeconds: 1 });
    }
    await this.patcher.patchStatus(kube, tr, step.status);
    const ended = step.status.conditions?.some(
      (c) => c.type === 'Succeeded' && c.status !== 'Unknown',
    );
    if (ended) {
      this.o.log.info('TaskRun ended', {
        taskRun: `${tr.metadata.namespace}/${tr.metadata.name}`,
        reason: step.status.conditions?.find((c) => c.type === 'Succeeded')?.reason,
      });
      this.taskRuns.enqueue(`${tr.metadata.namespace}/${tr.metadata.name}`);
    }
  }

  /** An ended run: its volumeClaimTemplate PVCs go, and the namespace's old pods. */
  private async afterEnd(kube: Kube, tr: TaskRun): Promise<ReconcileResult> {
    const key = `${tr.metadata.namespace}/${tr.metadata.name}/${tr.metadata.uid ?? ''}`;
    if (this.ended.has(key)) return {};
    for (const pvc of claimsToCreate(tr)) await kube.delete(pvc);
    this.ended.add(key);
    this.scheduleCleanup(tr.metadata.namespace);
    return {};
  }

  /** Runs of one owner sharing a claim decide their node one at a time (placement.ts). */
  private async serialPlacement<T>(tr: TaskRun, fn: () => Promise<T>): Promise<T> {
    const keys = sharedClaimKeys(tr);
    if (keys.length === 0) return fn();
    const key = keys.join('|');
    const previous = this.placing.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.placing.set(key, settled);
    void settled.then(() => {
      if (this.placing.get(key) === settled) this.placing.delete(key);
    });
    return next;
  }

  /** Deletes the namespace's finished pods beyond `keepPods`, at most once a second. */
  private scheduleCleanup(namespace: string): void {
    if (this.cleanups.has(namespace)) return;
    const timer = setTimeout(() => {
      this.cleanups.delete(namespace);
      void this.cleanup(namespace);
    }, 1000);
    timer.unref();
    this.cleanups.set(namespace, timer);
  }

  private async cleanup(namespace: string): Promise<void> {
    if (!this.taskRuns.isLeading) return;
    const pods = this.pods
      .flatMap((i) => i.list())
      .filter((p) => p.metadata.namespace === namespace);
    const doomed = podsToDelete(pods, this.o.keepPods ?? DEFAULT_KEEP_PODS, this.o.canDeletePod);
    for (const p of doomed) {
      const exact = p.metadata.uid ? { uid: p.metadata.uid } : {};
      await this.o.kube.delete(p, exact).catch((err: unknown) =>
        this.o.log.warn('could not delete a finished TaskRun pod', {
          pod: `${namespace}/${p.metadata.name}`,
          error: errorMessage(err),
        }),
      );
    }
  }
}

function dropManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
