/**
 * The local executor's API: what the CLI (`sluice pipeline run -f FILE --local`) passes in and
 * the events it receives while the run goes on. The run and its TaskRuns come back with the same
 * status shapes the cluster writes, so the CLI renders both the same way.
 */
import type { PipelineRun } from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface LocalRunOptions {
  /** Parsed YAML: Tasks, Pipelines, PipelineRuns, and the ConfigMaps/Secrets workspaces and env read. */
  documents: KubeObject[];
  /** Which PipelineRun to run when the documents hold several. */
  pipelineRun?: string;
  /** `-p k=v` overrides (an array param: `a,b,c`; an object param: `k1:v1,k2:v2`). */
  params?: Record<string, string>;
  /** Where workspaces, results and scripts go. Default: a fresh temp dir, removed at the end unless `keep`. A given dir is never removed. */
  workDir?: string;
  keep?: boolean;
  onEvent?: (e: LocalEvent) => void;
  /** Ctrl-C: Tekton's `CancelledRunFinally` — running tasks are stopped, `finally` runs. */
  signal?: AbortSignal;
  /** A second Ctrl-C: Tekton's `Cancelled` — everything stops, `finally` does not run. */
  forceSignal?: AbortSignal;
  /** Most TaskRuns running at once (default 4). */
  concurrency?: number;
}

/** Things worth telling the user once. */
export type NoticeCode =
  'ImagesNotUsed' | 'WorkDir' | 'Workspace' | 'PipelineWarning' | 'Cancelling' | 'PendingIgnored';

interface TaskRef {
  /** The pipeline task. */
  task: string;
  taskRun: string;
}

export type LocalEvent =
  | { type: 'notice'; code: NoticeCode; message: string }
  | (TaskRef & { type: 'task-started'; attempt: number; matrixIndex?: number; finally: boolean })
  | (TaskRef & {
      type: 'task-finished';
      attempt: number;
      matrixIndex?: number;
      status: 'Succeeded' | 'Failed';
      /** The TaskRun's condition reason: Succeeded, Failed, TaskRunTimeout, TaskRunCancelled, ... */
      reason: string;
      message: string;
      durationMs: number;
    })
  | { type: 'task-skipped'; task: string; reason: string }
  /** The run's status after each look of the engine (as the cluster's object; e.g. to draw the DAG live). */
  | { type: 'run-status'; run: PipelineRun }
  | (TaskRef & { type: 'step-started'; step: string })
  | (TaskRef & { type: 'step-finished'; step: string; exitCode: number })
  | (TaskRef & { type: 'log'; step: string; line: string; stream: 'stdout' | 'stderr' });
