/**
 * Reading a Trigger's spec (pure): what is wrong with it (InvalidSpec, checked before anything
 * is fetched or started), its poll interval, and its Ready condition.
 */
import type { RunCondition } from '../../api/pipeline.ts';
import type { Trigger, TriggerReason, TriggerSpec } from '../../api/trigger.ts';
import { errorMessage } from '../../errors.ts';
import { parseDuration } from '../../gitops/duration.ts';
import { normalizeRepoURL } from '../../source/index.ts';
import { checkGlobs } from './glob.ts';
import { unknownVariables } from './template.ts';

export const DEFAULT_POLL_MS = 180_000;
/** Checks closer together than this are refused (a typo should not hammer a Git server). */
export const MIN_POLL_MS = 1_000;

/** The poll interval in ms (0: webhook only); undefined when it does not parse. */
export function pollIntervalMs(spec: Pick<TriggerSpec, 'pollInterval'>): number | undefined {
  const text = spec.pollInterval?.trim();
  if (text === undefined || text === '') return DEFAULT_POLL_MS;
  if (/^0+(ms|s|m|h)?$/.test(text)) return 0;
  const ms = parseDuration(text, -1);
  return ms < 0 ? undefined : ms;
}

function globProblem(spec: TriggerSpec): string | undefined {
  for (const field of ['branches', 'tags', 'paths', 'pathsIgnore'] as const) {
    try {
      checkGlobs(spec[field] ?? []);
    } catch (err) {
      return `spec.${field}: ${errorMessage(err)}`;
    }
  }
  return undefined;
}

/** What makes the Trigger unusable, or undefined. Messages name the field. */
export function specProblem(t: Trigger): string | undefined {
  if (t.metadata.name.length > 63)
    return 'the name is longer than 63 characters: it could not label its runs';
  try {
    normalizeRepoURL(t.spec.repoURL);
  } catch (err) {
    return `spec.repoURL: ${errorMessage(err)}`;
  }
  const globs = globProblem(t.spec);
  if (globs) return globs;
  const poll = pollIntervalMs(t.spec);
  if (poll === undefined)
    return `spec.pollInterval "${t.spec.pollInterval ?? ''}": use a duration such as 30s, 5m or 1h (0: webhook only)`;
  if (poll > 0 && poll < MIN_POLL_MS) return 'spec.pollInterval: at least 1s (0: webhook only)';
  const run = t.spec.template.spec;
  if (!run.pipelineRef && !run.pipelineSpec)
    return 'spec.template.spec: name a Pipeline (pipelineRef) or embed one (pipelineSpec)';
  const unknown = unknownVariables(t);
  if (unknown.length > 0)
    return `spec.template: unknown variable ${unknown.map((u) => `$(${u})`).join(', ')} (see \`sluice trigger --help\`)`;
  return undefined;
}

/** Ready=True for these reasons; every other reason is Ready=False. */
const READY: ReadonlySet<TriggerReason> = new Set(['Watching', 'Suspended']);

/** The Ready condition; lastTransitionTime kept while status and reason stay. */
export function readyCondition(
  previous: readonly RunCondition[] | undefined,
  reason: TriggerReason,
  message: string,
  now: Date,
): RunCondition {
  const status = READY.has(reason) ? 'True' : 'False';
  const old = previous?.find((c) => c.type === 'Ready');
  const same = old?.status === status && old.reason === reason;
  return {
    type: 'Ready',
    status,
    reason,
    message,
    lastTransitionTime: same ? (old.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
}
