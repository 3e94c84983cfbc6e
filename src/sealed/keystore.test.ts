import { describe, expect, it } from 'vitest';
import type { SealingCertificate } from './keys.ts';
import { DEFAULT_RENEW_MS, renewalDueAt } from './keystore.ts';

const DAY = 86_400_000;
const cert = (start: string, days: number): SealingCertificate => {
  const notBefore = new Date(start);
  return {
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY),
    fingerprint: 'SHA256:x',
    certificatePem: '',
    publicKey: undefined as never,
  };
};

describe('renewalDueAt', () => {
  const start = '2026-01-01T00:00:00Z';
  it.each<[string, SealingCertificate | undefined, number, number]>([
    ['no key: at once', undefined, DEFAULT_RENEW_MS, 0],
    [
      '30 days after the newest key',
      cert(start, 3650),
      DEFAULT_RENEW_MS,
      Date.parse(start) + 30 * DAY,
    ],
    [
      'renewal off: a day before the certificate ends',
      cert(start, 3650),
      0,
      Date.parse(start) + 3649 * DAY,
    ],
    [
      'a short certificate: before it ends, not after 30 days',
      cert(start, 10),
      DEFAULT_RENEW_MS,
      Date.parse(start) + 9 * DAY,
    ],
  ])('%s', (_n, newest, every, due) => {
    expect(renewalDueAt(newest, every)).toBe(due);
  });
});
