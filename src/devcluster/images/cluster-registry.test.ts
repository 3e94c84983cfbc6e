import { describe, expect, it } from 'vitest';
import { registryFromState } from './cluster-registry.ts';

describe('registryFromState', () => {
  it.each([
    [{ name: 'sluice', registry: '198.18.0.2:5000' }, '198.18.0.2:5000'],
    [{ registry: { address: '127.0.0.1:5001', pid: 12 } }, '127.0.0.1:5001'],
    [{ name: 'sluice' }, undefined],
    [{ registry: '' }, undefined],
    [{ registry: { port: 5000 } }, undefined],
    [null, undefined],
    ['text', undefined],
  ])('%j → %s', (state, want) => {
    expect(registryFromState(state)).toBe(want);
  });
});
