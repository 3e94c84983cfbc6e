/**
 * `sluice pipeline run --local`: a PipelineRun on this machine, driven exactly as the cluster's
 * PipelineRun controller drives it (../pipelinerun/controller.ts): after every change of a child
 * (and when the engine asks to look again), ask the engine's `plan()` what to do, cancel what it
 * cancels, make the directories of the claims it makes, start the TaskRuns it starts (the same
 * TaskRun objects, `taskRunFor`), read them back as the engine's children (`childOf`) and write
 * the run's status with the controller's fields. The TaskRuns run as processes (taskrun.ts),
 * at most `concurrency` at once; a TaskRun waiting for a slot is Pending, as a pod not yet scheduled.
 *
 * Ctrl-C (`signal`) is Tekton's `CancelledRunFinally`: running tasks are stopped and `finally`
 * runs; `forceSignal` is `Cancelled`: everything stops. Every process has ended when this returns.
 *
 * @example
 * const { run, taskRuns } = await runLocal({ documents, params: { version: '1.2.3' }, onEvent: print });
 * run.status?.conditions?.[0]; // { type: 'Succeeded', status: 'True', reason: 'Succeeded', ... }
 */
import { statusAfter } from '../pipelinerun/status.ts';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PipelineRun, TaskRun } from '../../api/pipeline.ts';
import { plan, type Plan } from '../pipeline/index.ts';
import { childOf, taskRunFor } from '../pipelinerun/children.ts';
import { LocalRunError } from './errors.ts';
import { startingPoint, type Start } from './start.ts';
import { LocalTaskRun, type TaskRunEnv } from './taskrun.ts';
import type { LocalEvent, LocalRunOptions } from './types.ts';
import { Slots, Wakeup } from './wait.ts';
import { volumeDir } from './workspaces.ts';

export const DEFAULT_CONCURRENCY = 4;

class Execution {
  private run: PipelineRun;
  private readonly children = new Map<string, LocalTaskRun>();
  private readonly running: Promise<void>[] = [];
  private readonly skipped = new Set<string>();
  private readonly claims = new Set<string>();
  private readonly wakeup = new Wakeup();
  private readonly slots: Slots;
  private readonly env: TaskRunEnv;
  private readonly s: Start;
  private readonly o: LocalRunOptions;
  private readonly onAbort = () => this.wakeup.notify();
  /** The first error of the caller's onEvent: the run stops and it is thrown. */
  private failed: { err: unknown } | undefined;

  constructor(s: Start, o: LocalRunOptions, workDir: string) {
    this.s = s;
    this.o = o;
    this.run = s.run;
    this.slots = new Slots(Math.max(1, o.concurrency ?? DEFAULT_CONCURRENCY));
    this.env = {
      workDir,
      sources: s.sources,
      baseEnv: process.env,
      emit: (e) => this.emit(e),
      changed: () => this.wakeup.notify(),
    };
    for (const sig of [o.signal, o.forceSignal]) sig?.addEventListener('abort', this.onAbort);
  }

  /** The loop of the controller's reconcile, until the run is over and every process has ended. */
  async loop(): Promise<{ run: PipelineRun; taskRuns: TaskRun[] }> {
    for (;;) {
      if (this.failed) throw this.failed.err;
      this.applySignals();
      const children = [...this.children.values()]
        .map((c) => childOf(c.tr, this.run))
        .filter((c) => c !== undefined);
      const p = plan({
        run: this.run,
        pipelineSpec: this.s.spec,
        pipelineName: this.s.pipelineName,
        taskSpecs: this.s.taskSpecs,
        children,
        now: new Date(),
      });
      await this.act(p);
      this.run = {
        ...this.run,
        status: statusAfter(this.run, p, this.s.spec, children, new Date()),
      };
      this.emit({ type: 'run-status', run: this.run });
      if (p.done) break;
      const active = children.some((c) => c.status === 'Pending' || c.status === 'Running');
      if (!active && p.start.length === 0 && !p.requeueAfterMs)
        throw new LocalRunError(
          'Stuck',
          `PipelineRun/${this.run.metadata.namespace}/${this.run.metadata.name}`,
          `nothing runs and nothing is left to wait for, yet the run is not over (${p.condition.reason ?? ''}: ${p.condition.message ?? ''})`,
          'this is a bug in Sluice: please report it with the pipeline file',
        );
      await this.wakeup.wait(p.requeueAfterMs);
    }
    await Promise.all(this.running);
    return { run: this.run, taskRuns: [...this.children.values()].map((c) => c.tr) };
  }

