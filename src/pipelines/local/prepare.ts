/**
 * Before a local TaskRun's first step: its directories (fresh), the Task resolved by the shared
 * task/ code with this machine's paths (`resultsDir`, `workspacePaths`), what cannot run here
 * refused, each step's script file written, its environment and working directory settled. Any
 * problem is a message naming the step or workspace; the TaskRun then fails validation, as on
 * the cluster (`TaskRunValidationFailed`), before any step runs.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { TaskRun } from '../../api/pipeline.ts';
import { isTaskError } from '../task/errors.ts';
import { resolveTask, type ResolvedStep, type ResolvedTask } from '../task/resolve.ts';
import type { Sources } from './documents.ts';
import { commandOf, stepEnv, unsupported } from './steps.ts';
import { prepareWorkspaces, taskDirs, type TaskDirs } from './workspaces.ts';

/** A step ready to start. */
export interface Runnable {
  step: ResolvedStep;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface Prepared {
  task: ResolvedTask;
  dirs: TaskDirs;
  steps: Runnable[];
  /** Secret-sourced env values, masked in the logs. */
  secrets: string[];
}

export interface PrepareInput {
  tr: TaskRun;
  workDir: string;
  sources: Sources;
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** Attempts before this one (`$(context.task.retry-count)`). */
  retryCount: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The step's working directory: its `workingDir` (made when inside the work dir), else the TaskRun's own. */
async function cwdOf(step: ResolvedStep, dirs: TaskDirs, workDir: string): Promise<string> {
  const wd = step.workingDir;
  if (!wd) return dirs.cwd;
  const full = isAbsolute(wd) ? wd : resolve(dirs.cwd, wd);
  if (full === workDir || full.startsWith(workDir + sep)) {
    await mkdir(full, { recursive: true });
    return full;
  }
  if (existsSync(full)) return full;
  throw new Error(
    `step "${step.name}": workingDir "${wd}" does not exist on this machine (a path in the image); use $(workspaces.<name>.path)`,
  );
}

function resolved(i: PrepareInput, dirs: TaskDirs, workspacePaths: Record<string, string>) {
  const { tr } = i;
  const spec = tr.spec.taskSpec;
  if (!spec) throw new Error('the TaskRun has no taskSpec');
  return resolveTask({
    spec,
    params: tr.spec.params ?? [],
    workspaces: tr.spec.workspaces ?? [],
    context: {
      taskRunName: tr.metadata.name,
      namespace: tr.metadata.namespace,
      uid: tr.metadata.uid ?? '',
      taskName: tr.spec.taskRef?.name ?? tr.metadata.name,
      retryCount: i.retryCount,
    },
    resultsDir: dirs.results,
    workspacePaths,
  });
}

/** Everything the steps need, or the message that fails the TaskRun's validation. */
export async function prepare(i: PrepareInput): Promise<Prepared | string> {
  const dirs = taskDirs(i.workDir, i.tr.metadata.name);
  try {
    await rm(dirs.root, { recursive: true, force: true });
    for (const d of [dirs.results, dirs.scripts, dirs.cwd, dirs.workspaces])
      await mkdir(d, { recursive: true });
    const paths = await prepareWorkspaces(i.tr.spec.workspaces ?? [], dirs, i.workDir, i.sources);
    const task = resolved(i, dirs, paths);
    const refused = unsupported(task);
    if (refused) return refused;
    const steps: Runnable[] = [];
    const secrets: string[] = [];
    for (const step of task.steps) {
      const scriptPath = join(dirs.scripts, step.name);
      if (step.script !== undefined) await writeFile(scriptPath, step.script, { mode: 0o755 });
      const env = stepEnv(step, i.sources, i.baseEnv);
      secrets.push(...env.secrets);
      const cwd = await cwdOf(step, dirs, i.workDir);
      steps.push({ step, ...commandOf(step, scriptPath), cwd, env: env.env });
    }
    return { task, dirs, steps, secrets };
  } catch (err) {
    if (isTaskError(err) || err instanceof Error) return message(err);
    throw err;
  }
}
