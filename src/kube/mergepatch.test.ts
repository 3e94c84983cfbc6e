import { describe, expect, it } from 'vitest';
import { createMergePatch } from './mergepatch.ts';

describe('createMergePatch', () => {
  it('nulls removed keys, recurses into objects, replaces arrays', () => {
    const from = {
      health: { status: 'Progressing', message: 'waiting' },
      list: [1, 2],
      same: { a: 1 },
      gone: 1,
    };
    const to = { health: { status: 'Healthy' }, list: [1], same: { a: 1 }, added: 'x' };
    expect(createMergePatch(from, to)).toEqual({
      gone: null,
      health: { status: 'Healthy', message: null },
      list: [1],
      added: 'x',
    });
  });

  it('is empty when nothing changed', () => {
    expect(createMergePatch({ a: { b: [1] } }, { a: { b: [1] } })).toEqual({});
  });
});
