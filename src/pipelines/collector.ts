/**
 * Keeps what a run leaves behind once its pods are gone: the run store (store/) gets every
 * PipelineRun's and TaskRun's record as their status changes, and each step's log, followed live
 * from its pod (kube/logs.ts `followStepLogs`) while the step runs. The TaskRun controller asks
 * `collected(pod)` before it cleans a finished pod up, so no log is lost to cleanup.
 *
 * Masking: each TaskRun's writer is opened with its secret set — the params its Task, Pipeline
 * or run name in `sluice.dev/secret-params`, and the values of the Secrets its steps read
 * (`secretKeyRef`, `envFrom`, Secret workspaces) — so no such value reaches the store.
 * Order: the writes of one run are made one after the other, in the order the events came (a
 * task's record never overtakes its run's), and a task whose run is not in the store yet (its
 * PipelineRun's event not seen, e.g. just after taking the lead) writes the run first or waits
 * for it, instead of losing its record.
 * Only the leader collects. Not yet: resuming a half-collected step after a restart (its log is
 * read again from the start into a new stream).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineRun, TaskRun } from '../api/pipeline.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import type { Logger } from '../util/log.ts';
import { followStepLogs } from './kube/logs.ts';
import type { Pod } from './kube/pods.ts';
import { RUN_LABEL, TASK_LABEL, ATTEMPT_LABEL } from './pipelinerun/children.ts';
import {
  pipelineRunRecord,
  runSecrets,
  RunStoreError,
  secretRefs,
  secretValues,
  taskRecord,
  taskRunRecord,
  type RunRef,
  type RunStore,
  type SecretSet,
} from './store/index.ts';

export interface CollectorOptions {
  kube: Kube;
  store: RunStore;
  log: Logger;
}

/** How long a task's write waits for its run's record before it gives up (and warns). */
const RUN_WAIT_MS = 30_000;
const RUN_POLL_MS = 250;

const finished = (o: { status?: { conditions?: Array<{ type: string; status: string }> } }) =>
  o.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status !== 'Unknown') ?? false;

/** What makes a record change (status, times, steps): anything else is not written again. */
const shape = (o: PipelineRun | TaskRun): string =>
  JSON.stringify([
    o.status?.conditions,
    o.status?.startTime,
    o.status?.completionTime,
    (o as TaskRun).status?.steps,
  ]);

export class RunCollector {
  private readonly o: CollectorOptions;
  private readonly recorded = new Map<string, string>();
  /** Pods whose steps are being followed → the promise that ends when all are stored. */
  private readonly following = new Map<string, Promise<void>>();
  private readonly done = new Set<string>();
  /** The PipelineRuns seen, by namespace/name: their annotations and params mark secrets. */
  private readonly runs = new Map<string, PipelineRun>();
  /** Each run's writes still to be made, by run uid: each waits for the one before. */
  private readonly chains = new Map<string, Promise<void>>();
  private signal: AbortSignal | undefined;

  constructor(o: CollectorOptions) {
    this.o = o;
  }

  startLeading(leader: AbortSignal): void {
    this.signal = leader;
  }

  /** Whether the TaskRun controller may delete a finished pod: its logs are stored. */
  collected(pod: Pod): boolean {
    return (
      !this.signal ||
      this.done.has(pod.metadata.name ?? '') ||
      !this.following.has(pod.metadata.name ?? '')
    );
  }

  /** A PipelineRun changed: its record follows. */
  onPipelineRun(pr: PipelineRun): void {
    this.runs.set(`${pr.metadata.namespace}/${pr.metadata.name}`, pr);
    if (!this.leading() || !this.changed(pr)) return;
    this.inOrder(pr.metadata.uid ?? '', `record ${pr.metadata.name}`, () => this.recordRun(pr));
  }

  private recordRun(pr: PipelineRun): Promise<void> {
    const secrets = runSecrets({
      annotations: [pr.metadata.annotations],
      params: pr.spec.params ?? [],
    });
    return this.o.store.recordRun(pipelineRunRecord(pr), secrets);
  }

  /** A TaskRun changed: its record, and its steps' logs once its pod runs. */
  onTaskRun(tr: TaskRun): void {
    if (!this.leading()) return;
    const pod = tr.status?.podName;
    if (pod && !this.following.has(pod) && (tr.status?.steps?.length ?? 0) > 0) {
      const work = this.follow(tr, pod).catch((err: unknown) =>
        this.o.log.warn('a step log could not be stored', {
          taskRun: tr.metadata.name,
          error: errorMessage(err),
        }),
      );
      this.following.set(pod, work);
    }
    if (!this.changed(tr)) return;
    const run = this.runRef(tr);
    this.inOrder(run.uid ?? '', `record ${tr.metadata.name}`, async () => {
      const secrets = await this.secretsOf(tr);
      if (run.kind === 'TaskRun') await this.o.store.recordRun(taskRunRecord(tr), secrets);
      const task = taskRecord(tr, run.uid ?? '', tr.metadata.labels?.[TASK_LABEL]);
      await this.withRun(run, () => this.o.store.recordTask(task, secrets));
    });
  }

