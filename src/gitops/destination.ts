/**
 * The engine's side of destinations (the clusters themselves are src/runtime/clusters.ts):
 *
 * - `status.sync.comparedTo.destination` records the cluster an app was last compared with,
 *   resolved (`name`, `server`); its inventory lives there.
 * - **A move** (spec.destination now resolves to another cluster while the inventory is not
 *   empty): nothing is pruned on the old cluster — as in Argo CD, the objects there are left in
 *   place — but not silently: a Warning event `DestinationChanged` names the old cluster and
 *   what was left on it. The app starts on the new cluster with an empty inventory, so nothing
 *   is ever deleted on one cluster because it was listed in an inventory made on another.
 * - **A destination that cannot be used** becomes a condition: `InvalidDestination` (unknown,
 *   conflicting or unusable cluster; Stalled until a cluster Secret changes) or
 *   `ClusterUnreachable` (retried). Nothing of the app is applied anywhere meanwhile.
 */
import { IN_CLUSTER_NAME } from '../api/cluster.ts';
import type { Application, ApplicationStatus, InventoryEntry } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import { formatRef } from '../kube/types.ts';
import { DestinationError } from '../runtime/destination.ts';
import { ComparisonError } from './compare.ts';
import { inventorySize, readInventory, writeInventory } from './inventory.ts';
import type { AppTarget } from './live.ts';

export interface ComparedDestination {
  name?: string;
  server?: string;
  namespace?: string;
}

/** What `comparedTo.destination` says for an app compared on `target`. */
export function comparedDestination(
  app: Application,
  target: Pick<AppTarget, 'cluster' | 'server'>,
): ComparedDestination {
  const ns = app.spec.destination.namespace;
  return { name: target.cluster, server: target.server, ...(ns ? { namespace: ns } : {}) };
}

export interface Move {
  from: string;
  to: string;
  /** What the app applied on the old cluster, left there. */
  left: InventoryEntry[];
}

/**
 * Whether the app's inventory is on another cluster than `target`. A status written before
 * destinations were honoured has no comparedTo.destination: those apps deployed locally.
 */
export function detectMove(app: Application, target: Pick<AppTarget, 'cluster'>): Move | undefined {
  if (inventorySize(app.status) === 0) return undefined;
  const from = app.status?.sync?.comparedTo?.destination?.name ?? IN_CLUSTER_NAME;
  if (from === target.cluster) return undefined;
  return { from, to: target.cluster, left: readableInventory(app) };
}

/** What the inventory names; one that cannot be read names nothing (only an event uses it). */
function readableInventory(app: Application): InventoryEntry[] {
  try {
    return readInventory(app.status);
  } catch {
    return [];
  }
}

/** Records a move in the status to be written: the inventory starts empty on the new cluster. */
export function recordMove(
  status: ApplicationStatus,
  app: Application,
  target: Pick<AppTarget, 'cluster' | 'server'>,
): void {
  writeInventory(status, []);
  status.sync = {
    ...(status.sync ?? { status: 'Unknown' }),
    comparedTo: {
      source: status.sync?.comparedTo?.source ?? app.spec.source,
      destination: comparedDestination(app, target),
    },
  };
}

/** The Warning event's message. */
export function moveMessage(move: Move): string {
  const shown = move.left.slice(0, 10).map((e) =>
    formatRef({
      group: e.group,
      kind: e.kind,
      namespace: e.namespace ?? '',
      name: e.name,
    }),
  );
  const more =
    move.left.length > shown.length ? `, and ${move.left.length - shown.length} more` : '';
  return `moved from cluster "${move.from}" to "${move.to}": the ${move.left.length} object(s) it applied on "${move.from}" are left there, not pruned (${shown.join(', ')}${more}); delete them there if they should go`;
}

/** A destination that cannot be used, as the comparison error the reconciler reports. */
export function targetFailure(err: unknown): ComparisonError {
  if (err instanceof DestinationError)
    return new ComparisonError('InvalidDestination', errorMessage(err), true, err);
  // ClusterUnavailableError, or a connection that could not be made: retried.
  return new ComparisonError('ClusterUnreachable', errorMessage(err), false, err);
}
