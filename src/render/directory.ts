/**
 * Plain manifests: every `*.yaml`, `*.yml` and `*.json` file of the app directory, in sorted
 * path order, like Argo CD's directory apps. Subdirectories only with `recurse: true`; hidden
 * directories (`.git`, `.github`, ...) never. `include` / `exclude` globs (see glob.ts) match the
 * path relative to the app directory. Symlinked files are read when they stay inside the
 * repository and refused when they leave it; symlinked directories are not followed (no cycles).
 * A directory without manifests renders to zero objects: the caller refuses to prune on that.
 * Each file's size is checked against the render's limits before it is read (limits.ts).
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectorySource } from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';
import { RenderError } from './errors.ts';
import { matchGlob } from './glob.ts';
import { isInside } from './locate.ts';
import { parseJson, parseYaml } from './parse.ts';
import { remaining } from './tool.ts';
import type { RenderContext } from './types.ts';

const MANIFEST = /\.(ya?ml|json)$/;

/** Whether a file (path relative to the app directory) is one of the app's manifests. */
export function selectFile(rel: string, opts: DirectorySource = {}): boolean {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  if (!MANIFEST.test(name)) return false;
  if (opts.exclude && matchGlob(opts.exclude, rel)) return false;
  if (opts.include && !matchGlob(opts.include, rel)) return false;
  return true;
}

function repoPath(ctx: RenderContext, rel: string): string {
  return ctx.appPath === '.' ? rel : `${ctx.appPath}/${rel}`;
}

/** Whether to read a symlinked file: yes inside the repository, no when dangling; throws when it leaves. */
async function symlinkedFile(ctx: RenderContext, abs: string, rel: string): Promise<boolean> {
  let target: string;
  try {
    target = await realpath(abs);
  } catch {
    return false; // dangling: nothing to read, as Argo CD skips it
  }
  if (!isInside(ctx.root, target)) {
    throw new RenderError(
      'MalformedManifest',
      `${repoPath(ctx, rel)} is a symlink that leads outside the repository`,
      {
        file: repoPath(ctx, rel),
        hint: 'replace the symlink with the file itself, or point it inside the repository',
      },
    );
  }
  return (await stat(target)).isFile();
}

async function walk(
  ctx: RenderContext,
  dir: string,
  prefix: string,
  opts: DirectorySource,
  out: string[],
): Promise<void> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const rel = prefix + e.name;
    const abs = join(dir, e.name);
    if (e.isDirectory()) {
      if (opts.recurse === true && !e.name.startsWith('.'))
        await walk(ctx, abs, `${rel}/`, opts, out);
    } else if (selectFile(rel, opts)) {
      if (e.isFile() || (e.isSymbolicLink() && (await symlinkedFile(ctx, abs, rel)))) out.push(rel);
    }
  }
}

/** The manifest files of the app, relative to its directory, sorted. */
export async function listManifestFiles(
  ctx: RenderContext,
  opts: DirectorySource = {},
): Promise<string[]> {
  const files: string[] = [];
  await walk(ctx, ctx.appDir, '', opts, files);
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Renders a directory app.
 *
 * @example await renderDirectory(ctx, { recurse: true, exclude: '{test/*,*.json}' })
 */
export async function renderDirectory(
  ctx: RenderContext,
  opts: DirectorySource = {},
): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const rel of await listManifestFiles(ctx, opts)) {
    remaining(ctx.deadline, `reading the manifests of ${ctx.appPath}`);
    const file = repoPath(ctx, rel);
    const abs = join(ctx.appDir, rel);
    // Measured before it is read: a huge file is refused, not loaded.
    ctx.budget.text({ label: file, file }, (await stat(abs)).size);
    const text = await readFile(abs, 'utf8');
    const parse = rel.endsWith('.json') ? parseJson : parseYaml;
    objects.push(...parse(text, { origin: file, file, budget: ctx.budget }));
  }
  return objects;
}
