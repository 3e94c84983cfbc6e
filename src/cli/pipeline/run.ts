/**
 * `sluice pipeline run -f FILE [--local] [-p k=v]`: run what a file describes.
 *
 * - On the cluster (default): the file's Tasks, Pipelines (and the ConfigMaps / Secrets they
 *   use) are applied server-side, then its PipelineRun is created — the one in the file (or the
 *   one `--pipelinerun` names), else a run of its only Pipeline — with `-p`, `-w` and
 *   `--pod-template` applied over it; then as `start` (prints the name; `--showlog`, `--wait`).
 *   Tekton's `tekton.dev/v1` objects are taken as they are (the fields are the same).
 * - `--local`: on this machine, through the local executor (local.ts); nothing is applied.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../api/application.ts';
import {
  PIPELINE_KIND,
  PIPELINE_RUN_KIND,
  TASK_KIND,
  TASK_RUN_KIND,
  type Pipeline,
  type PipelineRun,
} from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import { isRecord, type KubeObject } from '../../kube/types.ts';
import { collect, usageError } from '../app/flags.ts';
import { positiveInt, splitPair } from './flags.ts';
import { runHere } from './local.ts';
import { startRun, type NewPipelineRun, type StartInput } from './manifest.ts';
import { FIELD_MANAGER, withPipelineKube } from './options.ts';
import { addStartOptions, createAndFollow, startInput, type StartOptions } from './start.ts';

type RunOptions = StartOptions & {
  filename: string[];
  local?: boolean;
  pipelinerun?: string;
  workdir?: string;
  keep?: boolean;
  concurrency?: number;
};

const TEKTON = 'tekton.dev/v1';
const RUN_KINDS = new Set([PIPELINE_RUN_KIND, TASK_RUN_KIND]);
const OURS = new Set([TASK_KIND, PIPELINE_KIND, PIPELINE_RUN_KIND, TASK_RUN_KIND]);

/** The file's objects; `-` reads stdin. Tekton v1 objects become ours (same fields). */
export async function readDocuments(file: string): Promise<KubeObject[]> {
  let source: string;
  try {
    source = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const docs: KubeObject[] = [];
  for (const d of parseAllDocuments(source)) {
    if (d.errors.length > 0) throw usageError(`${file}: ${d.errors[0]?.message ?? 'invalid YAML'}`);
    const obj: unknown = d.toJS();
    if (obj === null || obj === undefined) continue;
    if (!isRecord(obj) || typeof obj['kind'] !== 'string' || !isRecord(obj['metadata']))
      throw usageError(`${file}: every document needs apiVersion, kind and metadata`);
    docs.push(obj as KubeObject);
  }
  if (docs.length === 0) throw usageError(`${file} holds no objects`);
  return docs;
}

/**
 * Every `-f` in turn, as kubectl reads them: a file, `-` (stdin), or a directory (its .yaml and
 * .yml files, sorted, not recursing).
 */
export async function readAll(paths: readonly string[]): Promise<KubeObject[]> {
  const docs: KubeObject[] = [];
  for (const p of paths) {
    const isDir = p !== '-' && (await stat(p).catch(() => undefined))?.isDirectory();
    const files = isDir
      ? (await readdir(p))
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p];
    if (isDir && files.length === 0) throw usageError(`${p} holds no .yaml or .yml file`);
    for (const f of files) docs.push(...(await readDocuments(f)).map((d) => ours(d, f)));
  }
  return docs;
}

function ours(o: KubeObject, file: string): KubeObject {
  if (!OURS.has(o.kind) || o.apiVersion === API_VERSION) return o;
  if (o.apiVersion === TEKTON) return { ...o, apiVersion: API_VERSION };
  throw usageError(
    `${file}: ${o.kind}/${o.metadata.name ?? ''} has apiVersion ${o.apiVersion}`,
    `use ${API_VERSION} (or ${TEKTON}, taken as it is); Tekton's v1beta1 fields differ`,
  );
}

/** The run to create: the file's (the one named), else one of its only Pipeline. */
function chooseRun(docs: readonly KubeObject[], o: RunOptions): PipelineRun | Pipeline {
  const runs = docs.filter((d) => d.kind === PIPELINE_RUN_KIND) as PipelineRun[];
  if (o.pipelinerun) {
    const named = runs.find((r) => (r.metadata.name ?? r.metadata.generateName) === o.pipelinerun);
    if (!named)
      throw usageError(`${o.filename.join(', ')} has no PipelineRun named ${o.pipelinerun}`);
    return named;
  }
  if (runs.length > 1)
    throw usageError(
      `${o.filename.join(', ')} hold ${runs.length} PipelineRuns`,
      'name one with --pipelinerun',
    );
  const [run] = runs;
  if (run) return run;
  const pipelines = docs.filter((d) => d.kind === PIPELINE_KIND) as Pipeline[];
  const [only] = pipelines;
  if (pipelines.length !== 1 || !only)
    throw usageError(
      `${o.filename.join(', ')} hold no PipelineRun and ${pipelines.length} Pipelines`,
      'add a PipelineRun, or start one with `sluice pipeline start NAME`',
    );
  return only;
}

