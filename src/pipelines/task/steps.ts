/**
 * Steps before substitution: named (an unnamed step is `unnamed-<index>`, as Tekton), checked
 * (a DNS label, unique, an image, not both `script` and `command`), merged with the Task's
 * `stepTemplate` (the step wins; `env` and `volumeMounts` are merged entry by entry, by name and
 * by mount path, as Kubernetes' strategic merge does), and a `script` turned into the file that
 * runs: a first line `#!...` picks the interpreter, otherwise Tekton's `#!/bin/sh` + `set -e`.
 */
import type { Step } from '../../api/pipeline.ts';
import { parseGoDuration } from '../duration.ts';
import { TaskError } from './errors.ts';

/** What a script without a `#!` line starts with (Tekton's default). */
export const DEFAULT_SCRIPT_PREAMBLE = '#!/bin/sh\nset -e\n';

type Json = Record<string, unknown>;

/** A step merged with its template, named, not yet substituted. */
export interface TemplatedStep extends Step {
  name: string;
  image: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The file a `script` becomes. */
export function scriptFile(script: string): string {
  return script.startsWith('#!') ? script : DEFAULT_SCRIPT_PREAMBLE + script;
}

/** The interpreter a script file runs with: its `#!` line, without the `#!`. */
export function interpreterOf(file: string): string {
  const end = file.indexOf('\n');
  const first = end < 0 ? file : file.slice(0, end);
  return first.startsWith('#!') ? first.slice(2).trim() : '';
}

function mergeBy(key: string, base: unknown, over: unknown): Json[] | undefined {
  const a = Array.isArray(base) ? (base as Json[]) : [];
  const b = Array.isArray(over) ? (over as Json[]) : [];
  if (a.length === 0 && b.length === 0) return undefined;
  const replaced = a.map((x) => b.find((y) => y[key] === x[key]) ?? x);
  const added = b.filter((y) => !a.some((x) => x[key] === y[key]));
  return [...replaced, ...added];
}

function deepMerge(base: unknown, over: unknown): unknown {
  const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(base) || !isObj(over)) return over ?? base;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The step over the template (Tekton merges them as Kubernetes merges a container patch). */
export function mergeStepTemplate(template: Json | undefined, step: Step): Step {
  if (!template) return step;
  const merged: Json = { ...template, ...step };
  const env = mergeBy('name', template['env'], step.env);
  if (env) merged['env'] = env;
  const mounts = mergeBy('mountPath', template['volumeMounts'], step.volumeMounts);
  if (mounts) merged['volumeMounts'] = mounts;
  for (const k of ['securityContext', 'computeResources'] as const) {
    const v = deepMerge(template[k], step[k]);
    if (v !== undefined) merged[k] = v;
  }
  return merged;
}

function invalid(step: string, message: string, hint?: string): TaskError {
  return new TaskError('InvalidStep', `step "${step}": ${message}`, { step }, hint);
}

function checkStep(step: Step, name: string): void {
  if (!DNS_LABEL.test(name) || name.length > 58)
    throw invalid(name, 'a step name must be a DNS label of at most 58 characters');
  if (!step.image)
    throw invalid(name, 'no image', 'set `image` on the step or in the stepTemplate');
  if (step.script !== undefined && step.command?.length)
    throw invalid(name, 'script cannot be used with command', 'drop `command`, or the script');
  if (step.timeout !== undefined && parseGoDuration(step.timeout) === undefined) {
    throw new TaskError(
      'InvalidDuration',
      `step "${name}": timeout "${step.timeout}" is not a duration (e.g. 30s, 5m, 1h)`,
      { step: name },
    );
  }
}

/** The Task's steps merged with its template, named and checked, in order. */
export function templatedSteps(
  steps: readonly Step[],
  template: Json | undefined,
): TemplatedStep[] {
  const seen = new Set<string>();
  return steps.map((raw, i) => {
    const step = mergeStepTemplate(template, raw);
    const name = step.name ?? `unnamed-${i}`;
    if (seen.has(name)) throw invalid(name, 'two steps have this name');
    seen.add(name);
    checkStep(step, name);
    return { ...step, name, image: step.image! };
  });
}
