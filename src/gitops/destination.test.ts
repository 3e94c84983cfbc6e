import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus, InventoryEntry } from '../api/application.ts';
import { DestinationError, ClusterUnavailableError } from '../runtime/destination.ts';
import { detectMove, moveMessage, recordMove, targetFailure } from './destination.ts';
import { compactInventory, readInventory } from './inventory.ts';

const cm = (name: string): InventoryEntry => ({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  namespace: 'shop',
  name,
});

function app(status?: ApplicationStatus): Application {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'apps' },
    spec: {
      source: { repoURL: 'https://git.example.com/r.git', path: 'web' },
      destination: { name: 'b', namespace: 'shop' },
    },
    ...(status ? { status } : {}),
  };
}

const onCluster = (name: string | undefined, inventory: InventoryEntry[]): ApplicationStatus => ({
  inventory,
  sync: {
    status: 'Synced',
    comparedTo: {
      source: { repoURL: 'https://git.example.com/r.git' },
      ...(name ? { destination: { name } } : {}),
    },
  },
});

describe('detectMove', () => {
  it.each<[string, ApplicationStatus | undefined, string, string | undefined]>([
    ['a new app', undefined, 'b', undefined],
    ['same cluster', onCluster('b', [cm('x')]), 'b', undefined],
    ['another cluster', onCluster('a', [cm('x')]), 'b', 'a'],
    ['another cluster, nothing applied there', onCluster('a', []), 'b', undefined],
    [
      'another cluster, compact inventory',
      { ...onCluster('a', []), compactInventory: compactInventory([cm('x')]) },
      'b',
      'a',
    ],
    [
      'status from before destinations: it was local',
      onCluster(undefined, [cm('x')]),
      'b',
      'in-cluster',
    ],
    [
      'status from before destinations, still local',
      onCluster(undefined, [cm('x')]),
      'in-cluster',
      undefined,
    ],
  ])('%s', (_, status, cluster, from) => {
    expect(detectMove(app(status), { cluster })?.from).toBe(from);
  });
});

describe('recordMove', () => {
  it('empties the inventory and records the new cluster, keeping the rest of sync', () => {
    const status = onCluster('a', [cm('x')]);
    recordMove(status, app(status), { cluster: 'b', server: 'https://b:6443' });
    expect(status.inventory).toBeUndefined();
    expect(readInventory(status)).toEqual([]);
    expect(status.sync).toEqual({
      status: 'Synced',
      comparedTo: {
        source: { repoURL: 'https://git.example.com/r.git' },
        destination: { name: 'b', server: 'https://b:6443', namespace: 'shop' },
      },
    });
  });
});

describe('moveMessage', () => {
  it('names both clusters and what was left, ten at most', () => {
    const left = Array.from({ length: 12 }, (_, i) => cm(`c${i}`));
    const msg = moveMessage({ from: 'a', to: 'b', left });
    expect(msg).toContain('moved from cluster "a" to "b"');
    expect(msg).toContain('the 12 object(s) it applied on "a" are left there');
    expect(msg).toContain('ConfigMap/shop/c9, and 2 more');
    expect(msg).not.toContain('c10');
  });
});

describe('targetFailure', () => {
  it('an invalid destination is terminal (Stalled until a Secret changes)', () => {
    const e = targetFailure(
      new DestinationError('unknown', 'b', 'Application apps/web: nope', 'add it'),
    );
    expect(e.reason).toBe('InvalidDestination');
    expect(e.terminal).toBe(true);
    expect(e.message).toContain('hint: add it');
  });

  it('an unreachable cluster is retried', () => {
    const e = targetFailure(
      new ClusterUnavailableError(
        'Application apps/web',
        'b',
        'https://b',
        new Error('ECONNREFUSED'),
      ),
    );
    expect(e.reason).toBe('ClusterUnreachable');
    expect(e.terminal).toBe(false);
    expect(e.message).toContain('cluster "b" (https://b) is unreachable: ECONNREFUSED');
  });
});
