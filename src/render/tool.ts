/**
 * Running helm and kustomize: the binaries `sluice dev-cluster build` caches (or the ones
 * `$SLUICE_HELM` / `$SLUICE_KUSTOMIZE` name, as in Sluice's container image), a deadline shared
 * by the whole render, and temporary directories that live outside the checkout and are removed
 * whatever happens.
 */
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from '../devcluster/build.ts';
import { execFile, type ExecResult } from '../util/exec.ts';
import { RenderError } from './errors.ts';
import type { RenderBudget } from './limits.ts';

export type ToolBinary = 'helm' | 'kustomize';

/** The environment variable that names a tool's binary outside the cache. */
export const TOOL_ENV: Record<ToolBinary, string> = {
  helm: 'SLUICE_HELM',
  kustomize: 'SLUICE_KUSTOMIZE',
};

/** The binary `$SLUICE_HELM` / `$SLUICE_KUSTOMIZE` names, else the cached one; or ToolMissing. */
export async function requireBinary(
  name: ToolBinary,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const named = env[TOOL_ENV[name]];
  if (named) {
    try {
      await access(named, constants.X_OK);
      return named;
    } catch {
      throw new RenderError('ToolMissing', `${name} is not at ${named} (${TOOL_ENV[name]})`, {
        hint: `point ${TOOL_ENV[name]} at an executable ${name} binary, or unset it to use the one \`npx sluice dev-cluster build\` caches`,
      });
    }
  }
  const p = await binaryPath(name);
  if (p === undefined) {
    throw new RenderError('ToolMissing', `${name} is not installed in Sluice's tool cache`, {
      hint: 'run `npx sluice dev-cluster build` (builds helm and kustomize once, then caches them)',
    });
  }
  return p;
}

/** Milliseconds left before `deadline`, or RenderTimeout when none are. */
export function remaining(deadline: number, what: string): number {
  const ms = deadline - Date.now();
  if (ms <= 0) throw timeoutError(what);
  return ms;
}

function timeoutError(what: string): RenderError {
  return new RenderError('RenderTimeout', `${what} did not finish in time and was stopped`, {
    hint: 'the render timeout (default 90s) was reached; check for a chart or kustomization that is very large or loops, or retry when the machine is less busy',
  });
}

export interface RunOptions {
  /** What is running, for messages: `helm template for apps/web`. */
  what: string;
  deadline: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The render's budget: the tool is stopped once its output would not fit. */
  budget?: RenderBudget;
  /** Where the tool's output is charged (the app directory). */
  file?: string;
}

/** Runs a tool; resolves with its output whatever its exit code, throws on timeout. */
export async function runTool(
  binary: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<ExecResult> {
  const timeoutMs = remaining(opts.deadline, opts.what);
  let result: ExecResult;
  try {
    result = await execFile(binary, args, {
      timeoutMs,
      ...(opts.env === undefined ? {} : { env: opts.env }),
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      ...(opts.budget === undefined ? {} : { maxOutputBytes: opts.budget.limits.maxBytes }),
    });
  } catch (err) {
    throw new RenderError('ToolMissing', `could not start ${binary}: ${String(err)}`, {
      cause: err,
      hint: 'run `npx sluice dev-cluster build` to rebuild the cached tools',
    });
  }
  if (result.timedOut) throw timeoutError(opts.what);
  if (result.overflowed && opts.budget)
    throw opts.budget.outputCut({ label: `the output of ${opts.what}`, file: opts.file });
  return result;
}

/** Runs `fn` with a fresh directory under os.tmpdir(), removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
