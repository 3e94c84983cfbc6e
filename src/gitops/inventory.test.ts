/** The compact inventory: exact round trips, the old format still read, damage detected. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ApplicationStatus, InventoryEntry } from '../api/application.ts';
import {
  compactInventory,
  expandInventory,
  InventoryError,
  inventorySize,
  readInventory,
  withoutInventory,
  writeInventory,
} from './inventory.ts';

const cm = (name: string, namespace = 'shop'): InventoryEntry => ({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  namespace,
  name,
});
const key = (e: InventoryEntry): string =>
  `${e.group}/${e.version}/${e.kind}/${e.namespace ?? ''}/${e.name}`;
const asSet = (es: readonly InventoryEntry[]): string[] => es.map(key).sort();

const many = (n: number, name: (i: number) => string): InventoryEntry[] =>
  Array.from({ length: n }, (_, i) => cm(name(i)));

const cases: Array<{ name: string; entries: InventoryEntry[] }> = [
  { name: 'empty', entries: [] },
  { name: 'one object', entries: [cm('settings')] },
  {
    name: 'kinds, groups, versions, namespaces and cluster-scoped objects',
    entries: [
      cm('a'),
      cm('a', 'other'),
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      { group: 'apps', version: 'v1beta1', kind: 'Deployment', namespace: 'shop', name: 'old' },
      { group: '', version: 'v1', kind: 'Namespace', name: 'shop' },
      {
        group: 'apiextensions.k8s.io',
        version: 'v1',
        kind: 'CustomResourceDefinition',
        name: 'widgets.example.com',
      },
    ],
  },
  {
    name: 'names any string may be (RBAC colons, unicode, quotes, newlines)',
    entries: [
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', name: 'system:x' },
      cm('caf\u00e9 "quoted"\nline'),
      cm(''),
    ],
  },
  { name: 'unsorted input', entries: [cm('z'), cm('b'), cm('m'), cm('a', 'zz'), cm('a', 'aa')] },
  { name: '20,000 objects', entries: many(20_000, (i) => `cm-${String(i).padStart(5, '0')}`) },
];

describe('compact inventory', () => {
  it.each(cases)('round trip: $name', ({ entries }) => {
    const compact = compactInventory(entries);
    expect(compact.format).toBe('v1');
    expect(compact.count).toBe(entries.length);
    expect(asSet(expandInventory(compact))).toEqual(asSet(entries));
  });

  it('the same set gives the same bytes, whatever the order; duplicates count once', () => {
    const entries = cases[2]?.entries ?? [];
    const a = compactInventory(entries);
    const b = compactInventory([...entries].reverse().concat(entries));
    expect(b).toEqual(a);
  });

  it('stays small for a big app (the reason it exists)', () => {
    const plain = many(20_000, (i) => `cm-${String(i).padStart(5, '0')}`);
    const compact = compactInventory(plain);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(plain).length / 10);
    expect(JSON.stringify(compact).length).toBeLessThan(100_000);
  });

  it.each([
    { name: 'not base64 of gzip', data: 'not gzip at all', count: 1 },
    { name: 'not JSON', data: gzipSync('[[').toString('base64'), count: 1 },
    {
      name: 'not groups',
      data: gzipSync(JSON.stringify([['', 'v1', 'ConfigMap']])).toString('base64'),
      count: 1,
    },
    {
      name: 'count disagrees (cut short)',
      data: gzipSync(JSON.stringify([['', 'v1', 'ConfigMap', 'shop', ['a']]])).toString('base64'),
      count: 2,
    },
  ])('refuses damaged data: $name', ({ data, count }) => {
    expect(() => expandInventory({ format: 'v1', count, data })).toThrow(InventoryError);
  });
});

describe('inventory in the status', () => {
  const legacy: ApplicationStatus = { inventory: [cm('a'), cm('b')] };

  it.each<{ name: string; status: ApplicationStatus | undefined; want: InventoryEntry[] }>([
    { name: 'no status', status: undefined, want: [] },
    { name: 'no inventory yet', status: {}, want: [] },
    { name: 'the previous format (a plain list)', status: legacy, want: [cm('a'), cm('b')] },
    {
      name: 'the compact format',
      status: { compactInventory: compactInventory([cm('c')]) },
      want: [cm('c')],
    },
    {
      name: 'both (compact wins)',
      status: { ...legacy, compactInventory: compactInventory([cm('c')]) },
      want: [cm('c')],
    },
  ])('reads $name', ({ status, want }) => {
    expect(asSet(readInventory(status))).toEqual(asSet(want));
    expect(inventorySize(status)).toBe(want.length);
  });

  it('a write migrates: the old list goes, the compact form holds the same set', () => {
    const status = structuredClone(legacy);
    writeInventory(status, readInventory(status));
    expect(status.inventory).toBeUndefined();
    expect(asSet(readInventory(status))).toEqual(asSet(legacy.inventory ?? []));
  });

  it('an empty inventory is no field at all; withoutInventory drops both forms', () => {
    const status: ApplicationStatus = { ...legacy, compactInventory: compactInventory([cm('x')]) };
    writeInventory(status, []);
    expect(status).toEqual({});
    const both = { ...legacy, compactInventory: compactInventory([cm('x')]), reconciledAt: 't' };
    expect(withoutInventory(both)).toEqual({ reconciledAt: 't' });
  });
});
