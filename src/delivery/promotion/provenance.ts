/**
 * Where a promoted version came from: the source change (`Source commit:`, `Source commit time:`
 * trailers, src/delivery/dora/trailers.ts) named by the commit that brought the version into the
 * previous environment — set-image's commit into dev, or the promotion commit into staging that
 * carried it on — so that every environment's promotion commit names the same source change and
 * DORA's lead time runs from the developer's commit in every environment.
 *
 * The commit is found in the Git mirror the Application controller keeps: for each app of the
 * previous environment that runs the version Synced, the newest commit reachable from the
 * revision it runs that changed how often the version occurs under the app's path (`git log -S`;
 * the whole tree when the path has none: values files may live beside the chart). A digest names
 * one build, so any commit writing it names its source; a tag is taken only from a commit whose
 * message names the tag too. Nothing found, or a commit without trailers: none — never a guess.
 *
 * @example
 * const source = await sourceOf(mirrors, originsOf(devApps, 'localhost:5000/web', digest), digest, log);
 * // { commit: 'f3a9c1b…', time: '2026-12-01T09:40:00Z' }
 */
import type { Application } from '../../api/application.ts';
import { errorMessage } from '../../errors.ts';
import { redactRepoURL, type CommitTime } from '../../source/index.ts';
import type { Logger } from '../../util/log.ts';
import { sourceTrailers, type SourceChange } from '../dora/trailers.ts';
import { refsTo, versionOf } from './imageref.ts';

/** Commit history the controller reads (GitMirrors has this shape). */
export interface ChangeHistory {
  lastChange(
    repoURL: string,
    sha: string,
    path: string,
    text: string,
  ): Promise<CommitTime | undefined>;
}

/** Where a version's commit may be found: an app's repository, path and the revision it runs. */
export interface Origin {
  repoURL: string;
  path: string;
  revision: string;
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The origins of `version` of `repository` among an environment's apps (pure; each once). */
export function originsOf(
  apps: readonly (Application | undefined)[],
  repository: string,
  version: string,
): Origin[] {
  const out = new Map<string, Origin>();
  for (const a of apps) {
    const s = a?.status;
    const revision = s?.sync?.revision ?? '';
    if (!a || s?.sync?.status !== 'Synced' || !FULL_SHA.test(revision)) continue;
    if (!refsTo(repository, s.summary?.images ?? []).some((r) => versionOf(r) === version))
      continue;
    const o = { repoURL: a.spec.source.repoURL, path: a.spec.source.path ?? '', revision };
    out.set(JSON.stringify(o), o);
  }
  return [...out.values()];
}

/** The source trailers of `commit`, when it may speak for `version` (pure). */
export function trailersFor(commit: CommitTime, version: string): SourceChange {
  if (!version.startsWith('sha256:') && !commit.message.includes(version)) return {};
  return sourceTrailers(commit.message);
}

const some = (c: SourceChange): boolean => c.commit !== undefined || c.time !== undefined;

/**
 * The source change of `version`: the trailers of the commit that brought it, from the first
 * origin that has one; none when no commit names one. Git errors are logged and passed over.
 */
export async function sourceOf(
  history: ChangeHistory,
  origins: readonly Origin[],
  version: string,
  log: Logger,
): Promise<SourceChange> {
  for (const o of origins) {
    const paths = o.path.replace(/^(\.\/)+|\/+$/g, '') === '' ? [''] : [o.path, ''];
    for (const path of paths) {
      try {
        const commit = await history.lastChange(o.repoURL, o.revision, path, version);
        if (!commit) continue;
        const found = trailersFor(commit, version);
        if (some(found)) return found;
        break; // the commit that brought it names no source: none from this app
      } catch (err) {
        log.warn('promotion: cannot read where the version came from', {
          repoURL: redactRepoURL(o.repoURL),
          revision: o.revision,
          error: errorMessage(err),
        });
        break;
      }
    }
  }
  return {};
}
