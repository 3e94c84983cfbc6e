import { describe, expect, it } from 'vitest';
import { presenceFromLease, type Lease } from './presence.ts';

const now = Date.parse('2026-01-01T00:01:00Z');
const lease = (spec: Lease['spec']): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'sluice-controller', namespace: 'sluice-system' },
  ...(spec ? { spec } : {}),
});

describe('presenceFromLease: does a controller hold the Lease?', () => {
  it.each<[string, Lease | undefined, boolean, string]>([
    ['no Lease at all', undefined, false, 'does not exist'],
    [
      'released on a graceful stop',
      lease({ holderIdentity: '', renewTime: '1970-01-01T00:00:00.000000Z' }),
      false,
      'released',
    ],
    [
      'not renewed for longer than its duration',
      lease({ holderIdentity: 'h-1', renewTime: '2026-01-01T00:00:30Z', leaseDurationSeconds: 15 }),
      false,
      'h-1 last renewed it 30s ago',
    ],
    [
      'renewed 5s ago, 15s duration',
      lease({ holderIdentity: 'h-1', renewTime: '2026-01-01T00:00:55Z', leaseDurationSeconds: 15 }),
      true,
      'h-1',
    ],
    ['held but never renewed', lease({ holderIdentity: 'h-1' }), false, 'never renewed'],
  ])('%s', (_case, l, running, text) => {
    const p = presenceFromLease(l, now);
    expect(p.running).toBe(running);
    expect(p.running ? p.holder : p.why).toContain(text);
  });
});
