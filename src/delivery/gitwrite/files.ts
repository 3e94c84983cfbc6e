/**
 * Edits of files in a working tree: read, edit (a pure text -> text function such as
 * setimage's), write back only when the text changed. Paths are relative to the tree and may not
 * leave it (`../` or a symlink out of it is refused), so a path from a resource cannot reach
 * the controller's own files.
 */
import { lstat, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { EditResult } from '../setimage/result.ts';
import type { FileEdit } from './write.ts';

export interface FileEditSpec {
  /** Relative to the tree: `apps/web/kustomization.yaml`. */
  file: string;
  edit: (text: string, file: string) => EditResult;
  /** Start from an empty file when it does not exist (default: a missing file is an error). */
  create?: boolean;
}

/** An error that names the file it is about (gitwrite puts it in its message). */
export class FileEditError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'FileEditError';
    this.file = file;
  }
}

/** The absolute path of `file` inside `dir`; refuses paths that leave it. */
export async function insideTree(dir: string, file: string): Promise<string> {
  const root = await realpath(dir);
  const target = resolve(root, file);
  const rel = relative(root, target);
  if (isAbsolute(file) || rel.startsWith(`..${sep}`) || rel === '..')
    throw new FileEditError(file, 'the path leaves the repository');
  // A symlink may point out of the tree: resolve what exists of the path.
  const real = await realpath(target).catch(() => target);
  const realRel = relative(root, real);
  if (realRel.startsWith(`..${sep}`) || realRel === '..')
    throw new FileEditError(file, 'the path leads out of the repository through a symlink');
  return target;
}

async function readOrEmpty(path: string, spec: FileEditSpec): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && spec.create === true) return '';
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FileEditError(spec.file, 'the file does not exist in the repository');
    throw err;
  }
}

/** Applies `specs` in order in the tree `dir`; returns the files that changed. */
export async function editYamlFiles(
  dir: string,
  specs: readonly FileEditSpec[],
): Promise<{ files: FileEdit[] }> {
  const files: FileEdit[] = [];
  for (const spec of specs) {
    const path = await insideTree(dir, spec.file);
    const before = await readOrEmpty(path, spec);
    const result = spec.edit(before, spec.file);
    if (result.text === before) continue;
    await writeFile(path, result.text);
    files.push({ file: spec.file, changes: result.changes });
  }
  return { files };
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * The YAML files under `sub` (relative to `dir`), sorted, skipping hidden directories
 * (`.git`) and symlinks.
 */
export async function yamlFilesUnder(dir: string, sub: string): Promise<string[]> {
  const start = await insideTree(dir, sub === '' ? '.' : sub);
  const root = await realpath(dir);
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && YAML_FILE.test(e.name)) out.push(relative(root, full));
    }
  };
  const st = await lstat(start).catch(() => undefined);
  if (!st) throw new FileEditError(sub, 'the path does not exist in the repository');
  if (st.isDirectory()) await walk(start);
  else if (st.isFile()) out.push(relative(root, start));
  return out.sort();
}
