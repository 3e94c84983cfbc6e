/**
 * The flags `sluice pipeline start` shares with `tkn pipeline start`, parsed into the fields of
 * a PipelineRun. Pure (files are read through the function passed in); a bad value is a usage
 * error (exit 2) that names the flag and the value.
 *
 * - `-p name=value`: typed by the Pipeline's declaration, as tkn does: an array param splits on
 *   commas (`-p files=a.txt,b.txt`), an object param takes `key:value` pairs
 *   (`-p git=url:https://x,rev:main`). An undeclared name, or a declared param without a default
 *   and without a value, is refused before anything is created.
 * - `-w name=shared,emptyDir=` (also `claimName=`, `config=`, `secret=`,
 *   `volumeClaimTemplateFile=`, and `subPath=`): one volume source per workspace.
 * - `-l key=value`: labels.
 */
import { parse } from 'yaml';
import type { Param, ParamSpec, ParamValue, WorkspaceBinding } from '../../api/pipeline.ts';
import { isRecord } from '../../kube/types.ts';
import { usageError } from '../app/flags.ts';

/** `k=v` split at the first `=`. */
export function splitPair(flag: string, s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw usageError(`${flag} takes name=value, got "${s}"`);
  return [s.slice(0, i).trim(), s.slice(i + 1)];
}

function objectValue(name: string, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',').filter((x) => x !== '')) {
    const i = pair.indexOf(':');
    if (i <= 0)
      throw usageError(`-p ${name}: an object param takes key:value pairs, got "${pair}"`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function valueOf(spec: ParamSpec | undefined, name: string, raw: string): ParamValue {
  if (spec?.type === 'array') return raw === '' ? [] : raw.split(',');
  if (spec?.type === 'object') return objectValue(name, raw);
  return raw;
}

/**
 * The PipelineRun's params from `-p` flags (last one wins), typed and checked against the
 * declared params when they are known. `base` (a rerun's params) fills in what is not given.
 */
export function parseParams(
  flags: readonly string[],
  declared: readonly ParamSpec[] | undefined,
  base: readonly Param[] = [],
): Param[] {
  const byName = new Map(base.map((p) => [p.name, p.value]));
  const specs = new Map((declared ?? []).map((d) => [d.name, d]));
  for (const f of flags) {
    const [name, raw] = splitPair('-p', f);
    if (declared && !specs.has(name)) {
      const known = [...specs.keys()];
      throw usageError(
        `-p ${name}: the Pipeline declares no param "${name}"`,
        known.length > 0 ? `its params: ${known.join(', ')}` : 'it declares no params',
      );
    }
    byName.set(name, valueOf(specs.get(name), name, raw));
  }
  const missing = (declared ?? []).filter((d) => d.default === undefined && !byName.has(d.name));
  if (missing.length > 0) {
    throw usageError(
      `missing value for param${missing.length > 1 ? 's' : ''} ${missing.map((m) => m.name).join(', ')} (no default)`,
      `add ${missing.map((m) => `-p ${m.name}=...`).join(' ')}`,
    );
  }
  return [...byName].map(([name, value]) => ({ name, value }));
}

const SOURCES = ['emptyDir', 'claimName', 'config', 'secret', 'volumeClaimTemplateFile'] as const;
type Source = (typeof SOURCES)[number];

function sourceOf(
  key: Source,
  value: string,
  readFile: (path: string) => string,
): Omit<WorkspaceBinding, 'name'> {
  switch (key) {
    case 'emptyDir':
      return { emptyDir: {} };
    case 'claimName':
      return { persistentVolumeClaim: { claimName: value } };
    case 'config':
      return { configMap: { name: value } };
    case 'secret':
      return { secret: { secretName: value } };
    case 'volumeClaimTemplateFile': {
      const doc: unknown = parse(readFile(value));
      if (!isRecord(doc)) throw usageError(`-w: ${value} holds no PersistentVolumeClaim`);
      const { apiVersion: _a, kind: _k, ...template } = doc;
      return { volumeClaimTemplate: template };
    }
  }
}

/** One `-w name=...,<source>=...[,subPath=...]` flag. */
export function parseWorkspace(s: string, readFile: (path: string) => string): WorkspaceBinding {
  const fields = new Map<string, string>();
  for (const part of s.split(',')) {
    const [k, v] = splitPair('-w', part);
    fields.set(k, v);
  }
  const name = fields.get('name');
  if (!name) throw usageError(`-w "${s}": name= is required (-w name=shared,emptyDir=)`);
  const unknown = [...fields.keys()].filter(
    (k) => k !== 'name' && k !== 'subPath' && !(SOURCES as readonly string[]).includes(k),
  );
  if (unknown.length > 0)
    throw usageError(
      `-w ${name}: unknown key ${unknown.join(', ')}`,
      `keys: name, subPath, ${SOURCES.join(', ')}`,
    );
  const given = SOURCES.filter((k) => fields.has(k));
  const [key] = given;
  if (given.length !== 1 || key === undefined)
    throw usageError(`-w ${name}: give exactly one of ${SOURCES.join(', ')}`);
  const subPath = fields.get('subPath');
  return {
    name,
    ...(subPath ? { subPath } : {}),
    ...sourceOf(key, fields.get(key) ?? '', readFile),
  };
}

/** Declared, non-optional workspaces that no `-w` binds. */
export function unboundWorkspaces(
  declared: ReadonlyArray<{ name: string; optional?: boolean }> | undefined,
  bound: readonly WorkspaceBinding[],
): string[] {
  const have = new Set(bound.map((b) => b.name));
  return (declared ?? []).filter((w) => !w.optional && !have.has(w.name)).map((w) => w.name);
}

export function parseLabels(flags: readonly string[]): Record<string, string> {
  return Object.fromEntries(flags.map((f) => splitPair('-l', f)));
}

/** `--pod-template FILE`: a YAML mapping (nodeSelector, tolerations, securityContext, ...). */
export function parsePodTemplate(text: string, path: string): Record<string, unknown> {
  const doc: unknown = parse(text);
  if (!isRecord(doc)) throw usageError(`--pod-template ${path}: expected a YAML mapping`);
  return doc;
}

/** Commander's parser for a flag that takes a positive whole number. */
export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw usageError(`${flag} takes a positive number, got "${v}"`);
    return n;
  };
}
