/**
 * One check of a Trigger's repository, the steps in order:
 *
 * 1. list the branch and tag tips (`git ls-remote`: nothing fetched while nothing moved);
 * 2. compare them with the last commit handled per ref (`planCheck`): a baseline on the first
 *    check, events for the refs that moved or appeared, refs that went away forgotten;
 * 3. for each event (at most MAX_EVENTS per pass; the rest on the next): fetch the mirror once,
 *    read the commit's author, message and changed files, apply the path filters;
 * 4. start the run (`startRun`: the Pipeline must exist; the concurrency policy applies) and
 *    record the commit as handled — unless it could not start, then it stays to do.
 *
 * Failures go into the draft's Ready condition (reasons as data) and stop the pass.
 */
import { API_VERSION } from '../../api/application.ts';
import { PIPELINE_KIND } from '../../api/pipeline.ts';
import type { Trigger, TriggerSource } from '../../api/trigger.ts';
import { errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import {
  normalizeRepoURL,
  redactRepoURL,
  SourceError,
  type RepoCredentials,
} from '../../source/index.ts';
import type { Logger } from '../../util/log.ts';
import type { StatusDraft } from './draft.ts';
import type { TriggerGit } from './git.ts';
import { filtersHash, pathsDecision, planCheck, type NewCommit } from './match.ts';
import type { Started, TriggerRuns } from './runs.ts';
import { buildRun, type CommitEvent } from './template.ts';

/** New commits acted on per pass; more wait for the next pass (at once). */
export const MAX_EVENTS = 10;

export interface TriggerDeps {
  git: TriggerGit;
  runs: TriggerRuns;
  credentials: (repoURL: string) => RepoCredentials | undefined;
  log: Logger;
}

/** What one reconcile works with. */
export interface Pass {
  t: Trigger;
  kube: Kube;
  draft: StatusDraft;
  now: Date;
  credentials: RepoCredentials | undefined;
  /** Set once the Pipeline was found in this pass. */
  pipelineFound?: boolean;
}

const short = (sha: string): string => sha.slice(0, 7);

/** The Pipeline the template names, when it does not exist (undefined: it does, or is inline). */
async function missingPipeline(p: Pass): Promise<string | undefined> {
  const ref = p.t.spec.template.spec.pipelineRef;
  if (!ref || p.pipelineFound) return undefined;
  const ns = p.t.metadata.namespace;
  const found = await p.kube.get(API_VERSION, PIPELINE_KIND, ns, ref.name);
  p.pipelineFound = found !== undefined;
  return found ? undefined : `Pipeline ${ns}/${ref.name}`;
}

/**
 * Starts the run for a commit: the Pipeline must exist (else PipelineNotFound in the draft and
 * undefined), a run that cannot be created is RunFailed (undefined too).
 */
export async function startRun(
  deps: TriggerDeps,
  p: Pass,
  e: CommitEvent,
): Promise<Started | undefined> {
  const what = `${e.ref.replace(/^refs\/(heads|tags)\//, '')}@${short(e.sha)}`;
  const missing = await missingPipeline(p);
  if (missing) {
    p.draft.fail('PipelineNotFound', `${missing} not found: no run started for ${what}`);
    return undefined;
  }
  const policy = p.t.spec.concurrencyPolicy ?? 'Allow';
  try {
    const s = await deps.runs.startRun(
      p.kube,
      (held) => buildRun(p.t, e, { pending: held, now: p.now }),
      policy,
    );
    if (!s.existed)
      deps.log.info('trigger started a run', {
        trigger: `${p.t.metadata.namespace}/${p.t.metadata.name}`,
        run: s.name,
        ref: e.ref,
        commit: e.sha,
        source: e.source,
        ...(s.held ? { held: true } : {}),
        ...(s.cancelled.length > 0 ? { cancelled: s.cancelled.join(',') } : {}),
      });
    return s;
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    p.draft.fail('RunFailed', `cannot start a run for ${what}: ${err.message}`);
    return undefined;
  }
}

function describe(s: Started): string {
  if (s.existed) return 'its run had been started already';
  if (s.held) return 'queued behind the runs before it';
  if (s.cancelled.length > 0) return `cancelled ${s.cancelled.join(', ')}`;
  return 'started';
}

/** Acts on one new commit; false when the pass must stop (it stays to do). */
async function onCommit(
  deps: TriggerDeps,
  p: Pass,
  c: NewCommit,
  source: TriggerSource,
): Promise<boolean> {
  const { t, draft } = p;
  const d = await deps.git.details(t.spec.repoURL, c.commit, c.previous);
  const e: CommitEvent = {
    source,
    ref: c.ref,
    sha: c.commit,
    ...(c.previous ? { previous: c.previous } : {}),
    author: d.author,
    message: d.message,
    changedFiles: d.changed,
  };
  const at = p.now.toISOString();
  const base = { source, ref: c.ref, commit: c.commit, at, changedFiles: d.changed };
  const paths = pathsDecision(t.spec, c.ref, d.files);
  if (!paths.run) {
    draft.handled(c.ref, c.commit, 'Skipped', p.now);
    draft.lastEvent = { ...base, outcome: 'Skipped', message: paths.reason };
    return true;
  }
  const s = await startRun(deps, p, e);
  if (!s) {
    draft.lastEvent = { ...base, outcome: 'Failed', message: draft.message };
    return false;
  }
  const run = { name: s.name, commit: c.commit, startedAt: at };
  const outcome = s.existed ? 'Existing' : 'Started';
  draft.handled(c.ref, c.commit, outcome, p.now, run);
  draft.lastEvent = { ...base, outcome, run: s.name, message: describe(s) };
  return true;
}

/** Fetches the mirror once, then acts on each new commit in turn. */
async function onCommits(
  deps: TriggerDeps,
  p: Pass,
  events: readonly NewCommit[],
  source: TriggerSource,
): Promise<void> {
  const first = events[0];
  if (!first) return;
  await deps.git.resolve(p.t.spec.repoURL, first.ref, p.credentials, true).catch((err: unknown) => {
    // The ref went away since the listing: the fetch happened all the same.
    if (!(err instanceof SourceError && err.code === 'RevisionNotFound')) throw err;
  });
  for (const c of events) {
    // A commit the fetch did not bring (the ref moved again and was rewritten): next pass.
    const here = await deps.git
      .resolve(p.t.spec.repoURL, c.commit, p.credentials, false)
      .catch(() => undefined);
    if (!here) continue;
    if (!(await onCommit(deps, p, c, source))) return;
  }
}

/** One check; resolves whether more new commits wait for another pass. */
export async function check(deps: TriggerDeps, p: Pass, source: TriggerSource): Promise<boolean> {
  const { t, draft } = p;
  try {
    const remote = await deps.git.lsRemote(t.spec.repoURL, p.credentials);
    const repository = normalizeRepoURL(t.spec.repoURL);
    const filters = filtersHash(t.spec);
    if (draft.repository !== repository) draft.reset();
    const plan = planCheck({
      spec: t.spec,
      remote,
      known: draft.repository === repository ? [...draft.refs.values()] : undefined,
      filtersChanged: draft.filters !== filters,
    });
    for (const b of plan.baseline) draft.handled(b.ref, b.commit, 'Baseline', p.now);
    for (const ref of plan.gone) draft.forget(ref);
    draft.repository = repository;
    draft.filters = filters;
    draft.ok('Watching', watchingMessage(t, draft.refs.size, plan.ignored));
    await onCommits(deps, p, plan.events.slice(0, MAX_EVENTS), source);
    return plan.events.length > MAX_EVENTS;
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    const reason = err.code === 'AuthFailed' ? 'AuthFailed' : 'RepoUnreachable';
    draft.fail(reason, errorMessage(err));
    return false;
  }
}

function watchingMessage(t: Trigger, refs: number, ignored: number): string {
  const poll = t.spec.pollInterval?.trim();
  const how =
    poll && /^0+(ms|s|m|h)?$/.test(poll) ? 'webhook only' : `polling every ${poll || '3m'}`;
  const more = ignored > 0 ? `; ${ignored} more refs not watched (narrow branches/tags)` : '';
  return `watching ${refs} refs of ${redactRepoURL(t.spec.repoURL)} (${how})${more}`;
}
