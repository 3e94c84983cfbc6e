/**
 * What the Promotion controller writes in a Promotion's status besides the plan (pure): a step
 * after its commit (`Deploying`, with the commit), and the `Ready` condition — False when a
 * step is Rejected or Failed or a write failed, True with `Promoted` once every step is.
 */
import type { EnvironmentStatus, Promotion, PromotionStatus } from '../../api/promotion.ts';
import { shortVersion } from './imageref.ts';
import type { Write } from './plan.ts';
import type { WriteResult } from './controller.ts';

/** The step after its write: Deploying, with the commit (and the pull request asking to merge it). */
export function deploying(
  envs: EnvironmentStatus[],
  w: Write,
  written: WriteResult,
): EnvironmentStatus {
  const e = envs.find((x) => x.name === w.environment)!;
  const { commit, pullRequest: pr } = written;
  const message = pr
    ? `pull request #${pr.number} asks to merge ${commit ? commit.slice(0, 12) : 'it'} (${pr.url}); ${w.environment} gets it once it is merged`
    : commit
      ? `committed ${commit.slice(0, 12)}; waiting for ${w.environment} to sync`
      : `${w.environment}'s manifests already had it`;
  return {
    ...e,
    candidate: {
      ...e.candidate!,
      phase: 'Deploying',
      message,
      since: new Date().toISOString(),
      ...(commit ? { commit } : {}),
      ...(pr ? { pullRequest: pr } : {}),
    },
  };
}

type Condition = NonNullable<PromotionStatus['conditions']>[number];

/** The previous transition time while the condition's status and reason stay. */
export function keepTransitionTime(c: Condition, p: Promotion): Condition {
  const old = p.status?.conditions?.find((x) => x.type === c.type);
  return old && old.status === c.status && old.reason === c.reason && old.lastTransitionTime
    ? { ...c, lastTransitionTime: old.lastTransitionTime }
    : c;
}

export function readyCondition(
  p: Promotion,
  envs: readonly EnvironmentStatus[],
  failure: string | undefined,
  now: string,
): Condition {
  const stopped = envs.find(
    (e) => e.candidate?.phase === 'Failed' || e.candidate?.phase === 'Rejected',
  );
  const base = { type: 'Ready', lastTransitionTime: now } as const;
  if (failure)
    return { ...base, status: 'False' as const, reason: 'WriteFailed', message: failure };
  if (stopped)
    return {
      ...base,
      status: 'False',
      reason: `Promotion${stopped.candidate!.phase}`,
      message: `${stopped.name}: ${stopped.candidate!.message ?? ''}`,
    };
  const last = envs.at(-1);
  const done =
    p.spec.environments.length > 1 &&
    envs.every((e, i) => i === 0 || e.candidate?.phase === 'Promoted' || !e.candidate);
  return {
    ...base,
    status: 'True',
    reason: done ? 'Promoted' : 'Progressing',
    message: last?.current
      ? `${last.name} runs ${shortVersion(last.current.version)}`
      : 'waiting for the first version',
  };
}
