/**
 * Safe readers for unknown JSON. Live objects come from the API server but may be malformed
 * (wrong types, missing blocks); these never throw and fall back to "absent", so each kind's
 * check narrows its fields once into a small typed shape and reasons about plain values.
 */
import { isRecord } from '../kube/types.ts';
import type { Condition, KubeObject } from '../kube/types.ts';
import type { HealthResult } from './types.ts';

export type Json = Record<string, unknown>;

const EMPTY: Json = Object.freeze({});

/** `v` if it is a JSON object, otherwise an empty one. */
export function rec(v: unknown): Json {
  return isRecord(v) ? v : EMPTY;
}

/** A finite number, or undefined (numbers sent as strings are treated as absent). */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The elements of `v` if it is an array, otherwise none. */
export function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The well-formed entries of a `conditions` array; entries without type or status are dropped. */
export function conditionsOf(v: unknown): Condition[] {
  const out: Condition[] = [];
  for (const item of list(v)) {
    const c = rec(item);
    const type = str(c['type']);
    const status = str(c['status']);
    if (type === undefined || status === undefined) continue;
    const cond: Condition = { type, status };
    const reason = str(c['reason']);
    const message = str(c['message']);
    if (reason !== undefined) cond.reason = reason;
    if (message !== undefined) cond.message = message;
    out.push(cond);
  }
  return out;
}

/** The first condition of `type` in `conds`. */
export function findCondition(conds: readonly Condition[], type: string): Condition | undefined {
  return conds.find((c) => c.type === type);
}

/** `obj.metadata` as JSON; safe even when a malformed object has none. */
export function meta(obj: KubeObject): Json {
  return rec(obj.metadata);
}

/** `obj.status.conditions`, narrowed. */
export function statusConditions(obj: KubeObject): Condition[] {
  return conditionsOf(rec(obj['status'])['conditions']);
}

/**
 * Progressing when the controller has not yet seen the latest spec. For built-in workloads a
 * missing `status.observedGeneration` counts as 0, as `kubectl rollout status` does.
 */
export function generationNotObserved(obj: KubeObject): HealthResult | undefined {
  const desired = num(meta(obj)['generation']) ?? 0;
  const observed = num(rec(obj['status'])['observedGeneration']) ?? 0;
  if (observed >= desired) return undefined;
  return {
    status: 'Progressing',
    message: `waiting for rollout: observed generation ${observed} < desired ${desired}`,
  };
}

/** A result whose message is left out when empty (`exactOptionalPropertyTypes`-friendly). */
export function result(status: HealthResult['status'], message?: string): HealthResult {
  return message ? { status, message } : { status };
}

/** `reason: message`, either part optional. */
export function describeCondition(c: Condition): string {
  return [c.reason, c.message].filter((s) => s).join(': ');
}
