/**
 * One TaskRun on this machine: its steps in order as processes (prepare.ts, process.ts), its
 * status kept as the cluster's TaskRun controller keeps it (../kube/runstatus.ts: the
 * `Succeeded` condition with Tekton's reasons, start and completion times, each step's state and
 * exit code; steps that never ran `Skipped` after a failure), its results read at the end
 * (results.ts). `spec.timeout` and a cancel (`spec.status: TaskRunCancelled`, as the engine asks)
 * kill the running step's process group. Retries are new TaskRuns, made by the engine.
 */
import type { StepState, TaskRun, TaskRunStatus } from '../../api/pipeline.ts';
import { describeProblem } from '../kube/results.ts';
import {
  failed,
  isDone,
  started,
  timeoutMessage,
  timeoutOf,
  withCondition,
} from '../kube/runstatus.ts';
import type { TaskRunReason } from '../kube/status.ts';
import { ATTEMPT_LABEL, FINALLY_LABEL, MATRIX_LABEL, TASK_LABEL } from '../pipelinerun/children.ts';
import { SecretSet } from '../store/secrets.ts';
import type { Sources } from './documents.ts';
import { prepare, type Prepared, type Runnable } from './prepare.ts';
import { runProcess, type ProcessExit } from './process.ts';
import { readResults } from './results.ts';
import { stepVerdict, type StepVerdict } from '../task/stepend.ts';
import type { LocalEvent } from './types.ts';

export interface TaskRunEnv {
  workDir: string;
  sources: Sources;
  baseEnv: Readonly<Record<string, string | undefined>>;
  emit: (e: LocalEvent) => void;
  /** The status changed: the run's loop looks again. */
  changed: () => void;
}

const iso = () => new Date().toISOString();

export class LocalTaskRun {
  tr: TaskRun;
  private readonly env: TaskRunEnv;
  private readonly stop = new AbortController();
  private stopped: 'TaskRunCancelled' | 'TaskRunTimeout' | undefined;

  constructor(tr: TaskRun, env: TaskRunEnv) {
    this.tr = tr;
    this.env = env;
  }

  private label(key: string): string | undefined {
    return this.tr.metadata.labels?.[key];
  }

  private get ids() {
    const matrix = this.label(MATRIX_LABEL);
    return {
      task: this.label(TASK_LABEL) ?? '',
      taskRun: this.tr.metadata.name,
      attempt: Number(this.label(ATTEMPT_LABEL) ?? 0),
      ...(matrix !== undefined ? { matrixIndex: Number(matrix) } : {}),
    };
  }

  /** Stops the TaskRun (the engine's cancel); one that has not started ends at once. */
  cancel(message: string): void {
    if (isDone(this.tr) || this.tr.spec.status === 'TaskRunCancelled') return;
    this.tr = {
      ...this.tr,
      spec: { ...this.tr.spec, status: 'TaskRunCancelled', statusMessage: message },
    };
    if (this.tr.status?.startTime) {
      this.stopped ??= 'TaskRunCancelled';
      this.stop.abort();
      return;
    }
    this.set(started(this.tr.status, iso()));
    this.fail('TaskRunCancelled', this.cancelMessage());
  }

  private cancelMessage(): string {
    const m = `TaskRun "${this.tr.metadata.name}" was cancelled. ${this.tr.spec.statusMessage ?? ''}`;
    return m.trim();
  }

