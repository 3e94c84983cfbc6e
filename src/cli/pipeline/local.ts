/**
 * `sluice pipeline run -f FILE --local`: the same Pipeline on this machine, through the local
 * executor (src/pipelines/local, `runLocal`): each step a process in a temp work dir, with the
 * engine's semantics. Logs go to stdout as `[task : step] line`; progress (tasks started,
 * finished, skipped; notices such as "image is not used locally") to stderr; at the end the
 * run's task graph as `get` draws it. Exit 0 when the run succeeds, 1 when not, 2 when the file
 * is refused. Ctrl-C stops the running tasks and runs `finally`; a second Ctrl-C stops all.
 */
import type { KubeObject } from '../../kube/types.ts';
import { runLocal, type LocalEvent } from '../../pipelines/local/index.ts';
import { formatDuration } from '../../util/progress.ts';
import { renderTasks } from './render.ts';
import { runFailed } from './watch.ts';
import { runState, runView, specOf } from './view.ts';

export interface LocalOptions {
  pipelinerun?: string;
  workdir?: string;
  keep?: boolean;
  concurrency?: number;
}

function describe(e: LocalEvent): string | undefined {
  switch (e.type) {
    case 'notice':
      return `• ${e.message}\n`;
    case 'task-started':
      return `• ${e.task} started${e.attempt > 0 ? ` (retry ${e.attempt})` : ''}\n`;
    case 'task-finished': {
      const detail = [
        e.reason !== e.status ? e.reason : '',
        e.status === 'Failed' ? e.message : '',
      ];
      const why = detail.some(Boolean) ? ` (${detail.filter(Boolean).join(': ')})` : '';
      return `• ${e.task} ${e.status}${why} in ${formatDuration(e.durationMs)}\n`;
    }
    case 'task-skipped':
      return `• ${e.task} skipped: ${e.reason}\n`;
    default:
      return undefined;
  }
}

/** Two Ctrl-C: the first stops gracefully, the second stops everything. */
function interrupts(): { signal: AbortSignal; force: AbortSignal; done: () => void } {
  const graceful = new AbortController();
  const force = new AbortController();
  const onSignal = (): void => {
    if (graceful.signal.aborted) force.abort();
    else {
      graceful.abort();
      process.stderr.write(
        '• stopping: running tasks are stopped, finally runs (Ctrl-C again stops all)\n',
      );
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: graceful.signal,
    force: force.signal,
    done: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Runs the file's PipelineRun here; resolves when it succeeded, throws (exit 1) when not. */
export async function runHere(
  documents: KubeObject[],
  params: Record<string, string>,
  o: LocalOptions,
): Promise<void> {
  const { signal, force, done } = interrupts();
  let result: Awaited<ReturnType<typeof runLocal>>;
  try {
    result = await runLocal({
      documents,
      params,
      signal,
      forceSignal: force,
      ...(o.pipelinerun ? { pipelineRun: o.pipelinerun } : {}),
      ...(o.workdir ? { workDir: o.workdir } : {}),
      ...(o.keep ? { keep: true } : {}),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      onEvent: (e) => {
        if (e.type === 'log') process.stdout.write(`[${e.task} : ${e.step}] ${e.line}\n`);
        const said = describe(e);
        if (said) process.stderr.write(said);
      },
    });
  } finally {
    done();
  }
  const { run, taskRuns } = result;
  const view = runView(run, taskRuns, specOf(run), new Date());
  process.stderr.write(`\n${renderTasks(view.tasks)}`);
  const s = runState(run);
  if (s.state !== 'Succeeded')
    throw runFailed(view, 'the logs above say why (--keep keeps the work dir to look into)');
  process.stderr.write(`• PipelineRun ${run.metadata.name} ${s.state} (local)\n`);
}
