/**
 * CI pipelines inside `sluice controller`: the PipelineRun controller (pipelinerun/: the engine's
 * plan carried out) and the TaskRun controller (kube/: one pod per attempt), started together —
 * unless RBAC refuses what they need where they work: then they say so and stay off, so the rest
 * of the Manager (Applications, Rollouts) is not held up by watches that can never start.
 */
import type { Kube } from '../kube/api.ts';
import { refusedWatches } from '../runtime/access.ts';
import type { Runnable } from '../runtime/manager.ts';
import type { Logger } from '../util/log.ts';
import { RunCollector } from './collector.ts';
import { TaskRunController } from './kube/controller.ts';
import type { Pod } from './kube/pods.ts';
import type { RunStore } from './store/index.ts';
import { PipelineRunController } from './pipelinerun/controller.ts';

export interface PipelinesOptions {
  kube: Kube;
  log: Logger;
  namespaces?: readonly string[];
  /** Most PipelineRuns running at once per namespace (0: no limit). */
  maxConcurrentRuns?: number;
  /** The image of the small container that reports a task's results. */
  helperImage?: string;
  /** Finished TaskRun pods kept per namespace. */
  keepPods?: number;
  /** What every TaskRun's pod gets unless its own podTemplate says otherwise (Tekton's default-pod-template). */
  defaultPodTemplate?: Record<string, unknown>;
  /** Where records and logs are kept after the pods are gone (none: not kept). */
  store?: RunStore;
}

/** What the controllers list and watch, by API group. */
const WATCHED: ReadonlyArray<readonly [string, string]> = [
  ['sluice.dev', 'pipelineruns'],
  ['sluice.dev', 'taskruns'],
  ['sluice.dev', 'pipelines'],
  ['sluice.dev', 'tasks'],
  ['', 'pods'],
];

export class Pipelines implements Runnable {
  readonly pipelineRuns: PipelineRunController;
  readonly taskRuns: TaskRunController;
  readonly collector: RunCollector | undefined;
  private readonly o: PipelinesOptions;
  private disabled = false;

  constructor(o: PipelinesOptions) {
    this.o = o;
    const ns = o.namespaces ? { namespaces: o.namespaces } : {};
    this.pipelineRuns = new PipelineRunController({
      kube: o.kube,
      log: o.log,
      ...ns,
      ...(o.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: o.maxConcurrentRuns } : {}),
    });
    const collector = o.store
      ? new RunCollector({ kube: o.kube, store: o.store, log: o.log })
      : undefined;
    this.collector = collector;
    this.taskRuns = new TaskRunController({
      kube: o.kube,
      log: o.log,
      ...ns,
      ...(o.helperImage ? { helperImage: o.helperImage } : {}),
      ...(o.keepPods !== undefined ? { keepPods: o.keepPods } : {}),
      ...(o.defaultPodTemplate ? { defaultPodTemplate: o.defaultPodTemplate } : {}),
      ...(collector ? { canDeletePod: (pod: Pod) => collector.collected(pod) } : {}),
    });
    if (collector) {
      this.pipelineRuns.runs.onEvent(
        (type, pr) => type !== 'deleted' && collector.onPipelineRun(pr),
      );
      this.taskRuns.taskRuns.onEvent((type, tr) => type !== 'deleted' && collector.onTaskRun(tr));
    }
  }

  async start(): Promise<void> {
    const refused = await refusedWatches(this.o.kube, this.o.namespaces, WATCHED);
    if (refused.length > 0) {
      this.disabled = true;
      this.o.log.warn('the pipeline controllers are off: RBAC refuses what they need', {
        refused: refused.join(', '),
      });
      return;
    }
    await Promise.all([this.taskRuns.start(), this.pipelineRuns.start()]);
  }

  startLeading(leader: AbortSignal): void {
    if (this.disabled) return;
    this.collector?.startLeading(leader);
    this.taskRuns.startLeading(leader);
    this.pipelineRuns.startLeading(leader);
  }

  async stop(): Promise<void> {
    if (this.disabled) return;
    await Promise.all([this.pipelineRuns.stop(), this.taskRuns.stop()]);
  }
}
