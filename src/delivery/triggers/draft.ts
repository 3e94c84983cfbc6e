/**
 * The status a reconcile builds up (pure): the last commit handled per ref (with the last run
 * started on it), the last event, the last hand-made request, and the Ready condition. Written
 * once at the end of the reconcile by the StatusPatcher, only when it changed — a poll that finds
 * nothing new writes nothing.
 */
import type {
  TriggerEvent,
  TriggerOutcome,
  TriggerReason,
  TriggerRefStatus,
  TriggerRequestStatus,
  TriggerStatus,
} from '../../api/trigger.ts';
import { readyCondition } from './spec.ts';

export interface RunRef {
  name: string;
  commit: string;
  startedAt: string;
}

export class StatusDraft {
  readonly refs: Map<string, TriggerRefStatus>;
  repository: string | undefined;
  filters: string | undefined;
  lastEvent: TriggerEvent | undefined;
  lastRequest: TriggerRequestStatus | undefined;
  /** Set by this reconcile; unset: the condition stays as it was. */
  reason: TriggerReason | undefined;
  message = '';
  private readonly previous: TriggerStatus | undefined;

  constructor(status: TriggerStatus | undefined) {
    this.previous = status;
    this.refs = new Map((status?.refs ?? []).map((r) => [r.ref, r]));
    this.repository = status?.repository;
    this.filters = status?.filters;
    this.lastEvent = status?.lastEvent;
    this.lastRequest = status?.lastRequest;
  }

  /** This reconcile failed: the first failure is the one shown. */
  get failed(): boolean {
    return this.reason !== undefined && this.reason !== 'Watching' && this.reason !== 'Suspended';
  }

  fail(reason: TriggerReason, message: string): void {
    if (this.failed) return;
    this.reason = reason;
    this.message = message;
  }

  /** All is well (Watching, Suspended), unless this reconcile already failed. */
  ok(reason: 'Watching' | 'Suspended', message: string): void {
    if (this.failed) return;
    this.reason = reason;
    this.message = message;
  }

  /** Records `commit` as handled on `ref` (and the run it started, if any). */
  handled(ref: string, commit: string, outcome: TriggerOutcome, at: Date, run?: RunRef): void {
    const old = this.refs.get(ref);
    const lastRun = run ?? old?.lastRun;
    this.refs.set(ref, {
      ref,
      commit,
      handledAt: at.toISOString(),
      outcome,
      ...(lastRun ? { lastRun } : {}),
    });
  }

  /** A run started by hand on a watched ref: it is that ref's last run; its commit stays. */
  ranByHand(ref: string, run: RunRef): void {
    const old = this.refs.get(ref);
    if (old) this.refs.set(ref, { ...old, lastRun: run });
  }

  forget(ref: string): void {
    this.refs.delete(ref);
  }

  /** Forget every ref (another repository). */
  reset(): void {
    this.refs.clear();
  }

  private conditions(now: Date): NonNullable<TriggerStatus['conditions']> {
    const old = this.previous?.conditions;
    if (this.reason !== undefined) return [readyCondition(old, this.reason, this.message, now)];
    return old ?? [readyCondition(undefined, 'Watching', '', now)];
  }

  toStatus(generation: number | undefined, now: Date): TriggerStatus {
    const refs = [...this.refs.values()].sort((a, b) =>
      a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0,
    );
    return {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: this.conditions(now),
      ...(this.repository !== undefined ? { repository: this.repository } : {}),
      ...(this.filters !== undefined ? { filters: this.filters } : {}),
      ...(this.repository !== undefined ? { refs } : {}),
      ...(this.lastEvent ? { lastEvent: this.lastEvent } : {}),
      ...(this.lastRequest ? { lastRequest: this.lastRequest } : {}),
    };
  }
}
