/**
 * Task resolution, pure: a TaskSpec with a run's params and workspace bindings becomes the steps
 * that will run, every `$(...)` the Task owns replaced. Both executors use it — the Kubernetes
 * one turns the result into a Pod, the local one into processes — so a Task means the same
 * wherever it runs. Nothing here knows about Kubernetes beyond the field names.
 *
 * Errors are TaskErrors naming the param, step, workspace or reference (see errors.ts).
 *
 * @example
 * const task = resolveTask({
 *   spec: { params: [{ name: 'who', default: 'world' }], steps: [{ image: 'busybox', script: 'echo $(params.who)' }] },
 *   context: { taskRunName: 'hello-run', namespace: 'ci', uid: '42', taskName: 'hello' },
 * });
 * task.steps[0].script; // '#!/bin/sh\nset -e\necho world'
 */
import type {
  Param,
  ParamValue,
  ResultSpec,
  Step,
  TaskSpec,
  WorkspaceBinding,
} from '../../api/pipeline.ts';
import { substituteDeep, SubstitutionError, type Lookup } from '../subst.ts';
import { parseGoDuration } from '../duration.ts';
import { TaskError } from './errors.ts';
import { resolveParams } from './params.ts';
import { scriptFile, templatedSteps, type TemplatedStep } from './steps.ts';
import { checkReferences, lookupIn, type TaskContext } from './variables.ts';
import { resolveWorkspaces, type ResolvedWorkspace } from './workspaces.ts';

export type { TaskContext } from './variables.ts';
export type { ResolvedWorkspace } from './workspaces.ts';

/** Where `$(results.<name>.path)` points unless the executor says otherwise. */
export const DEFAULT_RESULTS_DIR = '/sluice/results';

export interface TaskInput {
  spec: TaskSpec;
  params?: readonly Param[];
  workspaces?: readonly WorkspaceBinding[];
  context: TaskContext;
  /** The directory `$(results.<name>.path)` is in (default /sluice/results). */
  resultsDir?: string;
  /** Where each workspace is, when not at the Task's mountPath (the local executor's dirs). */
  workspacePaths?: Readonly<Record<string, string>>;
}

/** A container-like record from the spec (env entries, volume mounts, envFrom, volumes). */
export type JsonObject = Record<string, unknown>;

/** One step, ready to run: every field substituted, the script with its `#!` line. */
export interface ResolvedStep {
  name: string;
  /** The container's name: `step-<name>` (sidecars: `sidecar-<name>`). */
  container: string;
  image: string;
  command?: string[];
  args?: string[];
  /** The file to execute, `#!` line first (the default `#!/bin/sh` + `set -e` added if none). */
  script?: string;
  env: JsonObject[];
  envFrom: JsonObject[];
  workingDir?: string;
  securityContext?: JsonObject;
  computeResources?: JsonObject;
  volumeMounts: JsonObject[];
  imagePullPolicy?: string;
  /** The step's own timeout; undefined: none. */
  timeoutMs?: number;
  onError: 'continue' | 'stopAndFail';
}

export interface ResolvedTask {
  params: ReadonlyMap<string, ParamValue>;
  steps: ResolvedStep[];
  sidecars: ResolvedStep[];
  results: ResultSpec[];
  workspaces: ResolvedWorkspace[];
  /** The Task's own `volumes`, substituted. */
  volumes: JsonObject[];
  resultsDir: string;
}

function substituted<T>(value: T, lookup: Lookup, step: string | undefined): T {
  checkReferences(value, lookup, step ? { step } : {});
  try {
    return substituteDeep(value, lookup, { keepUnknown: true });
  } catch (err) {
    if (!(err instanceof SubstitutionError)) throw err;
    throw new TaskError('NotAString', `${step ? `step "${step}": ` : ''}${err.message}`, {
      reference: err.reference,
      ...(step ? { step } : {}),
    });
  }
}

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? (v as JsonObject[]) : []);

function toResolved(s: TemplatedStep, prefix: 'step' | 'sidecar'): ResolvedStep {
  const timeoutMs = s.timeout === undefined ? undefined : parseGoDuration(s.timeout);
  return {
    name: s.name,
    container: `${prefix}-${s.name}`,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    ...(s.args ? { args: s.args } : {}),
    ...(s.script !== undefined ? { script: scriptFile(s.script) } : {}),
    env: list(s.env),
    envFrom: list(s.envFrom),
    ...(s.workingDir ? { workingDir: s.workingDir } : {}),
    ...(s.securityContext ? { securityContext: s.securityContext } : {}),
    ...(s.computeResources ? { computeResources: s.computeResources } : {}),
    volumeMounts: list(s.volumeMounts),
    ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    onError: s.onError ?? 'stopAndFail',
  };
}

function resolveSteps(
  steps: readonly Step[],
  template: JsonObject | undefined,
  lookup: Lookup,
  prefix: 'step' | 'sidecar',
): ResolvedStep[] {
  return templatedSteps(steps, template).map((s) => {
    const { name, ...rest } = s;
    return toResolved({ ...substituted(rest, lookup, name), name }, prefix);
  });
}

/** Resolves a Task for one run; throws a TaskError saying which input is wrong. */
export function resolveTask(input: TaskInput): ResolvedTask {
  const { spec } = input;
  const params = resolveParams(spec.params ?? [], input.params ?? []);
  const workspaces = resolveWorkspaces(spec, input.workspaces ?? [], input.workspacePaths);
  const resultsDir = input.resultsDir ?? DEFAULT_RESULTS_DIR;
  const lookup = lookupIn({
    params,
    results: (spec.results ?? []).map((r) => r.name),
    resultsDir,
    workspaces,
    context: input.context,
  });
  return {
    params,
    steps: resolveSteps(spec.steps, spec.stepTemplate, lookup, 'step'),
    sidecars: resolveSteps(spec.sidecars ?? [], undefined, lookup, 'sidecar'),
    results: spec.results ?? [],
    workspaces,
    volumes: substituted(spec.volumes ?? [], lookup, undefined),
    resultsDir,
  };
}
