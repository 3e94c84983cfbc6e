/**
 * Runs started by hand (`sluice trigger run NAME --revision REV`): the CLI writes a request into
 * the Trigger's `sluice.dev/run-request` annotation (an id, the revision, optionally the ref);
 * the controller resolves the revision in the mirror (fetching first), starts the run for it —
 * no path filter, the concurrency policy as usual, one run per request id — and answers in
 * `status.lastRequest` (the run, or the error with its reason as data), which the CLI waits for.
 */
import {
  RUN_REQUEST_ANNOTATION,
  type RunRequest,
  type Trigger,
  type TriggerRequestStatus,
} from '../../api/trigger.ts';
import { errorMessage } from '../../errors.ts';
import { isRecord } from '../../kube/types.ts';
import { SourceError } from '../../source/index.ts';
import { startRun, type Pass, type TriggerDeps } from './check.ts';
import { HEADS, TAGS } from './match.ts';

export type ParsedRequest =
  { ok: true; request: RunRequest } | { ok: false; id: string; error: string };

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

function readJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The request on the Trigger, if any (pure). */
export function parseRequest(t: Pick<Trigger, 'metadata'>): ParsedRequest | undefined {
  const text = t.metadata.annotations?.[RUN_REQUEST_ANNOTATION];
  if (text === undefined || text.trim() === '') return undefined;
  const value = readJson(text);
  if (!value)
    return {
      ok: false,
      id: text.slice(0, 64),
      error: `${RUN_REQUEST_ANNOTATION} is not a JSON object`,
    };
  const id = str(value['id']);
  const revision = str(value['revision']);
  const ref = value['ref'];
  if (!id || !revision)
    return {
      ok: false,
      id: id ?? text.slice(0, 64),
      error: 'a request needs an id and a revision',
    };
  if (ref !== undefined && !(typeof ref === 'string' && /^refs\/(heads|tags)\/./.test(ref)))
    return {
      ok: false,
      id,
      error: `ref ${JSON.stringify(ref)} must be refs/heads/<branch> or refs/tags/<tag>`,
    };
  const by = str(value['by']);
  return {
    ok: true,
    request: { id, revision, ...(typeof ref === 'string' ? { ref } : {}), ...(by ? { by } : {}) },
  };
}

/** The ref a run by hand is for: asked for, else the revision's own, else the default branch. */
async function refFor(
  deps: TriggerDeps,
  p: Pass,
  r: RunRequest,
  resolvedRef: string | undefined,
): Promise<string> {
  if (r.ref) return r.ref;
  if (resolvedRef?.startsWith(HEADS) || resolvedRef?.startsWith(TAGS)) return resolvedRef;
  return (await deps.git.defaultBranch(p.t.spec.repoURL)) ?? '';
}

async function answer(deps: TriggerDeps, p: Pass, r: RunRequest): Promise<TriggerRequestStatus> {
  const at = p.now.toISOString();
  const url = p.t.spec.repoURL;
  const resolved = await deps.git.resolve(url, r.revision, p.credentials, true);
  const ref = await refFor(deps, p, r, resolved.ref);
  // What this commit changed: against its first parent.
  const d = await deps.git.details(url, resolved.sha, `${resolved.sha}^`);
  const s = await startRun(deps, p, {
    source: 'manual',
    ref,
    sha: resolved.sha,
    author: d.author,
    message: d.message,
    changedFiles: d.changed,
    requestId: r.id,
  });
  if (!s)
    return {
      id: r.id,
      at,
      commit: resolved.sha,
      error: p.draft.message,
      reason: p.draft.reason ?? 'RunFailed',
    };
  const run = { name: s.name, commit: resolved.sha, startedAt: at };
  p.draft.ranByHand(ref, run);
  p.draft.lastEvent = {
    source: 'manual',
    ref,
    commit: resolved.sha,
    at,
    outcome: s.existed ? 'Existing' : 'Started',
    run: s.name,
    changedFiles: d.changed,
    ...(r.by ? { message: `asked for by ${r.by}` } : {}),
  };
  return { id: r.id, at, run: s.name, commit: resolved.sha };
}

/** Answers the Trigger's request, unless it was answered before. */
export async function handleRequest(deps: TriggerDeps, p: Pass): Promise<void> {
  const parsed = parseRequest(p.t);
  if (!parsed) return;
  const id = parsed.ok ? parsed.request.id : parsed.id;
  if (p.draft.lastRequest?.id === id) return;
  const at = p.now.toISOString();
  if (!parsed.ok) {
    p.draft.lastRequest = { id, at, error: parsed.error, reason: 'InvalidRequest' };
    return;
  }
  try {
    p.draft.lastRequest = await answer(deps, p, parsed.request);
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    p.draft.lastRequest = { id, at, error: errorMessage(err), reason: err.code };
  }
}
