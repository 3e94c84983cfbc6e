/**
 * One reconcile of a Trigger, in order:
 *
 * 1. an invalid spec is InvalidSpec, and nothing else happens (a spec change comes back);
 * 2. a suspended trigger says so and does nothing (on resume, refs that moved meanwhile run);
 * 3. a request to run by hand is answered (request.ts);
 * 4. when a check is due — a push for it came in, it was just created or changed, the controller
 *    just started leading, its poll interval passed, or the last check failed — the repository is
 *    checked and new commits start runs (check.ts);
 * 5. held runs the queue allows are let go (runs.ts);
 * 6. the status is written, when it changed; the next reconcile is due at the next poll (with up
 *    to 10 % jitter), sooner after a failure (2 s doubling, at most the interval or a minute).
 *
 * When checks were made is kept in memory only: a new leader checks every trigger at once, so a
 * push that arrived while no controller ran is not lost.
 */
import type { Trigger, TriggerSource, TriggerStatus } from '../../api/trigger.ts';
import type { Kube } from '../../kube/api.ts';
import type { StatusPatcher } from '../../runtime/patcher.ts';
import { check, type Pass, type TriggerDeps } from './check.ts';
import { StatusDraft } from './draft.ts';
import { handleRequest } from './request.ts';
import { pollIntervalMs, specProblem } from './spec.ts';

/** What an event asks of a reconcile. */
export interface TriggerFlags {
  /** Check the repository now (a push came in). */
  check?: boolean;
  source?: TriggerSource;
}

/** Two events before one reconcile: a check if either asks; a webhook names the source. */
export function mergeTriggerFlags(a: TriggerFlags, b: TriggerFlags): TriggerFlags {
  const source =
    a.source === 'webhook' || b.source === 'webhook' ? 'webhook' : (b.source ?? a.source);
  return { ...(a.check || b.check ? { check: true } : {}), ...(source ? { source } : {}) };
}

export interface ReconcilerDeps extends TriggerDeps {
  patcher: StatusPatcher<TriggerStatus, Trigger>;
  now?: () => Date;
}

interface Memory {
  /** When the last successful check ended (ms). */
  checkedAt: number;
  generation: number | undefined;
}

const keyOf = (t: Trigger): string => `${t.metadata.namespace}/${t.metadata.name}`;

export class TriggerReconciler {
  private readonly deps: ReconcilerDeps;
  private readonly memory = new Map<string, Memory>();
  private readonly failures = new Map<string, number>();

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  forget(key: string): void {
    this.memory.delete(key);
    this.failures.delete(key);
  }

  async reconcile(t: Trigger, flags: TriggerFlags, kube: Kube): Promise<number | undefined> {
    const now = this.deps.now?.() ?? new Date();
    const draft = new StatusDraft(t.status);
    const problem = specProblem(t);
    if (problem) {
      draft.fail('InvalidSpec', problem);
      await this.write(kube, t, draft, now);
      return undefined;
    }
    const policy = t.spec.concurrencyPolicy ?? 'Allow';
    if (t.spec.suspend) {
      // Runs already queued still go in turn; nothing new is started.
      draft.ok(
        'Suspended',
        'suspended: pushes and polls are not acted on until spec.suspend is false',
      );
      await this.deps.runs.release(kube, t.metadata.namespace, t.metadata.name, policy);
      await this.write(kube, t, draft, now);
      return undefined;
    }
    const p: Pass = {
      t,
      kube,
      draft,
      now,
      credentials: this.deps.credentials(t.spec.repoURL),
    };
    await handleRequest(this.deps, p);
    let more = false;
    if (this.due(t, flags, now.getTime()))
      more = await check(this.deps, p, flags.source === 'webhook' ? 'webhook' : 'poll');
    await this.deps.runs.release(kube, t.metadata.namespace, t.metadata.name, policy);
    await this.write(kube, t, draft, now);
    return this.next(t, draft, more, now.getTime());
  }

  private due(t: Trigger, flags: TriggerFlags, now: number): boolean {
    const m = this.memory.get(keyOf(t));
    if (flags.check || !m || m.generation !== t.metadata.generation) return true;
    const interval = pollIntervalMs(t.spec) ?? 0;
    return interval > 0 && now >= m.checkedAt + interval;
  }

  /** When to come back; remembers the check (or its failure). */
  private next(t: Trigger, draft: StatusDraft, more: boolean, now: number): number | undefined {
    const key = keyOf(t);
    const interval = pollIntervalMs(t.spec) ?? 0;
    if (draft.failed || more) {
      // The next reconcile checks again.
      this.memory.delete(key);
      if (more) return 0;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      return Math.min(2_000 * 2 ** (n - 1), Math.max(interval, 60_000));
    }
    this.failures.delete(key);
    const m = this.memory.get(key);
    const checkedAt = draft.reason === 'Watching' ? now : (m?.checkedAt ?? now);
    if (draft.reason === 'Watching' || !m)
      this.memory.set(key, { checkedAt, generation: t.metadata.generation });
    if (interval === 0) return undefined;
    const due = checkedAt + interval - now;
    return Math.max(0, due) + Math.round(interval * 0.1 * Math.random());
  }

  private async write(kube: Kube, t: Trigger, draft: StatusDraft, now: Date): Promise<void> {
    await this.deps.patcher.patchStatus(kube, t, draft.toStatus(t.metadata.generation, now));
  }
}
