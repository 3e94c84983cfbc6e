/**
 * A resolved step as a process (pure): what to execute — the script file (its `#!` line picks
 * the interpreter; `args` become "$@", as Tekton passes them) or `command` + `args` — and its
 * environment: this machine's, plus the step's `env` and `envFrom`, ConfigMap and Secret values
 * read from the documents (Secret values are also returned, so logs can mask them).
 *
 * What cannot run here is refused with a message naming the step: sidecars and volumes (no
 * containers locally) and a step with only `args` (the image's entrypoint is unknown here).
 */
import type { ResolvedStep, ResolvedTask } from '../task/resolve.ts';
import type { Data, Sources } from './documents.ts';

/** Why the Task cannot run locally, or undefined. */
export function unsupported(task: ResolvedTask): string | undefined {
  if (task.sidecars.length > 0)
    return `sidecar "${task.sidecars[0]!.name}": sidecars are not run locally (they are containers); run the Task on the cluster`;
  if (task.volumes.length > 0)
    return 'the Task declares `volumes`, which need a pod; use a workspace instead (locally a directory)';
  for (const s of task.steps) {
    if (s.volumeMounts.length > 0)
      return `step "${s.name}": volumeMounts need a pod; use a workspace instead (locally a directory)`;
    if (s.script === undefined && !s.command?.length)
      return `step "${s.name}": no script and no command — on the cluster the image's entrypoint runs, which is unknown locally; give the step a command or a script`;
  }
  return undefined;
}

/** What to execute: the script file written at `scriptPath`, or the command. */
export function commandOf(
  step: ResolvedStep,
  scriptPath: string,
): { file: string; args: string[] } {
  if (step.script !== undefined) return { file: scriptPath, args: step.args ?? [] };
  const [file, ...rest] = step.command ?? [];
  return { file: file ?? '', args: [...rest, ...(step.args ?? [])] };
}

interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}

interface EnvEntry {
  name?: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef; [other: string]: unknown };
}

interface EnvFromEntry {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface StepEnv {
  env: Record<string, string>;
  /** Values that came from Secrets. */
  secrets: string[];
}

function fromRef(step: string, v: string, ref: KeyRef, kind: string, data: Data | undefined) {
  const bytes = data?.get(ref.key ?? '');
  if (bytes !== undefined || ref.optional) return bytes?.toString('utf8');
  const what = data ? `has no key "${ref.key}"` : 'is not in the files given';
  throw new Error(`step "${step}": env ${v} reads ${kind} "${ref.name}", which ${what}`);
}

function fromEntry(step: string, e: EnvEntry, sources: Sources, out: StepEnv): void {
  const name = e.name ?? '';
  const from = e.valueFrom;
  if (!from) {
    out.env[name] = e.value ?? '';
    return;
  }
  const cm = from.configMapKeyRef;
  const sec = from.secretKeyRef;
  if (!cm && !sec) {
    const kind = Object.keys(from).join(', ');
    throw new Error(
      `step "${step}": env ${name} uses valueFrom ${kind}, which needs a pod; only configMapKeyRef and secretKeyRef work locally`,
    );
  }
  const ref = (cm ?? sec)!;
  const data = cm ? sources.configMap(ref.name ?? '') : sources.secret(ref.name ?? '');
  const value = fromRef(step, name, ref, cm ? 'ConfigMap' : 'Secret', data);
  if (value === undefined) return;
  out.env[name] = value;
  if (sec) out.secrets.push(value);
}

function fromSource(step: string, e: EnvFromEntry, sources: Sources, out: StepEnv): void {
  const ref = e.configMapRef ?? e.secretRef;
  if (!ref) return;
  const kind = e.configMapRef ? 'ConfigMap' : 'Secret';
  const data = e.configMapRef ? sources.configMap(ref.name ?? '') : sources.secret(ref.name ?? '');
  if (!data) {
    if (ref.optional) return;
    throw new Error(
      `step "${step}": envFrom reads ${kind} "${ref.name}", which is not in the files given`,
    );
  }
  for (const [k, bytes] of data) {
    const value = bytes.toString('utf8');
    out.env[`${e.prefix ?? ''}${k}`] = value;
    if (e.secretRef) out.secrets.push(value);
  }
}

/** The step's environment over `base` (this machine's); throws naming the step and variable. */
export function stepEnv(
  step: ResolvedStep,
  sources: Sources,
  base: Readonly<Record<string, string | undefined>>,
): StepEnv {
  const out: StepEnv = { env: {}, secrets: [] };
  for (const [k, v] of Object.entries(base)) if (v !== undefined) out.env[k] = v;
  for (const e of step.envFrom) fromSource(step.name, e, sources, out);
  for (const e of step.env) fromEntry(step.name, e, sources, out);
  return out;
}
