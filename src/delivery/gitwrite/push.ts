/**
 * The push, as data: the one command line that pushes (never forced), and its result read from
 * `git push --porcelain`, git's machine-readable report (one line per ref: a flag, the refspec,
 * a summary), so a rejection is told apart by what git reports, not by its prose.
 */

/** `git push` arguments for `HEAD` to `branch`: no `--force`, no `+` refspec, ever. */
export function pushArgs(branch: string, options: Readonly<Record<string, string>> = {}): string[] {
  const args = ['push', '--porcelain', '--quiet'];
  for (const [k, v] of Object.entries(options))
    args.push(`--push-option=${v === '' ? k : `${k}=${v}`}`);
  args.push('origin', `HEAD:refs/heads/${branch}`);
  return args;
}

/** receive-pack's reasons when another push updated the ref first. */
const RACE =
  /^\[remote rejected\] \((failed to update ref|failed to lock|cannot lock ref|incorrect old value)/;

export type PushOutcome =
  /** The branch moved to our commit (or already was there). */
  | { kind: 'pushed' }
  /** The branch moved on since we fetched it: fetch, redo, push again. */
  | { kind: 'stale'; summary: string }
  /** The server refused it for a reason retrying does not fix (a hook, a protected branch). */
  | { kind: 'refused'; summary: string }
  /** No ref line: the push did not get that far (transport, authentication). */
  | { kind: 'failed' };

/**
 * Reads the porcelain report of a push of `HEAD:refs/heads/<branch>`.
 *
 * @example
 * readPush('To file:///r\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone\n', 'main')
 * // { kind: 'stale', summary: '[rejected] (fetch first)' }
 */
export function readPush(stdout: string, branch: string): PushOutcome {
  const ref = `refs/heads/${branch}`;
  for (const line of stdout.split('\n')) {
    const [flag, refspec, summary = ''] = line.split('\t');
    if (refspec === undefined || !refspec.endsWith(`:${ref}`)) continue;
    if (flag === ' ' || flag === '*' || flag === '=' || flag === '+') return { kind: 'pushed' };
    if (flag !== '!') return { kind: 'failed' };
    // `[rejected]` is git's own check against the remote head (non-fast-forward, fetch first,
    // stale info). `[remote rejected]` is the server's: a lost race for the ref's lock is
    // another push landing first; anything else (a hook, protection) is a refusal.
    if (summary.startsWith('[rejected]') || RACE.test(summary)) return { kind: 'stale', summary };
    return { kind: 'refused', summary };
  }
  return { kind: 'failed' };
}
