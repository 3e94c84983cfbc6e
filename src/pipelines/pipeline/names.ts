/**
 * Deterministic child names, so creating a child twice (a retried reconcile, a restarted
 * controller) finds the first one instead of running it twice:
 * - `<run>-<task>` (as Tekton), `<run>-<task>-<i>` for matrix combination i (as Tekton);
 * - `-r<n>` appended for the n-th retry when the engine retries (`<run>-build-r2`);
 * - `<run>-ws-<workspace>` for a PVC made from a `volumeClaimTemplate`.
 * A name past 63 characters (label values hold names) is cut and ends in a hash of the full name.
 *
 * @example
 * childName('ci-7', 'build', {}); // 'ci-7-build'
 * childName('ci-7', 'test', { matrixIndex: 3, attempt: 1 }); // 'ci-7-test-3-r1'
 */
import { createHash } from 'node:crypto';

const MAX = 63;

/** Keeps a name within 63 characters: a cut prefix, `-`, and 10 hex digits of the full name. */
export function fitName(full: string): string {
  if (full.length <= MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  const head = full.slice(0, MAX - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}

export function childName(
  run: string,
  task: string,
  at: { matrixIndex?: number | undefined; attempt?: number | undefined },
): string {
  const matrix = at.matrixIndex === undefined ? '' : `-${at.matrixIndex}`;
  const retry = at.attempt ? `-r${at.attempt}` : '';
  return fitName(`${run}-${task}${matrix}${retry}`);
}

export function claimName(run: string, workspace: string): string {
  return fitName(`${run}-ws-${workspace}`);
}
