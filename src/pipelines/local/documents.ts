/**
 * From the parsed YAML of `-f FILE` to the PipelineRun to run (pure): Tasks, Pipelines and
 * PipelineRuns (`sluice.dev/v1alpha1`, or Tekton's `tekton.dev/v1` as they are), the ConfigMaps
 * and Secrets that workspaces and env read, and the run — the one PipelineRun of the file, the one
 * `pipelineRun` names, or, for a file with one Pipeline and no run, a run of that Pipeline whose
 * workspaces are each one directory shared by its tasks. `-p k=v` overrides the run's params.
 * Namespaces matter little on one machine: an object in the run's namespace wins, else any.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_KIND,
  PIPELINE_RUN_KIND,
  TASK_KIND,
  type Param,
  type ParamValue,
  type Pipeline,
  type PipelineRun,
  type PipelineSpec,
  type Task,
} from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';
import { LocalRunError } from './errors.ts';

const ACCEPTED = new Set([API_VERSION, 'tekton.dev/v1']);
const PIPELINE_KINDS = new Set([TASK_KIND, PIPELINE_KIND, PIPELINE_RUN_KIND]);

/** A ConfigMap's or Secret's data, decoded: file name → bytes. */
export type Data = ReadonlyMap<string, Buffer>;

export interface Documents {
  tasks: Task[];
  pipelines: Pipeline[];
  runs: PipelineRun[];
  configMaps: Array<{ name: string; namespace?: string; data: Data }>;
  secrets: Array<{ name: string; namespace?: string; data: Data }>;
  /** Objects of other kinds, as `Kind/name` (the executor says it ignores them). */
  ignored: string[];
}

const ident = (o: KubeObject) => `${o.kind}/${o.metadata.name ?? o.metadata.generateName ?? ''}`;

function decoded(entries: unknown, base64: boolean): Array<[string, Buffer]> {
  if (!entries || typeof entries !== 'object') return [];
  return Object.entries(entries as Record<string, unknown>).map(([k, v]) => [
    k,
    Buffer.from(String(v), base64 ? 'base64' : 'utf8'),
  ]);
}

function dataOf(o: KubeObject): { name: string; namespace?: string; data: Data } {
  const secret = o.kind === 'Secret';
  const data = new Map([
    ...decoded(o['data'], secret),
    ...decoded(secret ? o['stringData'] : o['binaryData'], !secret),
  ]);
  const ns = o.metadata.namespace;
  return { name: o.metadata.name ?? '', ...(ns ? { namespace: ns } : {}), data };
}

/** Sorts the documents by kind; a Tekton object of an older version is refused. */
export function readDocuments(documents: readonly KubeObject[]): Documents {
  const d: Documents = {
    tasks: [],
    pipelines: [],
    runs: [],
    configMaps: [],
    secrets: [],
    ignored: [],
  };
  for (const o of documents) {
    if (PIPELINE_KINDS.has(o.kind) && !ACCEPTED.has(o.apiVersion)) {
      throw new LocalRunError(
        'UnsupportedApiVersion',
        ident(o),
        `apiVersion ${o.apiVersion} is not supported`,
        `use ${API_VERSION} (or tekton.dev/v1); Tekton's v1beta1 fields differ`,
      );
    }
    if (o.kind === TASK_KIND) d.tasks.push(o as Task);
    else if (o.kind === PIPELINE_KIND) d.pipelines.push(o as Pipeline);
    else if (o.kind === PIPELINE_RUN_KIND) d.runs.push(o as PipelineRun);
    else if (o.kind === 'ConfigMap' && o.apiVersion === 'v1') d.configMaps.push(dataOf(o));
    else if (o.kind === 'Secret' && o.apiVersion === 'v1') d.secrets.push(dataOf(o));
    else d.ignored.push(ident(o));
  }
  return d;
}

/** The object named `name`: the one in `namespace` if there is one, else any. */
export function named<T extends { name?: string; namespace?: string }>(
  list: readonly T[],
  name: string,
  namespace: string,
): T | undefined {
  const all = list.filter((x) => x.name === name);
  return all.find((x) => (x.namespace ?? namespace) === namespace) ?? all[0];
}

const meta = <T extends KubeObject>(list: readonly T[]) =>
  list.map((o) => ({ ...o.metadata, obj: o }));

/** ConfigMaps and Secrets by name, as workspaces and env read them. */
export interface Sources {
  configMap(name: string): Data | undefined;
  secret(name: string): Data | undefined;
}

export function sourcesOf(d: Documents, namespace: string): Sources {
  return {
    configMap: (name) => named(d.configMaps, name, namespace)?.data,
    secret: (name) => named(d.secrets, name, namespace)?.data,
  };
}

