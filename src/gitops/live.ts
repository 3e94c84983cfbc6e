/**
 * Where the reconciler reads live objects from. The controller uses a watch cache (zero requests
 * in steady state); the CLI, which runs once, reads straight from the API. An AppTarget is the
 * cluster an app's objects live in (its destination): a client and the live state there.
 */
import type { InventoryEntry } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';

export interface LiveState {
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  /** Objects the cluster holds with this app's tracking id (empty when not known). */
  trackedBy(appNamespace: string, appName: string): InventoryEntry[];
}

/** Reads each object with a GET. */
export class DirectLiveState implements LiveState {
  private readonly kube: Kube;
  constructor(kube: Kube) {
    this.kube = kube;
  }

  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    return this.kube.get(apiVersion, kind, namespace, name);
  }

  trackedBy(): InventoryEntry[] {
    return [];
  }
}

/** The cluster an app deploys to: everything about its objects goes through this. */
export interface AppTarget {
  /** `in-cluster`, or the name the cluster is registered under. */
  cluster: string;
  server: string;
  kube: Kube;
  live: LiveState;
}
