/**
 * Everything decided before a local run starts, and every refusal, before any process runs:
 * the run (documents.ts), its Pipeline and Tasks from the documents (the controller's own
 * resolvePipeline), the `-p` overrides, ConfigMap/Secret workspaces present in the documents,
 * and the engine's validation — a cycle, a missing param or task, a type mismatch — refused with
 * the engine's PipelineError. Plus the notices: `image` is not used locally (the images the
 * cluster would pull), workspaces whose local meaning differs, the engine's warnings.
 */
import type { PipelineRun, PipelineSpec, PipelineTask, TaskSpec } from '../../api/pipeline.ts';
import { plan } from '../pipeline/index.ts';
import { PipelineError, validationCondition } from '../pipeline/errors.ts';
import { resolvePipeline } from '../pipelinerun/resolve.ts';
import {
  pickRun,
  pipelineNamed,
  readDocuments,
  sourcesOf,
  taskNamed,
  withParams,
  type Sources,
} from './documents.ts';
import { LocalRunError } from './errors.ts';
import type { LocalRunOptions, NoticeCode } from './types.ts';
import { checkSources, workspaceNotices } from './workspaces.ts';

export interface Start {
  run: PipelineRun;
  spec: PipelineSpec;
  pipelineName: string;
  taskSpecs: Record<string, TaskSpec>;
  sources: Sources;
  notices: Array<{ code: NoticeCode; message: string }>;
}

/** The images the cluster would run the steps (and sidecars) in. */
export function imagesOf(
  spec: PipelineSpec,
  taskSpecs: Readonly<Record<string, TaskSpec>>,
): string[] {
  const out = new Set<string>();
  const of = (t: TaskSpec | undefined) => {
    const template = t?.stepTemplate?.['image'];
    for (const s of [...(t?.steps ?? []), ...(t?.sidecars ?? [])]) {
      const image = (s as { image?: unknown }).image ?? template;
      if (typeof image === 'string' && image) out.add(image);
    }
  };
  const tasks: PipelineTask[] = [...spec.tasks, ...(spec.finally ?? [])];
  for (const pt of tasks) of(pt.taskSpec ?? taskSpecs[pt.taskRef?.name ?? '']);
  return [...out].sort();
}

/** One PipelineError for all of them: the first's code, reason and hint; every message. */
function refusal(errors: readonly PipelineError[]): PipelineError {
  const first = errors[0]!;
  const { message } = validationCondition(errors);
  const hint = first.hint;
  return new PipelineError(
    first.code,
    first.object,
    first.field,
    message.slice(first.object.length + 2),
    hint ? { hint } : {},
  );
}

function resolved(run: PipelineRun, d: ReturnType<typeof readDocuments>, object: string) {
  const ns = run.metadata.namespace;
  const r = resolvePipeline(run, {
    pipeline: (n) => pipelineNamed(d, n, ns)?.spec,
    task: (n) => taskNamed(d, n, ns)?.spec,
  });
  if (!('error' in r)) return r;
  const ref = run.spec.pipelineRef?.name;
  if (ref)
    throw new LocalRunError(
      'PipelineNotFound',
      object,
      `Pipeline "${ref}" named in spec.pipelineRef is not in the files given`,
      'add the Pipeline to a file given with -f',
    );
  throw new LocalRunError('InvalidPipelineRun', object, r.error);
}

export function startingPoint(o: LocalRunOptions): Start {
  const d = readDocuments(o.documents);
  const notices: Start['notices'] = [];
  let run = pickRun(d, o.pipelineRun);
  const object = `PipelineRun/${run.metadata.namespace}/${run.metadata.name}`;
  if (run.spec.status) {
    const message = `spec.status ${run.spec.status} of the file is ignored: a local run starts at once`;
    notices.push({ code: 'PendingIgnored', message });
    const { status: _s, ...spec } = run.spec;
    run = { ...run, spec };
  }
  const r = resolved(run, d, object);
  run = withParams(run, r.spec, o.params ?? {}, object);
  const sources = sourcesOf(d, run.metadata.namespace);
  checkSources(run, sources);
  const check = plan({
    run,
    pipelineSpec: r.spec,
    pipelineName: r.name,
    taskSpecs: r.taskSpecs,
    children: [],
    now: new Date(),
  });
  if (check.errors.length > 0) throw refusal(check.errors);
  const images = imagesOf(r.spec, r.taskSpecs);
  notices.push({
    code: 'ImagesNotUsed',
    message: `image is not used locally: steps run as processes on this machine, with its tools${images.length ? ` (images the cluster would use: ${images.join(', ')})` : ''}`,
  });
  for (const message of workspaceNotices(run)) notices.push({ code: 'Workspace', message });
  for (const message of check.warnings) notices.push({ code: 'PipelineWarning', message });
  if (d.ignored.length)
    notices.push({
      code: 'PipelineWarning',
      message: `ignored (not used by a local run): ${d.ignored.join(', ')}`,
    });
  return { run, spec: r.spec, pipelineName: r.name, taskSpecs: r.taskSpecs, sources, notices };
}