/** The file's run with the flags applied over it. */
function runFrom(docs: readonly KubeObject[], o: RunOptions, namespace: string): NewPipelineRun {
  const chosen = chooseRun(docs, o);
  if (chosen.kind === PIPELINE_KIND) {
    const p = chosen as Pipeline;
    return startRun(startInput(o, p.metadata.name, namespace, p.spec));
  }
  const run = chosen as PipelineRun;
  const ref = run.spec.pipelineRef?.name;
  const declared =
    run.spec.pipelineSpec ??
    (docs.find((d) => d.kind === PIPELINE_KIND && d.metadata.name === ref) as Pipeline | undefined)
      ?.spec;
  const input = startInput(o, ref ?? run.metadata.name, namespace, declared, {
    params: run.spec.params ?? [],
    workspaces: run.spec.workspaces ?? [],
  });
  return {
    ...run,
    metadata: {
      ...run.metadata,
      namespace: run.metadata.namespace || namespace,
      labels: { ...run.metadata.labels, ...input.labels },
    },
    spec: {
      ...run.spec,
      ...(input.params.length > 0 ? { params: input.params } : {}),
      ...(input.workspaces.length > 0 ? { workspaces: input.workspaces } : {}),
      ...templateOver(run.spec.taskRunTemplate, input),
    },
  };
}

/** `--pod-template` and `-s` over the run's own taskRunTemplate. */
function templateOver(
  template: PipelineRun['spec']['taskRunTemplate'],
  input: StartInput,
): Pick<PipelineRun['spec'], 'taskRunTemplate'> {
  if (!input.podTemplate && !input.serviceAccount) return {};
  return {
    taskRunTemplate: {
      ...template,
      ...(input.podTemplate ? { podTemplate: input.podTemplate } : {}),
      ...(input.serviceAccount ? { serviceAccountName: input.serviceAccount } : {}),
    },
  };
}

async function runOnCluster(kube: Kube, namespace: string, docs: KubeObject[], o: RunOptions) {
  const run = runFrom(docs, o, namespace);
  if (!o.dryRun) {
    for (const d of docs.filter((x) => !RUN_KINDS.has(x.kind))) {
      const obj = {
        ...d,
        metadata: { ...d.metadata, namespace: d.metadata.namespace ?? namespace },
      };
      await kube.apply(obj, { fieldManager: FIELD_MANAGER, force: true });
      process.stderr.write(
        `• ${d.kind}/${obj.metadata.namespace}/${d.metadata.name ?? ''} applied\n`,
      );
    }
  }
  await createAndFollow(kube, run, o);
}

/** `-p k=v` as the local executor takes them (it types them from the declarations). */
function rawParams(flags: readonly string[]): Record<string, string> {
  return Object.fromEntries(flags.map((f) => splitPair('-p', f)));
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description(
      'run what a file describes: apply its Tasks and Pipelines and create its PipelineRun (or a run of its Pipeline); --local runs it on this machine instead',
    )
    .requiredOption(
      '-f, --filename <file>',
      'YAML with Tasks, Pipelines and a PipelineRun; a directory reads its .yaml files, - stdin (repeatable)',
      collect,
      [],
    )
    .option(
      '--local',
      'run on this machine: each step a process in a temp work dir (image is not used)',
    )
    .option('--pipelinerun <name>', 'which PipelineRun of the file to run, when it holds several')
    .option(
      '--workdir <dir>',
      'with --local: the work dir (kept); default a temp dir, removed after',
    )
    .option('--keep', 'with --local: keep the temp work dir')
    .option(
      '--concurrency <n>',
      'with --local: most tasks running at once (default 4)',
      positiveInt('--concurrency'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  sluice pipeline run -f ci.yaml --local -p version=1.2.3\n' +
        '  sluice pipeline run -f ci/ -f ci/runs/nightly.yaml --local\n' +
        '  sluice pipeline run -f ci.yaml -n ci --showlog\n  cat ci.yaml | sluice pipeline run -f - --wait',
    );
  addStartOptions(cmd);
  return cmd.action(async (o: RunOptions) => {
    const docs = await readAll(o.filename);
    if (o.local) {
      if (o.workspace.length > 0 || o.podTemplate || o.showlog || o.wait || o.dryRun)
        throw usageError(
          '--local runs here and prints its logs: -w, --pod-template, --showlog, --wait and --dry-run are for the cluster',
        );
      await runHere(docs, rawParams(o.param), o);
      return;
    }
    await withPipelineKube(o, (kube, namespace) => runOnCluster(kube, namespace, docs, o));
  });
}
