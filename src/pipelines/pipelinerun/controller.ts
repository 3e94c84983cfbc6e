/**
 * The PipelineRun controller: for each PipelineRun, asks the engine (../pipeline, pure) what to
 * do next and does it — creates the TaskRuns it starts (the TaskRun controller, ../kube, runs
 * them), cancels the ones it stops, makes the run's volumeClaimTemplate PVCs, and writes the
 * status as Tekton does (the `Succeeded` condition, childReferences, skippedTasks, results).
 *
 * Caches, not requests: PipelineRuns, their TaskRuns (an event on one queues its run), and the
 * Tasks and Pipelines that runs name. A finished run costs nothing. Runs of one namespace start
 * first come, first served within `maxConcurrentRuns` (queue.ts); a waiting run shows its
 * position, and a run that ends wakes the waiting ones.
 *
 * @example
 * const runs = new PipelineRunController({ kube, log, maxConcurrentRuns: 10 });
 * manager.add(runs);
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_KIND,
  PIPELINE_RUN_KIND,
  RUN_REASONS,
  TASK_KIND,
  type Pipeline,
  type PipelineRun,
  type PipelineRunStatus,
  type RunCondition,
  type Task,
  type TaskRun,
} from '../../api/pipeline.ts';
import { errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { indexBy, Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { Logger } from '../../util/log.ts';
import { plan, type Plan } from '../pipeline/index.ts';
import { admit, type QueuedRun } from '../queue.ts';
import { childOf, RUN_LABEL, taskRunFor } from './children.ts';
import { statusAfter } from './status.ts';
import { PipelineMetrics } from './metrics.ts';
import { resolvePipeline } from './resolve.ts';

export const FIELD_MANAGER = 'sluice-pipelines';
/** How often, at most, a waiting run's queue position is written while runs ahead of it end. */
const QUEUE_REFRESH_MS = 2_000;

export interface PipelineRunControllerOptions {
  kube: Kube;
  log: Logger;
  namespaces?: readonly string[];
  concurrency?: number;
  /** Most PipelineRuns running at once per namespace; 0 (default) = no limit. */
  maxConcurrentRuns?: number;
  now?: () => number;
}

type Flags = Record<string, never>;

const succeeded = (r: PipelineRun): RunCondition | undefined =>
  r.status?.conditions?.find((c) => c.type === 'Succeeded');

/** Over: the Succeeded condition is True or False. */
export const isFinished = (r: PipelineRun): boolean => {
  const s = succeeded(r)?.status;
  return s === 'True' || s === 'False';
};

function queued(r: PipelineRun): QueuedRun {
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    created: r.metadata.creationTimestamp ?? '',
    running: r.status?.startTime !== undefined,
    done: isFinished(r),
    pending: r.spec.status === 'PipelineRunPending',
  };
}

export class PipelineRunController implements Runnable {
  readonly runs: Controller<PipelineRun, Flags>;
  readonly metrics = new PipelineMetrics();
  private readonly taskRuns: Informer<TaskRun>[];
  private readonly tasks: Informer<Task>[];
  private readonly pipelines: Informer<Pipeline>[];
  private readonly patcher = new StatusPatcher<PipelineRunStatus, PipelineRun>();
  /**
   * Runs let through the limit whose startTime is not written yet (keys). They hold a slot: a
   * run that arrives in the cache later but sorts first must not take it as well.
   */
  private readonly admitted = new Set<string>();
  private readonly o: PipelineRunControllerOptions;
  private readonly now: () => number;

