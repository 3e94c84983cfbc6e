import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { keepKnownManagers, managedPointers, wholeFields } from './managers.ts';

describe('wholeFields', () => {
  it.each<[string, object, string[]]>([
    ['a scalar', { 'f:spec': { 'f:replicas': {} } }, ['/spec/replicas']],
    ['an atomic map or list is one field', { 'f:spec': { 'f:selector': {} } }, ['/spec/selector']],
    [
      'the keys of a granular map, not the map',
      { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:a/b~c': {} } } },
      ['/metadata/labels/app', '/metadata/labels/a~1b~0c'],
    ],
    [
      'items of a keyed list cannot be named by a pointer: left out',
      { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } },
      [],
    ],
  ])('%s', (_name, fields, want) => {
    expect(wholeFields(fields)).toEqual(want);
  });
});

const obj: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    managedFields: [
      { manager: 'sluice', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:ports': {} } } },
      {
        manager: 'sluice-rollouts',
        operation: 'Update',
        fieldsV1: { 'f:spec': { 'f:selector': {} } },
      },
      {
        manager: 'sluice-rollouts',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': { 'f:phase': {} } },
      },
    ],
  },
};

describe('managedPointers', () => {
  it('names what a manager owns in the object, not in its status', () => {
    expect(managedPointers(obj, 'sluice-rollouts')).toEqual(['/spec/selector']);
    expect(managedPointers(obj, 'kubectl')).toEqual([]);
    expect(managedPointers(undefined, 'sluice-rollouts')).toEqual([]);
  });
});

describe('keepKnownManagers', () => {
  it('keeps only the Rollout controller’s and the CLI’s entries', () => {
    const kept = keepKnownManagers(obj);
    expect(kept.metadata.managedFields?.map((e) => (e as { manager: string }).manager)).toEqual([
      'sluice-rollouts',
      'sluice-rollouts',
    ]);
    expect(obj.metadata.managedFields).toHaveLength(3); // the input is not changed
  });

  it('drops managedFields when no entry is kept', () => {
    const plain = { ...obj, metadata: { name: 'x', managedFields: [{ manager: 'sluice' }] } };
    expect(keepKnownManagers(plain).metadata).toEqual({ name: 'x' });
    const none = { ...obj, metadata: { name: 'x' } };
    expect(keepKnownManagers(none)).toBe(none);
  });
});
