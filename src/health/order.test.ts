import { describe, expect, it } from 'vitest';
import { worstHealth } from './index.ts';

describe('worstHealth', () => {
  it('is Healthy for nothing', () => {
    expect(worstHealth([])).toBe('Healthy');
  });

  it("follows Argo CD's order: Healthy < Suspended < Progressing < Missing < Degraded < Unknown", () => {
    const order = [
      'Healthy',
      'Suspended',
      'Progressing',
      'Missing',
      'Degraded',
      'Unknown',
    ] as const;
    order.forEach((status, i) => {
      expect(worstHealth(order.slice(0, i + 1))).toBe(status);
      expect(worstHealth([...order.slice(0, i + 1)].reverse())).toBe(status);
    });
  });

  it('picks the worst of a mix', () => {
    expect(worstHealth(['Healthy', 'Progressing', 'Suspended', 'Healthy'])).toBe('Progressing');
    expect(worstHealth(['Missing', 'Healthy'])).toBe('Missing');
    expect(worstHealth(['Degraded', 'Missing', 'Progressing'])).toBe('Degraded');
  });
});
