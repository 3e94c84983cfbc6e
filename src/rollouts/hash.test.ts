import { describe, expect, it } from 'vitest';
import { canonicalJson, podTemplateHash } from './hash.ts';

describe('pod-template hash', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'a:1' }] },
  };

  it('ignores key order, and changes with the template and the collision count', () => {
    const reordered = {
      spec: { containers: [{ image: 'a:1', name: 'web' }] },
      metadata: { labels: { app: 'web' } },
    };
    expect(podTemplateHash(reordered)).toBe(podTemplateHash(template));
    const other = { ...template, spec: { containers: [{ name: 'web', image: 'a:2' }] } };
    expect(podTemplateHash(other)).not.toBe(podTemplateHash(template));
    expect(podTemplateHash(template, 1)).not.toBe(podTemplateHash(template));
  });

  it('is a valid label value made of the safe alphabet', () => {
    expect(podTemplateHash(template)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('canonical JSON drops undefined fields and sorts keys', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } })).toBe(
      '{"a":{"c":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});
