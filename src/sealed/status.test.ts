import { describe, expect, it } from 'vitest';
import type { SealedSecret } from '../api/sealedsecret.ts';
import { syncedStatus } from './status.ts';

const t0 = new Date('2026-03-01T00:00:00Z');
const t1 = new Date('2026-03-01T00:05:00Z');

function ss(status?: SealedSecret['status']): SealedSecret {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: 'db', namespace: 'shop', generation: 3 },
    spec: { encryptedData: {} },
    ...(status ? { status } : {}),
  };
}

describe('syncedStatus', () => {
  it('sets Synced with the reason as data and the generation', () => {
    const s = syncedStatus(ss(), { ok: false, reason: 'BlobCorrupt', message: 'm' }, t0);
    expect(s).toEqual({
      observedGeneration: 3,
      conditions: [
        {
          type: 'Synced',
          status: 'False',
          reason: 'BlobCorrupt',
          message: 'm',
          lastUpdateTime: t0.toISOString(),
          lastTransitionTime: t0.toISOString(),
        },
      ],
    });
  });

  it('keeps the condition (and its times) when nothing changed: no write for a settled object', () => {
    const first = syncedStatus(ss(), { ok: true, reason: 'Unsealed', message: 'ok' }, t0);
    const again = syncedStatus(ss(first), { ok: true, reason: 'Unsealed', message: 'ok' }, t1);
    expect(again).toEqual(first);
  });

  it('moves lastTransitionTime only when the status flips', () => {
    const a = syncedStatus(ss(), { ok: false, reason: 'NoKeys', message: 'x' }, t0);
    const b = syncedStatus(ss(a), { ok: false, reason: 'BlobCorrupt', message: 'y' }, t1);
    expect(b.conditions?.[0]?.lastTransitionTime).toBe(t0.toISOString());
    expect(b.conditions?.[0]?.lastUpdateTime).toBe(t1.toISOString());
    const c = syncedStatus(ss(b), { ok: true, reason: 'Unsealed', message: 'z' }, t1);
    expect(c.conditions?.[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});
