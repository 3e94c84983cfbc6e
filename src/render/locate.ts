/**
 * Finds the app directory inside the checkout, refusing paths that leave it (`..`, absolute
 * paths, symlinks pointing elsewhere): a repository must not make Sluice read the host's files.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { RenderError } from './errors.ts';
import { RenderBudget, resolveLimits } from './limits.ts';
import type { RenderContext, RenderRequest } from './types.ts';

const PATH_HINT =
  'check spec.source.path and spec.source.targetRevision: the path must exist at that revision';

/** True when `p` is `root` or below it (both real, absolute paths). */
export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `path` as written in the spec, normalized: `''`, `'.'`, `'./'` -> `'.'`; `a/b/` -> `a/b`. */
export function normalizeAppPath(path: string): string {
  const p = posix.normalize(path.replaceAll('\\', '/').trim() || '.');
  return p === '/' ? '/' : p.replace(/\/+$/, '') || '.';
}

/** `abs` relative to the root, POSIX separators, `.` for the root itself. */
export function relToRoot(root: string, abs: string): string {
  const r = relative(root, abs).split(sep).join('/');
  return r === '' ? '.' : r;
}

async function realDir(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch {
    return undefined;
  }
}

/**
 * Resolves the request's app directory.
 *
 * @example await locateApp({ root: '/srv/checkouts/abc', path: 'apps/web', ... }, deadline)
 */
export async function locateApp(req: RenderRequest, deadline: number): Promise<RenderContext> {
  const appPath = normalizeAppPath(req.path);
  if (!isAbsolute(req.root)) {
    throw new RenderError('PathNotFound', `repository root "${req.root}" is not an absolute path`);
  }
  const root = await realDir(req.root);
  if (root === undefined) {
    throw new RenderError('PathNotFound', `repository checkout ${req.root} does not exist`, {
      hint: 'the checkout was removed while rendering; retry',
    });
  }
  if (isAbsolute(appPath) || appPath === '..' || appPath.startsWith('../')) {
    throw new RenderError(
      'PathNotFound',
      `app path "${req.path}" is outside the repository: it must be relative to the repository root`,
      { hint: PATH_HINT },
    );
  }
  const appDir = await realDir(join(root, appPath));
  if (appDir === undefined) {
    throw new RenderError(
      'PathNotFound',
      `app path "${appPath}" does not exist in the repository`,
      {
        hint: PATH_HINT,
        file: appPath,
      },
    );
  }
  if (!isInside(root, appDir)) {
    throw new RenderError(
      'PathNotFound',
      `app path "${appPath}" is a symlink that leads outside the repository`,
      { hint: PATH_HINT, file: appPath },
    );
  }
  if (!(await stat(appDir)).isDirectory()) {
    throw new RenderError('PathNotFound', `app path "${appPath}" is a file, not a directory`, {
      hint: PATH_HINT,
      file: appPath,
    });
  }
  const budget = new RenderBudget(resolveLimits(req.source), req.appName);
  return { root, appDir, appPath, deadline, budget };
}
