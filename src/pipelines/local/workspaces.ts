/**
 * Workspaces as directories under the run's work dir:
 * - `emptyDir`: a fresh directory per TaskRun (as a pod's emptyDir), `taskruns/<taskRun>/workspaces/<name>`;
 * - `volumeClaimTemplate` and `persistentVolumeClaim`: one directory per claim, shared by the
 *   run's tasks, `volumes/<claim>` (the engine names a template's claim `<run>-ws-<workspace>`);
 *   a named PVC starts empty — the cluster's volume is not here (a notice says so);
 * - `configMap` / `secret`: files written from the ConfigMap or Secret given in the documents
 *   (the `-f` files), `items` honoured; one that is not there is refused before anything runs.
 * `subPath` is a directory inside, made on first use.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { PipelineRun, WorkspaceBinding } from '../../api/pipeline.ts';
import type { Data, Sources } from './documents.ts';
import { LocalRunError } from './errors.ts';

/** Where one TaskRun's files go. */
export interface TaskDirs {
  root: string;
  results: string;
  scripts: string;
  /** The steps' working directory when they set none. */
  cwd: string;
  workspaces: string;
}

export function taskDirs(workDir: string, taskRun: string): TaskDirs {
  const root = join(workDir, 'taskruns', taskRun);
  return {
    root,
    results: join(root, 'results'),
    scripts: join(root, 'scripts'),
    cwd: join(root, 'cwd'),
    workspaces: join(root, 'workspaces'),
  };
}

export function volumeDir(workDir: string, claim: string): string {
  return join(workDir, 'volumes', claim);
}

interface Projected {
  name?: string;
  secretName?: string;
  optional?: boolean;
  items?: Array<{ key: string; path: string }>;
}

const projected = (b: WorkspaceBinding): Projected | undefined => b.configMap ?? b.secret;

/** The ConfigMap or Secret a binding reads, and its data (undefined: not in the documents). */
function sourceOf(b: WorkspaceBinding, sources: Sources) {
  const p = projected(b);
  if (!p) return undefined;
  const kind = b.configMap ? 'ConfigMap' : 'Secret';
  const name = (b.configMap ? p.name : p.secretName) ?? '';
  const data = kind === 'ConfigMap' ? sources.configMap(name) : sources.secret(name);
  return { kind, name, optional: p.optional === true, data, items: p.items };
}

/** Refuses a run whose ConfigMap or Secret workspace has nothing to read from. */
export function checkSources(run: PipelineRun, sources: Sources): void {
  for (const b of run.spec.workspaces ?? []) {
    const s = sourceOf(b, sources);
    if (!s || s.data || s.optional) continue;
    throw new LocalRunError(
      'WorkspaceSourceMissing',
      `PipelineRun/${run.metadata.namespace}/${run.metadata.name}`,
      `workspace "${b.name}" reads ${s.kind} "${s.name}", which is not in the files given; locally a ${s.kind} is read from the files, not from a cluster`,
      `add the ${s.kind} to a file given with -f (e.g. \`kubectl get ${s.kind.toLowerCase()} ${s.name} -o yaml\`)`,
    );
  }
}

/** Notices for bindings whose local meaning differs from the cluster's. */
export function workspaceNotices(run: PipelineRun): string[] {
  return (run.spec.workspaces ?? []).flatMap((b) => {
    const claim = b.persistentVolumeClaim?.claimName;
    return claim
      ? [
          `workspace "${b.name}": PersistentVolumeClaim "${claim}" is a local directory (volumes/${claim} in the work dir), empty unless the work dir kept it from an earlier run`,
        ]
      : [];
  });
}

/** `dir/sub`, refusing a subPath that climbs out of `dir`. */
function inside(dir: string, sub: string | undefined): string {
  if (!sub) return dir;
  const full = resolve(dir, sub);
  if (full !== dir && !full.startsWith(dir + sep))
    throw new Error(`subPath "${sub}" leaves the workspace`);
  return full;
}

async function writeData(dir: string, data: Data, items: Projected['items'], mode: number) {
  const files = items ? items.map((i) => [i.path, data.get(i.key)] as const) : [...data];
  for (const [path, bytes] of files) {
    if (bytes === undefined) throw new Error(`key for "${path}" is not in the object`);
    const file = inside(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes, { mode });
    await chmod(file, mode);
  }
}

/**
 * Makes the directory of each binding and returns the paths by workspace name; throws an Error
 * whose message says which workspace is wrong (the TaskRun fails validation with it).
 */
export async function prepareWorkspaces(
  bindings: readonly WorkspaceBinding[],
  dirs: TaskDirs,
  workDir: string,
  sources: Sources,
): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const b of bindings) {
    try {
      const claim = b.persistentVolumeClaim?.claimName;
      const base = claim ? volumeDir(workDir, claim) : join(dirs.workspaces, b.name);
      const path = inside(base, b.subPath);
      await mkdir(path, { recursive: true });
      const s = sourceOf(b, sources);
      if (s?.data) await writeData(path, s.data, s.items, s.kind === 'Secret' ? 0o400 : 0o444);
      paths[b.name] = path;
    } catch (err) {
      throw new Error(
        `workspace "${b.name}": ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  return paths;
}