  /** Ctrl-C as the `spec.status` Tekton's users set to cancel a run. */
  private applySignals(): void {
    const want = this.o.forceSignal?.aborted
      ? 'Cancelled'
      : this.o.signal?.aborted
        ? 'CancelledRunFinally'
        : undefined;
    if (!want || this.run.spec.status === want || this.run.spec.status === 'Cancelled') return;
    this.run = { ...this.run, spec: { ...this.run.spec, status: want } };
    const message =
      want === 'Cancelled'
        ? 'cancelling: stopping every task; finally tasks do not run'
        : 'cancelling: stopping running tasks; finally tasks still run (interrupt again to stop them too)';
    this.emit({ type: 'notice', code: 'Cancelling', message });
  }

  /** Cancels, makes claim directories and starts what the plan says (each safe to repeat). */
  private async act(p: Plan): Promise<void> {
    for (const t of p.skipped) {
      if (this.skipped.has(t.name)) continue;
      this.skipped.add(t.name);
      this.emit({ type: 'task-skipped', task: t.name, reason: t.reason });
    }
    for (const c of p.cancel) this.children.get(c.name)?.cancel(c.message);
    for (const v of p.volumeClaims) {
      // a volumeClaimTemplate's claim is new for each run, even in a kept work dir
      if (this.claims.has(v.claimName)) continue;
      this.claims.add(v.claimName);
      const dir = volumeDir(this.env.workDir, v.claimName);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    }
    for (const s of p.start) {
      if (this.children.has(s.name)) continue;
      const tr = taskRunFor(this.run, s);
      const made: TaskRun = {
        ...tr,
        metadata: {
          ...tr.metadata,
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
        },
      };
      const child = new LocalTaskRun(made, this.env);
      this.children.set(s.name, child);
      this.running.push(this.slots.use(() => child.run()));
    }
  }

  /** Tells the caller; a failing handler must not break a step's output stream, so it stops the run instead. */
  emit(e: LocalEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch (err) {
      this.failed ??= { err };
      this.wakeup.notify();
    }
  }

  /** After a failure of the loop itself: nothing keeps running. */
  async stopAll(): Promise<void> {
    for (const sig of [this.o.signal, this.o.forceSignal])
      sig?.removeEventListener('abort', this.onAbort);
    for (const c of this.children.values()) c.cancel('the local run stopped');
    await Promise.allSettled(this.running);
  }
}

/** Runs the documents' PipelineRun on this machine (see the header); refusals throw before anything runs. */
export async function runLocal(
  o: LocalRunOptions,
): Promise<{ run: PipelineRun; taskRuns: TaskRun[] }> {
  const s = startingPoint(o);
  const workDir = o.workDir ? resolve(o.workDir) : await mkdtemp(join(tmpdir(), 'sluice-local-'));
  await mkdir(workDir, { recursive: true });
  const exec = new Execution(s, o, workDir);
  for (const n of s.notices) exec.emit({ type: 'notice', ...n });
  if (o.workDir || o.keep)
    exec.emit({ type: 'notice', code: 'WorkDir', message: `work dir (kept): ${workDir}` });
  try {
    return await exec.loop();
  } finally {
    await exec.stopAll();
    if (!o.workDir && !o.keep) await rm(workDir, { recursive: true, force: true });
  }
}