  /** Runs the TaskRun to its end (at once if it was cancelled while waiting for a slot). */
  async run(): Promise<void> {
    if (isDone(this.tr)) return;
    this.set(started(this.tr.status, iso()));
    this.env.emit({
      type: 'task-started',
      ...this.ids,
      finally: this.label(FINALLY_LABEL) === 'true',
    });
    const timeout = timeoutOf(this.tr) ?? 0;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            this.stopped ??= 'TaskRunTimeout';
            this.stop.abort();
          }, timeout)
        : undefined;
    try {
      await this.execute(timeout);
    } catch (err) {
      if (!isDone(this.tr))
        this.fail(
          'Failed',
          `the TaskRun could not run: ${err instanceof Error ? err.message : String(err)}`,
        );
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute(timeoutMs: number): Promise<void> {
    const p = await prepare({
      tr: this.tr,
      workDir: this.env.workDir,
      sources: this.env.sources,
      baseEnv: this.env.baseEnv,
      retryCount: Number(this.label(ATTEMPT_LABEL) ?? 0),
    });
    const spec = this.tr.spec.taskSpec;
    const s = { ...this.status(), ...(spec ? { taskSpec: spec } : {}) };
    if (typeof p === 'string') return this.fail('TaskRunValidationFailed', p, s);
    const steps: StepState[] = p.steps.map((r) => ({
      name: r.step.name,
      container: r.step.container,
    }));
    const message = 'Not all Steps in the Task have finished executing';
    this.set(withCondition({ ...s, steps }, 'Unknown', 'Running', message, iso()));
    const masker = new SecretSet(p.secrets);
    for (const [i, r] of p.steps.entries()) {
      if (this.stop.signal.aborted) break;
      const { exit, verdict } = await this.step(i, r, masker);
      if (this.stop.signal.aborted) break;
      if (!verdict.goOn) {
        const why = exit.startError ? ` (${exit.startError})` : '';
        return this.fail('Failed', `${verdict.failure ?? ''}${why}`);
      }
    }
    if (this.stopped === 'TaskRunCancelled') return this.fail(this.stopped, this.cancelMessage());
    if (this.stopped) return this.fail(this.stopped, timeoutMessage(this.tr, timeoutMs));
    return this.succeed(p);
  }

  private async step(
    i: number,
    r: Runnable,
    masker: SecretSet,
  ): Promise<{ exit: ProcessExit; verdict: StepVerdict }> {
    const startedAt = iso();
    const { task, taskRun } = this.ids;
    this.setStep(i, { running: { startedAt } });
    this.env.emit({ type: 'step-started', task, taskRun, step: r.step.name });
    // The step's own timeout stops only its process; the task's stops everything.
    const own = new AbortController();
    let timedOut = false;
    const timer =
      r.step.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            own.abort();
          }, r.step.timeoutMs)
        : undefined;
    const exit = await runProcess({
      file: r.file,
      args: r.args,
      cwd: r.cwd,
      env: r.env,
      signal: AbortSignal.any([this.stop.signal, own.signal]),
      onLine: (line, stream) =>
        this.env.emit({
          type: 'log',
          task,
          taskRun,
          step: r.step.name,
          line: masker.mask(line),
          stream,
        }),
    });
    if (exit.startError)
      this.env.emit({
        type: 'log',
        task,
        taskRun,
        step: r.step.name,
        line: exit.startError,
        stream: 'stderr',
      });
    clearTimeout(timer);
    const verdict = stepVerdict(r.step, { exitCode: exit.exitCode, timedOut });
    // a step stopped by a cancel or timeout is ended with that reason, as on the cluster
    if (this.stop.signal.aborted) return { exit, verdict };
    const reason = exit.exitCode === 0 ? 'Completed' : 'Error';
    const terminated = { exitCode: exit.exitCode, reason, startedAt, finishedAt: iso() };
    this.setStep(i, { terminated, terminationReason: verdict.terminationReason });
    this.env.emit({
      type: 'step-finished',
      task,
      taskRun,
      step: r.step.name,
      exitCode: exit.exitCode,
    });
    return { exit, verdict };
  }

  private async succeed(p: Prepared): Promise<void> {
    const read = await readResults(p.dirs.results, p.task.results);
    if (!read.ok) {
      const reason =
        read.problem.kind === 'TooLarge'
          ? 'TaskRunResultLargerThanAllowedLimit'
          : 'TaskRunValidationFailed';
      return this.fail(reason, describeProblem(read.problem));
    }
    const now = iso();
    const done = withCondition(
      this.status(),
      'True',
      'Succeeded',
      'All Steps have completed executing',
      now,
    );
    this.end({
      ...done,
      completionTime: now,
      ...(read.results.length ? { results: read.results } : {}),
    });
  }

  private status(): TaskRunStatus {
    return this.tr.status ?? {};
  }

  private set(status: TaskRunStatus): void {
    this.tr = { ...this.tr, status };
    this.env.changed();
  }

  private setStep(i: number, state: Omit<StepState, 'name'>): void {
    const steps = [...(this.status().steps ?? [])];
    const { running: _r, waiting: _w, ...base } = steps[i] ?? { name: '' };
    steps[i] = { ...base, ...state };
    this.set({ ...this.status(), steps });
  }

  private fail(reason: TaskRunReason, message: string, s = this.status()): void {
    this.end(failed(s, reason, message, iso()));
  }

  private end(status: TaskRunStatus): void {
    this.tr = { ...this.tr, status };
    const c = status.conditions?.find((x) => x.type === 'Succeeded');
    const start = Date.parse(status.startTime ?? '');
    const end = Date.parse(status.completionTime ?? '');
    this.env.emit({
      type: 'task-finished',
      ...this.ids,
      status: c?.status === 'True' ? 'Succeeded' : 'Failed',
      reason: c?.reason ?? '',
      message: c?.message ?? '',
      durationMs: Number.isNaN(start) || Number.isNaN(end) ? 0 : end - start,
    });
    this.env.changed();
  }
}