  private leading(): boolean {
    return this.signal !== undefined && !this.signal.aborted;
  }

  private changed(o: PipelineRun | TaskRun): boolean {
    const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    const now = shape(o);
    if (this.recorded.get(key) === now) return false;
    this.recorded.set(key, now);
    if (finished(o)) setTimeout(() => this.recorded.delete(key), 600_000).unref();
    return true;
  }

  /** The run a TaskRun's logs belong to: its PipelineRun, or itself when it stands alone. */
  private runRef(tr: TaskRun): RunRef {
    const owner = (tr.metadata.ownerReferences ?? []).find((r) => r.kind === 'PipelineRun');
    if (owner && tr.metadata.labels?.[RUN_LABEL]) {
      return {
        kind: 'PipelineRun',
        namespace: tr.metadata.namespace,
        name: owner.name,
        uid: owner.uid,
      };
    }
    return {
      kind: 'TaskRun',
      namespace: tr.metadata.namespace,
      name: tr.metadata.name,
      uid: tr.metadata.uid,
    };
  }

  private async secretsOf(tr: TaskRun): Promise<SecretSet> {
    const refs = secretRefs(
      tr.spec.taskSpec ?? tr.status?.taskSpec ?? { steps: [] },
      tr.spec.workspaces ?? [],
    );
    const read = (name: string) => this.o.kube.get('v1', 'Secret', tr.metadata.namespace, name);
    const ref = this.runRef(tr);
    const run =
      ref.kind === 'PipelineRun' ? this.runs.get(`${ref.namespace}/${ref.name}`) : undefined;
    return runSecrets({
      annotations: [tr.metadata.annotations, run?.metadata.annotations],
      params: [...(run?.spec.params ?? []), ...(tr.spec.params ?? [])],
      values: await secretValues(refs, read),
    });
  }

  /** Follows each step of the pod in turn (they run one after the other) into the store. */
  private async follow(tr: TaskRun, pod: string): Promise<void> {
    const signal = this.signal!;
    const run = this.runRef(tr);
    const secrets = await this.secretsOf(tr);
    const writer = await this.withRun(run, () => this.o.store.openLog(run, secrets));
    const attempt =
      Number(tr.metadata.labels?.[ATTEMPT_LABEL] ?? 0) || (tr.status?.retriesStatus?.length ?? 0);
    const ref = { namespace: tr.metadata.namespace, name: tr.metadata.name };
    try {
      for (const step of tr.status?.steps ?? []) {
        const stream = {
          taskRun: tr.metadata.name,
          task: tr.metadata.labels?.[TASK_LABEL] ?? '',
          step: step.name,
          attempt,
        };
        const end = await followStepLogs(
          this.o.kube,
          ref,
          step.name,
          (t) => void writer.write(stream, t),
          signal,
          { podName: pod },
        );
        writer.endStep(stream, end.outcome === 'finished' ? { exitCode: end.exitCode } : {});
        if (end.outcome === 'cancelled') break;
      }
    } finally {
      await writer.close();
      this.done.add(pod);
    }
  }

  /** `fn` after the writes already asked for run `uid`; a failure is a warning. */
  private inOrder(uid: string, what: string, fn: () => Promise<void>): void {
    const next = (this.chains.get(uid) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) =>
        this.o.log.warn(`run store: ${what} failed`, { error: errorMessage(err) }),
      );
    this.chains.set(uid, next);
    void next.then(() => {
      if (this.chains.get(uid) === next) this.chains.delete(uid);
    });
  }

  /**
   * `fn`, once the run it writes under is in the store: a PipelineRun already seen is recorded
   * now; one not seen yet (its event still to come) is waited for, up to RUN_WAIT_MS.
   */
  private async withRun<T>(run: RunRef, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + RUN_WAIT_MS;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const missing = err instanceof RunStoreError && err.reason === 'RunNotFound';
        if (!missing || run.kind !== 'PipelineRun' || Date.now() > deadline) throw err;
        const pr = this.runs.get(`${run.namespace}/${run.name}`);
        if (pr && pr.metadata.uid === run.uid) await this.recordRun(pr);
        else await sleep(RUN_POLL_MS);
      }
    }
  }
}