  constructor(o: PipelineRunControllerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.runs = new Controller<PipelineRun, Flags>({
      name: 'pipelineruns',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: PIPELINE_RUN_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: o.concurrency ?? 10,
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.runs.onEvent((type, obj) => {
      this.patcher.observe(obj);
      if (type === 'deleted')
        this.admitted.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    });
    const each = <T extends KubeObject>(kind: string, apiVersion: string, labelSelector?: string) =>
      (o.namespaces ?? [undefined]).map(
        (namespace) =>
          new Informer<T>(o.kube, {
            apiVersion,
            kind,
            ...(namespace ? { namespace } : {}),
            ...(labelSelector ? { labelSelector } : {}),
            onError: (err) =>
              o.log.warn(`${kind} watch failed; retrying`, { error: errorMessage(err) }),
          }),
      );
    this.taskRuns = each<TaskRun>('TaskRun', API_VERSION, RUN_LABEL);
    for (const inf of this.taskRuns) {
      inf.addIndex('owner', indexBy.owner);
      inf.on((_t, tr, old) => {
        const run = tr.metadata.labels?.[RUN_LABEL];
        if (run) this.runs.enqueue(`${tr.metadata.namespace}/${run}`);
        this.metrics.taskObserved(tr, old);
      });
    }
    this.tasks = each<Task>(TASK_KIND, API_VERSION);
    this.pipelines = each<Pipeline>(PIPELINE_KIND, API_VERSION);
  }

  async start(): Promise<void> {
    await Promise.all([
      ...[...this.taskRuns, ...this.tasks, ...this.pipelines].map((i) => i.start()),
      this.runs.start(),
    ]);
  }

  startLeading(leader: AbortSignal): void {
    this.runs.startLeading(leader);
  }

  async stop(): Promise<void> {
    await this.runs.stop();
    for (const i of [...this.taskRuns, ...this.tasks, ...this.pipelines]) i.stop();
  }

  private lookup<T extends KubeObject>(infs: Informer<T>[], ns: string, name: string) {
    for (const i of infs) {
      const o = i.get(ns, name);
      if (o) return o;
    }
    return undefined;
  }

  async reconcile(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.runs.get(req.namespace, req.name);
    if (!cached || cached.metadata.deletionTimestamp || isFinished(cached)) return {};
    const run = this.patcher.current(cached);
    if (isFinished(run)) return {};
    const kube = this.o.kube.withSignal(req.signal);
    if (!run.status?.startTime) {
      const waiting = await this.waitForSlot(kube, run);
      if (waiting) return {};
    }
    const resolved = resolvePipeline(run, {
      pipeline: (name) => this.lookup(this.pipelines, run.metadata.namespace, name)?.spec,
      task: (name) => this.lookup(this.tasks, run.metadata.namespace, name)?.spec,
    });
    if ('error' in resolved) {
      await this.finish(kube, run, {
        type: 'Succeeded',
        status: 'False',
        reason: resolved.reason,
        message: resolved.error,
      });
      return {};
    }
    const children = this.taskRuns
      .flatMap((i) => i.byIndex('owner', run.metadata.uid ?? ''))
      .map((tr) => childOf(tr, run))
      .filter((c) => c !== undefined);
    const p = plan({
      run,
      pipelineSpec: resolved.spec,
      pipelineName: resolved.name,
      taskSpecs: resolved.taskSpecs,
      children,
      now: new Date(this.now()),
    });
    await this.act(kube, run, p);
    await this.writeStatus(
      kube,
      run,
      statusAfter(run, p, resolved.spec, children, new Date(this.now())),
    );
    this.started(run, p);
    if (p.done) this.ended(run, p);
    return p.done || !p.requeueAfterMs ? {} : { requeueAfterMs: p.requeueAfterMs };
  }

  /** Cancels, makes claims and starts what the plan says (each safe to repeat). */
  private async act(kube: Kube, run: PipelineRun, p: Plan): Promise<void> {
    for (const c of p.cancel) {
      const tr = this.lookup(this.taskRuns, run.metadata.namespace, c.name);
      if (!tr || tr.spec.status === 'TaskRunCancelled') continue;
      await kube.mergePatch(
        tr,
        { spec: { status: 'TaskRunCancelled', statusMessage: c.message } },
        { fieldManager: FIELD_MANAGER },
      );
    }
    for (const v of p.volumeClaims) {
      await createOnce(kube, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        ...v.template,
        metadata: {
          ...((v.template['metadata'] as object | undefined) ?? {}),
          name: v.claimName,
          namespace: run.metadata.namespace,
          ownerReferences: [ownerRef(run)],
        },
      });
    }
    for (const s of p.start) await createOnce(kube, taskRunFor(run, s));
  }

  /** Holds a run that has not started until its namespace has a free slot; true: it waits. */
  private async waitForSlot(kube: Kube, run: PipelineRun): Promise<boolean> {
    const key = (r: PipelineRun): string => `${r.metadata.namespace}/${r.metadata.name}`;
    if (this.admitted.has(key(run))) return false;
    // Admitted runs count as running from the decision on, not from their status write.
    const all = this.runs.list().map((r) => {
      const q = queued(this.patcher.current(r));
      return this.admitted.has(key(r)) && !q.done ? { ...q, running: true } : q;
    });
    const v = admit(queued(run), all, this.o.maxConcurrentRuns ?? 0);
    if (v.start) {
      this.admitted.add(key(run));
      return false;
    }
    const pending = run.spec.status === 'PipelineRunPending';
    await this.writeStatus(kube, run, {
      ...run.status,
      ...(v.position !== undefined ? { queuePosition: v.position } : {}),
      conditions: [
        {
          type: 'Succeeded',
          status: 'Unknown',
          reason: pending ? 'PipelineRunPending' : RUN_REASONS.queued,
          message: pending
            ? 'PipelineRun is pending (spec.status: PipelineRunPending)'
            : `waiting for one of ${this.o.maxConcurrentRuns} run slots in namespace ${run.metadata.namespace}: position ${v.position} in the queue`,
        },
      ],
    });
    return true;
  }

  /** A run whose startTime is written: its slot is in its status now; its queue time. */
  private started(run: PipelineRun, p: Plan): void {
    if (!p.startTime) return;
    this.admitted.delete(`${run.metadata.namespace}/${run.metadata.name}`);
    if (!run.status?.startTime) this.metrics.started(run, p.startTime);
  }

  /** A run that cannot run at all (its Pipeline is missing): failed, nothing started. */
  private async finish(kube: Kube, run: PipelineRun, c: RunCondition): Promise<void> {
    const now = new Date(this.now()).toISOString();
    await this.writeStatus(kube, run, {
      ...run.status,
      startTime: run.status?.startTime ?? now,
      completionTime: now,
      conditions: [c],
    });
    this.ended(run, undefined);
  }

  /** A run ended: its metrics, and the runs waiting for its slot. */
  private ended(run: PipelineRun, p: Plan | undefined): void {
    this.admitted.delete(`${run.metadata.namespace}/${run.metadata.name}`);
    const start = Date.parse(p?.startTime ?? run.status?.startTime ?? '');
    const pipeline = run.spec.pipelineRef?.name ?? run.metadata.name;
    const status = p?.condition.status === 'True' ? 'success' : 'failed';
    if (!Number.isNaN(start)) this.metrics.runEnded(pipeline, status, (this.now() - start) / 1000);
    const waiting = this.runs
      .list()
      .filter(
        (r) =>
          r.metadata.namespace === run.metadata.namespace && !isFinished(r) && !r.status?.startTime,
      )
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      );
    // The head of the queue may start now; the rest only have a new position to show, written
    // at most once per QUEUE_REFRESH_MS each (a burst of ends is one write per waiting run, not
    // one per end: 200 runs queued behind 10 slots would otherwise be ~20 000 status writes).
    const head = Math.max(1, this.o.maxConcurrentRuns ?? 0);
    waiting.forEach((r, i) => {
      const key = `${r.metadata.namespace}/${r.metadata.name}`;
      if (i < head) this.runs.enqueue(key);
      else this.runs.enqueueAfter(key, QUEUE_REFRESH_MS);
    });
  }

  private async writeStatus(
    kube: Kube,
    run: PipelineRun,
    status: PipelineRunStatus,
  ): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const old = succeeded(run);
    const conditions = (status.conditions ?? []).map((c) => ({
      ...c,
      lastTransitionTime:
        old?.status === c.status && old.reason === c.reason ? (old.lastTransitionTime ?? now) : now,
    }));
    await this.patcher.patchStatus(kube, run, { ...status, conditions });
  }
}

function ownerRef(run: PipelineRun) {
  return {
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    name: run.metadata.name,
    uid: run.metadata.uid ?? '',
    controller: true,
  };
}

/** Creates an object; one that exists already is what an earlier reconcile made. */
async function createOnce(kube: Kube, obj: KubeObject): Promise<void> {
  try {
    await kube.create(obj, { fieldManager: FIELD_MANAGER });
  } catch (err) {
    if ((err as { status?: number }).status !== 409) throw err;
  }
}
