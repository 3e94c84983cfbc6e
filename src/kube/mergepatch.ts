/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: changed keys carry their new
 * value, removed keys carry null, arrays are replaced whole. Sending a plain object as a merge
 * patch would leave removed keys behind; this does not.
 */
import { isRecord } from './types.ts';

export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isRecord(from) || !isRecord(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[key];
    if (JSON.stringify(old) === JSON.stringify(value)) continue;
    patch[key] = isRecord(old) && isRecord(value) ? createMergePatch(old, value) : value;
  }
  return patch;
}
