/**
 * The changes a deployment brings, from the deploy-repository commits it brings (pure). A commit
 * that `sluice set-image` or a promotion wrote carries the change it deploys in its message
 * (trailers.ts): when that names the source commit's time, lead time runs from then — when the
 * developer committed — not from the deploy commit seconds before the deployment, and the change
 * is named by the source commit when given. Any other commit is its own change, from its
 * committer time. A change carried by several commits (set-image, then a promotion of the same
 * digest; a monorepo's source commit and the set-image commit naming it) counts once, from its
 * earliest time.
 *
 * @example
 * changesOf([{ sha: 'd1…', committedAt: '2026-12-01T10:00:05Z', message: 'set-image: …\n\nSource commit: 3f2a9c1…\nSource commit time: 2026-12-01T09:40:00Z\n' }]);
 * // [{ sha: '3f2a9c1…', committedAt: '2026-12-01T09:40:00Z' }]
 */
import type { DeploymentCommit } from '../../pipelines/store/index.ts';
import type { CommitTime } from '../../source/index.ts';
import { sourceTrailers } from './trailers.ts';

/** The change one deploy commit stands for. */
export function changeOf(c: CommitTime): DeploymentCommit {
  const source = sourceTrailers(c.message);
  if (source.time === undefined) return { sha: c.sha, committedAt: c.committedAt };
  return { sha: source.commit ?? c.sha, committedAt: source.time };
}

/** The changes of `commits`, in their order, each once (at its earliest time). */
export function changesOf(commits: readonly CommitTime[]): DeploymentCommit[] {
  const out = new Map<string, DeploymentCommit>();
  for (const c of commits) {
    const change = changeOf(c);
    const seen = out.get(change.sha);
    if (!seen || Date.parse(change.committedAt) < Date.parse(seen.committedAt))
      out.set(change.sha, change);
  }
  return [...out.values()];
}
