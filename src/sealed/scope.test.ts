import { describe, expect, it } from 'vitest';
import {
  CLUSTER_WIDE_ANNOTATION,
  labelText,
  NAMESPACE_WIDE_ANNOTATION,
  scopeOf,
  withScopeAnnotations,
  type Scope,
} from './scope.ts';

describe('scopes', () => {
  it.each<[string, Record<string, string> | undefined, Scope]>([
    ['no annotations', undefined, 'strict'],
    ['namespace-wide', { [NAMESPACE_WIDE_ANNOTATION]: 'true' }, 'namespace-wide'],
    ['cluster-wide', { [CLUSTER_WIDE_ANNOTATION]: 'true' }, 'cluster-wide'],
    [
      'both: cluster-wide wins',
      { [CLUSTER_WIDE_ANNOTATION]: 'true', [NAMESPACE_WIDE_ANNOTATION]: 'true' },
      'cluster-wide',
    ],
    ['"false" is not true', { [CLUSTER_WIDE_ANNOTATION]: 'false' }, 'strict'],
  ])('%s', (_n, annotations, scope) => {
    expect(scopeOf(annotations)).toBe(scope);
  });

  it.each<[Scope, string]>([
    ['strict', 'shop/db'],
    ['namespace-wide', 'shop'],
    ['cluster-wide', ''],
  ])('the %s label is "%s"', (scope, label) => {
    expect(labelText(scope, 'shop', 'db')).toBe(label);
  });

  it('sets exactly the annotation of the scope, keeping the others', () => {
    const before = { a: 'b', [NAMESPACE_WIDE_ANNOTATION]: 'true' };
    expect(withScopeAnnotations(before, 'cluster-wide')).toEqual({
      a: 'b',
      [CLUSTER_WIDE_ANNOTATION]: 'true',
    });
    expect(withScopeAnnotations(before, 'strict')).toEqual({ a: 'b' });
  });
});