/** The Pipeline `name` of the documents. */
export function pipelineNamed(d: Documents, name: string, ns: string): Pipeline | undefined {
  return named(meta(d.pipelines), name, ns)?.obj;
}

export function taskNamed(d: Documents, name: string, ns: string): Task | undefined {
  return named(meta(d.tasks), name, ns)?.obj;
}

/** A fresh copy of `run` to start: a name, a namespace, a uid; no status; not pending. */
function fresh(run: PipelineRun, namespace: string | undefined): PipelineRun {
  const { status: _old, ...rest } = run;
  const suffix = randomBytes(4).toString('hex').slice(0, 5);
  const name = run.metadata.name || `${run.metadata.generateName ?? 'run-'}${suffix}`;
  return {
    ...rest,
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    metadata: {
      ...run.metadata,
      name,
      namespace: run.metadata.namespace ?? namespace ?? 'default',
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
    },
  };
}

/** A run of `p`, each workspace it needs bound to one directory shared by its tasks. */
function runOf(p: Pipeline): PipelineRun {
  const workspaces = (p.spec.workspaces ?? [])
    .filter((w) => !w.optional)
    .map((w) => ({ name: w.name, volumeClaimTemplate: {} }));
  return {
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    metadata: {
      name: '',
      generateName: `${p.metadata.name}-run-`,
      namespace: p.metadata.namespace,
    },
    spec: { pipelineRef: { name: p.metadata.name }, ...(workspaces.length ? { workspaces } : {}) },
  };
}

const names = (list: readonly KubeObject[]) => list.map((o) => o.metadata.name).join(', ');

/** The run the documents ask for (see the header). */
export function pickRun(d: Documents, which: string | undefined): PipelineRun {
  const ns = [...d.runs, ...d.pipelines, ...d.tasks].find((o) => o.metadata.namespace)?.metadata
    .namespace;
  if (which) {
    const run = d.runs.find((r) => r.metadata.name === which || r.metadata.generateName === which);
    if (run) return fresh(run, ns);
    const has = d.runs.length ? `; it has ${names(d.runs)}` : '';
    throw new LocalRunError('RunNotFound', '', `no PipelineRun "${which}" in the file${has}`);
  }
  if (d.runs.length > 1) {
    const hint = 'name the one to run (the --pipeline-run option of `sluice pipeline run`)';
    throw new LocalRunError(
      'AmbiguousRun',
      '',
      `the file has ${d.runs.length} PipelineRuns: ${names(d.runs)}`,
      hint,
    );
  }
  if (d.runs[0]) return fresh(d.runs[0], ns);
  if (d.pipelines.length === 1) return fresh(runOf(d.pipelines[0]!), ns);
  const hint =
    'add a PipelineRun (pipelineRef or pipelineSpec) to the file, or give exactly one Pipeline';
  const what = d.pipelines.length
    ? `${d.pipelines.length} Pipelines (${names(d.pipelines)})`
    : 'no Pipeline';
  throw new LocalRunError(
    'NoPipeline',
    '',
    `nothing to run: the file has no PipelineRun and ${what}`,
    hint,
  );
}

/** `-p` text as the declared type: an array `a,b,c`, an object `k1:v1,k2:v2`. */
function valueOf(
  text: string,
  type: string | undefined,
  param: string,
  object: string,
): ParamValue {
  if (type === 'array') return text === '' ? [] : text.split(',');
  if (type !== 'object') return text;
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const i = pair.indexOf(':');
    if (i <= 0) {
      const hint = `write an object param as key:value pairs, e.g. -p ${param}=url:https://x,revision:main`;
      throw new LocalRunError(
        'InvalidParamValue',
        object,
        `param "${param}": "${pair}" is not key:value`,
        hint,
      );
    }
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** The run with `-p` overrides applied; a param the Pipeline does not declare is refused. */
export function withParams(
  run: PipelineRun,
  spec: PipelineSpec,
  overrides: Readonly<Record<string, string>>,
  object: string,
): PipelineRun {
  const declared = new Map((spec.params ?? []).map((p) => [p.name, p.type]));
  const params: Param[] = [...(run.spec.params ?? [])];
  for (const [name, text] of Object.entries(overrides)) {
    if (!declared.has(name)) {
      const known = [...declared.keys()].join(', ') || 'none';
      throw new LocalRunError(
        'UnknownParam',
        object,
        `the Pipeline declares no param "${name}"`,
        `its params: ${known}`,
      );
    }
    const value = valueOf(text, declared.get(name), name, object);
    const i = params.findIndex((p) => p.name === name);
    if (i >= 0) params[i] = { name, value };
    else params.push({ name, value });
  }
  return { ...run, spec: { ...run.spec, params } };
}
