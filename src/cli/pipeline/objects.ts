/**
 * What `sluice pipeline` reads from the cluster: PipelineRuns (by name, or the newest with
 * `--last`), their TaskRuns (labelled `sluice.dev/pipelineRun=<run>`, owned by it), the spec a
 * run runs, Pipelines and their newest runs. A name that is not there is exit 3, with the
 * command that lists what is.
 */
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_KIND,
  PIPELINE_RUN_KIND,
  TASK_RUN_KIND,
  type Pipeline,
  type PipelineRun,
  type PipelineSpec,
  type TaskRun,
} from '../../api/pipeline.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { RUN_LABEL } from '../../pipelines/pipelinerun/children.ts';
import { whileBusy } from '../app/common.ts';
import { specOf } from './view.ts';

export class NotFoundError extends SluiceError {
  constructor(kind: string, namespace: string, name: string, hint: string) {
    super(`${kind}NotFound`, `${kind}/${namespace}/${name} not found`, { hint, exitCode: 3 });
    this.name = 'NotFoundError';
  }
}

export const runNotFound = (namespace: string, name: string): NotFoundError =>
  new NotFoundError(
    PIPELINE_RUN_KIND,
    namespace,
    name,
    `list them with \`sluice pipeline runs -n ${namespace}\``,
  );

export async function getPipelineRun(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<PipelineRun | undefined> {
  return whileBusy(() => kube.get<PipelineRun>(API_VERSION, PIPELINE_RUN_KIND, namespace, name));
}

export async function getPipeline(kube: Kube, namespace: string, name: string): Promise<Pipeline> {
  const p = await whileBusy(() => kube.get<Pipeline>(API_VERSION, PIPELINE_KIND, namespace, name));
  if (!p)
    throw new NotFoundError(
      PIPELINE_KIND,
      namespace,
      name,
      `list them with \`sluice pipeline list -n ${namespace}\``,
    );
  return p;
}

const created = (r: PipelineRun): string => r.metadata.creationTimestamp ?? '';

/** Newest first (creation time, then name). */
export const newestFirst = (a: PipelineRun, b: PipelineRun): number =>
  created(b).localeCompare(created(a)) || b.metadata.name.localeCompare(a.metadata.name);

export async function listRuns(
  kube: Kube,
  namespace: string | undefined,
  pipeline?: string,
): Promise<PipelineRun[]> {
  const list = await whileBusy(() =>
    kube.list<PipelineRun>(API_VERSION, PIPELINE_RUN_KIND, namespace ? { namespace } : {}),
  );
  return list.items
    .filter((r) => pipeline === undefined || r.spec.pipelineRef?.name === pipeline)
    .sort(newestFirst);
}

/** Which run a command is about: its name, or with `--last [PIPELINE]` the newest one. */
export interface RunChoice {
  name?: string | undefined;
  /** `--last` (true) or `--last PIPELINE`. */
  last?: string | boolean | undefined;
}

/** The run's name as chosen; exit 3 when `--last` finds none. */
export async function chooseRun(kube: Kube, namespace: string, c: RunChoice): Promise<string> {
  if (!c.last) return c.name ?? '';
  const pipeline = typeof c.last === 'string' ? c.last : undefined;
  const [newest] = await listRuns(kube, namespace, pipeline);
  if (!newest) {
    const of = pipeline ? ` of Pipeline ${pipeline}` : '';
    throw new SluiceError('PipelineRunNotFound', `no PipelineRun${of} in namespace ${namespace}`, {
      hint: `start one with \`sluice pipeline start ${pipeline ?? 'PIPELINE'} -n ${namespace}\``,
      exitCode: 3,
    });
  }
  return newest.metadata.name;
}

/** The run's TaskRuns (every attempt and matrix combination). */
export async function taskRunsOf(kube: Kube, run: PipelineRun): Promise<TaskRun[]> {
  const list = await whileBusy(() =>
    kube.list<TaskRun>(API_VERSION, TASK_RUN_KIND, {
      namespace: run.metadata.namespace,
      labelSelector: `${RUN_LABEL}=${run.metadata.name}`,
    }),
  );
  return list.items;
}

/** The spec the run runs: from its status, its spec, else its Pipeline (undefined if gone). */
export async function runSpec(kube: Kube, run: PipelineRun): Promise<PipelineSpec | undefined> {
  const own = specOf(run);
  if (own) return own;
  const ref = run.spec.pipelineRef?.name;
  if (!ref) return undefined;
  const p = await kube.get<Pipeline>(API_VERSION, PIPELINE_KIND, run.metadata.namespace, ref);
  return p?.spec;
}

/** As kubectl prints objects: without managedFields. */
export function slim<T extends { metadata: { managedFields?: unknown[] } }>(o: T): T {
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}
