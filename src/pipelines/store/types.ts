/**
 * The run store's contract: what is kept about PipelineRuns and TaskRuns once their pods are
 * gone (records, per-task records with steps and durations, logs per step), and the `RunStore`
 * interface both backends (SQLite, PostgreSQL) implement with the same semantics.
 *
 * Times are RFC 3339 strings in the API (as in Kubernetes status) and epoch milliseconds in the
 * database; durations are milliseconds. Log offsets are UTF-8 byte offsets into one step's log.
 */
import type { Param, RunResult } from '../../api/pipeline.ts';
import type { DeploymentStore } from './deployments.ts';
import type { SecretSet } from './secrets.ts';

export const RUN_STATUSES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled'] as const;
/** A run's state in one word (the `Succeeded` condition folded; the reason keeps the detail). */
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set([
  'Succeeded',
  'Failed',
  'Cancelled',
]);

export type RunKind = 'PipelineRun' | 'TaskRun';

/** Names a run: by uid, or the newest run with this namespace/name (names can be reused). */
export interface RunRef {
  kind?: RunKind | undefined;
  namespace: string;
  name: string;
  uid?: string | undefined;
}

/** One PipelineRun, or one TaskRun that no PipelineRun owns. */
export interface RunRecord {
  /** metadata.uid (the local executor makes one up): the record's identity. */
  uid: string;
  kind: RunKind;
  namespace: string;
  name: string;
  /** The Pipeline (or, for a TaskRun, the Task) it runs; '' for an inline spec. */
  pipeline: string;
  status: RunStatus;
  /** The `Succeeded` condition's reason (Tekton's: Succeeded, Failed, PipelineRunTimeout, ...). */
  reason: string;
  message: string;
  createdAt: string;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  /** completionTime - startTime; computed by the store. */
  durationMs?: number | undefined;
  /** Masked before they are stored (see SecretSet). */
  params: Param[];
  results: RunResult[];
}

export interface StepRecord {
  name: string;
  exitCode?: number | undefined;
  reason?: string | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  durationMs?: number | undefined;
}

/** One TaskRun of a run (a PipelineRun has one per pipeline task and matrix combination). */
export interface TaskRecord {
  runUid: string;
  /** The TaskRun's name: unique in the run. */
  taskRun: string;
  /** The pipeline task's name (`build`); for a standalone TaskRun, its Task's name or ''. */
  task: string;
  status: RunStatus;
  reason: string;
  message: string;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  durationMs?: number | undefined;
  /** 1 + retries so far. */
  attempts: number;
  steps: StepRecord[];
  params: Param[];
  results: RunResult[];
}

/** Which log a chunk belongs to: one step of one attempt of one TaskRun. */
export interface StreamKey {
  taskRun: string;
  task: string;
  step: string;
  /** 0 for the first attempt; a retry writes a new stream. Default 0. */
  attempt?: number | undefined;
}

export interface StreamInfo {
  taskRun: string;
  task: string;
  step: string;
  attempt: number;
  /** Bytes stored (after masking). */
  size: number;
  /** Bytes of the original output consumed (before masking): where a restarted reader resumes. */
  rawSize: number;
  finished: boolean;
  exitCode?: number | undefined;
}

export interface LogChunk {
  /** Increases with every chunk written to the store: a follow cursor (`after`). */
  id: number;
  stream: StreamInfo;
  /** Byte offset of `text` in its stream. */
  offset: number;
  text: string;
}

/** Which logs to read: `task` matches the pipeline task or the TaskRun name. */
export interface LogSelector {
  task?: string | undefined;
  step?: string | undefined;
}

export interface ReadOptions extends LogSelector {
  /** Byte offset to start from, in each selected stream (meant for one: task and step). */
  from?: number | undefined;
}

export interface FollowOptions extends LogSelector {
  /** Resume after this chunk id (a LogChunk's `id`). */
  after?: number | undefined;
  signal?: AbortSignal | undefined;
  /** How often to look for chunks written by another process. Default 250 ms. */
  pollMs?: number | undefined;
}

/** A run with everything recorded about it. */
export interface RunHistory {
  run: RunRecord;
  tasks: TaskRecord[];
  streams: StreamInfo[];
}

export interface RunFilter {
  namespace?: string | undefined;
  pipeline?: string | undefined;
  kind?: RunKind | undefined;
  status?: RunStatus | readonly RunStatus[] | undefined;
  /** Newest first; default 50. */
  limit?: number | undefined;
}

/** 0 turns a limit off. */
export interface RetentionPolicy {
  /** Runs that finished (or, unfinished, were created) longer ago are deleted. */
  maxAgeDays: number;
  /** Per namespace and pipeline (or task), the newest finished runs kept. */
  maxRunsPerPipeline: number;
  /** How often `startRetention` applies the policy. */
  intervalMs: number;
}

export interface RetentionReport {
  deletedRuns: number;
  byAge: number;
  byCount: number;
}

/**
 * Appends one run's logs. Writes are buffered and written in batches; masking happens here.
 * A run may have several writers (one per TaskRun, say), but one stream (TaskRun, step,
 * attempt) has one writer at a time: its offsets are counted by that writer. A writer opened
 * later (after a restart) continues a stream where the stored one ends.
 */
export interface LogWriter {
  /**
   * Buffers `text` for `stream`; never blocks; written within the store's flush interval.
   * Returns false when the buffer is past its high-water mark (as a Node stream does): a
   * producer that can wait should `await flush()` before writing more.
   */
  write(stream: StreamKey, text: string): boolean;
  /** The step is finished: its last bytes are written and followers of it end. */
  endStep(stream: StreamKey, result?: { exitCode?: number | undefined }): void;
  /** Resolves once everything written so far is stored. */
  flush(): Promise<void>;
  /** Flushes; the writer takes no more writes. */
  close(): Promise<void>;
}

export type Backend = 'sqlite' | 'postgres';

export interface RunStore {
  readonly backend: Backend;
  /** Deployment records (DORA metrics), in the same database (deployments.ts). */
  readonly deployments: DeploymentStore;
  /** Inserts or updates the run (by uid); params, results and message masked with `secrets`. */
  recordRun(run: RunRecord, secrets: SecretSet): Promise<void>;
  /** Inserts or updates one TaskRun of a recorded run (by run uid and TaskRun name). */
  recordTask(task: TaskRecord, secrets: SecretSet): Promise<void>;
  getRun(ref: RunRef): Promise<RunHistory | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** A writer for a recorded run's logs; everything it writes is masked with `secrets`. */
  openLog(ref: RunRef, secrets: SecretSet): Promise<LogWriter>;
  /** Stored logs, in stream order (each stream in full or from an offset). */
  readLogs(ref: RunRef, options?: ReadOptions): Promise<LogChunk[]>;
  /** Chunks as they are written, until the selection is finished (see follow.ts). */
  followLogs(ref: RunRef, options?: FollowOptions): AsyncIterable<LogChunk>;
  applyRetention(policy?: Partial<RetentionPolicy>, now?: number): Promise<RetentionReport>;
  /** Applies the policy now and every `intervalMs`; returns a function that stops it. */
  startRetention(policy?: Partial<RetentionPolicy>): () => void;
  /** Flushes every writer, stops retention and closes the database. */
  close(): Promise<void>;
}
