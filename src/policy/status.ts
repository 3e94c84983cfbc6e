/**
 * A policy's status (pure): compiled, it is Ready=True with its rule counts (rules the engine
 * reports as unsupported named in the message); not compiled (a mistake that slipped past
 * admission: the webhook was down, or the policy predates it), Ready=False with reason
 * `PolicyInvalid` and the compiler's message naming the rule and the path.
 */
import type { PolicyCondition, PolicyStatus } from '../api/policy.ts';
import { errorMessage } from '../errors.ts';
import type { CompiledPolicy } from './compile.ts';

export type CompileOutcome = { ok: true; policy: CompiledPolicy } | { ok: false; error: unknown };

/** The status the policy should have after compiling; `lastTransitionTime` moves on flips only. */
export function policyStatus(
  outcome: CompileOutcome,
  generation: number | undefined,
  previous: PolicyStatus | undefined,
  now: Date,
): PolicyStatus {
  let condition: PolicyCondition;
  let rulecount: PolicyStatus['rulecount'];
  if (outcome.ok) {
    const rules = outcome.policy.rules;
    const unsupported = rules.filter((r) => r.unsupported !== undefined);
    rulecount = { validate: rules.length - unsupported.length, unsupported: unsupported.length };
    condition = {
      type: 'Ready',
      status: 'True',
      reason: 'Succeeded',
      message:
        `${rulecount.validate} rule(s) checked at admission and in GitOps syncs` +
        (unsupported.length > 0
          ? `; skipped: ${unsupported.map((r) => `${r.name} (${r.unsupported ?? ''})`).join(', ')}`
          : ''),
    };
  } else {
    condition = {
      type: 'Ready',
      status: 'False',
      reason: 'PolicyInvalid',
      message: errorMessage(outcome.error),
    };
  }
  const old = previous?.conditions?.find((c) => c.type === 'Ready');
  const since =
    old !== undefined && old.status === condition.status && old.lastTransitionTime !== undefined
      ? old.lastTransitionTime
      : now.toISOString();
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [
      {
        ...condition,
        lastTransitionTime: since,
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      },
    ],
    ...(rulecount !== undefined ? { rulecount } : {}),
  };
}

/** Whether two statuses say the same (times aside): the controller writes only changes. */
export function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  const strip = (s: PolicyStatus | undefined): string =>
    JSON.stringify({
      ...s,
      conditions: s?.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })),
    });
  return strip(a) === strip(b);
}
