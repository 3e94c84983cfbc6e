/**
 * The pod-template hash that names a Rollout's ReplicaSets (`<rollout>-<hash>`) and labels their
 * pods (`rollouts-pod-template-hash`), as Deployments and Argo Rollouts do: FNV-1a (32 bit) over
 * the template in a canonical JSON form (keys sorted), plus the collision count, encoded with
 * Kubernetes' safe alphabet (no vowels, so no words).
 */

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted at every level: the same template always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `rand.SafeEncodeString` of the decimal hash: each digit mapped into the safe alphabet. */
function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE[ch.charCodeAt(0) % SAFE.length];
  return out;
}

export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount > 0 ? `#${collisionCount}` : '');
  return safeEncode(String(fnv1a32(text)));
}
