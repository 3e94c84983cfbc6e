/**
 * Pipeline metrics: `sluice_pipelinerun_duration_seconds{pipeline,status}` (start to end),
 * `sluice_pipelinerun_queue_seconds` (created to started: the concurrency limit's wait) and
 * `sluice_taskrun_duration_seconds{task,status}`, observed as runs end in this process.
 */
import { Histogram, Registry } from 'prom-client';
import type { PipelineRun, TaskRun } from '../../api/pipeline.ts';

const BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly runSeconds = new Histogram({
    name: 'sluice_pipelinerun_duration_seconds',
    help: 'PipelineRun duration, start to end',
    labelNames: ['pipeline', 'status'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly queueSeconds = new Histogram({
    name: 'sluice_pipelinerun_queue_seconds',
    help: 'Time a PipelineRun waited for a run slot (created to started)',
    buckets: [0.1, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });
  readonly taskSeconds = new Histogram({
    name: 'sluice_taskrun_duration_seconds',
    help: 'TaskRun duration, start to end',
    labelNames: ['task', 'status'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });

  /** A TaskRun that just ended (seen by the watch) adds its duration. */
  taskObserved(tr: TaskRun, old: TaskRun | undefined): void {
    const done = (t: TaskRun | undefined) =>
      t?.status?.conditions?.find((c) => c.type === 'Succeeded' && c.status !== 'Unknown');
    const now = done(tr);
    if (!now || done(old)) return;
    const start = Date.parse(tr.status?.startTime ?? '');
    const end = Date.parse(tr.status?.completionTime ?? '');
    if (Number.isNaN(start) || Number.isNaN(end)) return;
    const task = tr.spec.taskRef?.name ?? tr.metadata.labels?.['sluice.dev/pipelineTask'] ?? '';
    const status = now.status === 'True' ? 'success' : 'failed';
    this.taskSeconds.observe({ task, status }, (end - start) / 1000);
  }

  runEnded(pipeline: string, status: 'success' | 'failed', seconds: number): void {
    this.runSeconds.observe({ pipeline, status }, seconds);
  }

  started(run: PipelineRun, startTime: string): void {
    const created = Date.parse(run.metadata.creationTimestamp ?? '');
    const started = Date.parse(startTime);
    if (!Number.isNaN(created) && !Number.isNaN(started)) {
      this.queueSeconds.observe(Math.max(0, (started - created) / 1000));
    }
  }
}
