/**
 * Application events, read off `status.operationState` and `status.health`:
 *
 * - `sync-succeeded` / `sync-failed`: the last operation ended Succeeded, or Failed/Error. Key:
 *   the operation's `startedAt` (one per operation); time: its `finishedAt`.
 * - `health-degraded`: health is Degraded. A state, not an occurrence: notified once while it
 *   lasts (rearm), again after the app was seen not Degraded. Time: when the Ready condition last
 *   turned False, else now.
 *
 * Environment: the label `sluice.dev/environment`, else the destination namespace.
 */
import {
  API_VERSION,
  KIND,
  type Application,
  type ApplicationStatus,
} from '../../../api/application.ts';
import { environmentOf, timeOr } from '../context.ts';
import { defineSource } from '../source.ts';
import type { Detection } from '../types.ts';

type OperationState = NonNullable<ApplicationStatus['operationState']>;

const FAILED_PHASES: ReadonlySet<string> = new Set(['Failed', 'Error']);

/** How many objects the sync created, changed or pruned. */
function changedCount(op: OperationState): number {
  const c = op.syncResult?.counts ?? {};
  return (c.created ?? 0) + (c.configured ?? 0) + (c.pruned ?? 0);
}

function syncDetails(op: OperationState): Record<string, string> {
  return {
    phase: op.phase,
    initiatedBy: op.initiatedBy ?? 'automated',
    changed: String(changedCount(op)),
    ...(op.retryCount ? { retryCount: String(op.retryCount) } : {}),
  };
}

function syncDetection(status: ApplicationStatus): Detection | undefined {
  const op = status.operationState;
  if (!op?.finishedAt) return undefined;
  const failed = FAILED_PHASES.has(op.phase);
  if (op.phase !== 'Succeeded' && !failed) return undefined;
  const revision = op.syncResult?.revision || status.sync?.revision;
  return {
    type: failed ? 'sync-failed' : 'sync-succeeded',
    key: op.startedAt,
    time: op.finishedAt,
    reason: op.phase,
    message: op.message ?? '',
    ...(revision ? { revision } : {}),
    details: syncDetails(op),
  };
}

function healthDetection(status: ApplicationStatus, now: Date): Detection | undefined {
  const health = status.health;
  if (health?.status !== 'Degraded') return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  const revision = status.sync?.revision;
  return {
    type: 'health-degraded',
    key: 'Degraded',
    rearm: true,
    time: timeOr(ready?.lastTransitionTime, now),
    reason: 'Degraded',
    message: health.message || ready?.message || '',
    ...(revision ? { revision } : {}),
    details: { health: health.status, syncStatus: status.sync?.status ?? 'Unknown' },
  };
}

export const applications = defineSource<Application>({
  apiVersion: API_VERSION,
  kind: KIND,
  resource: 'applications',
  scope: 'applications',
  types: ['sync-succeeded', 'sync-failed', 'health-degraded'],
  detect(app, now) {
    const status = app.status;
    if (!status) return [];
    return [syncDetection(status), healthDetection(status, now)].filter(
      (d): d is Detection => d !== undefined,
    );
  },
  context(app) {
    const revision = app.status?.sync?.revision;
    return {
      app: { namespace: app.metadata.namespace, name: app.metadata.name },
      environment: environmentOf(app, app.spec.destination.namespace),
      repoURL: app.spec.source.repoURL,
      ...(revision ? { revision } : {}),
    };
  },
  slim(app) {
    const s = app.status;
    return {
      ...app,
      metadata: { ...app.metadata, managedFields: [] },
      ...(s
        ? {
            status: {
              ...(s.sync ? { sync: { status: s.sync.status, revision: s.sync.revision } } : {}),
              ...(s.health ? { health: s.health } : {}),
              ...(s.conditions ? { conditions: s.conditions } : {}),
              ...(s.operationState ? { operationState: slimOperation(s.operationState) } : {}),
            },
          }
        : {}),
    } as Application;
  },
});

function slimOperation(op: OperationState): OperationState {
  const { progress: _p, syncResult, ...rest } = op;
  return {
    ...rest,
    ...(syncResult
      ? {
          syncResult: {
            revision: syncResult.revision,
            resources: [],
            ...(syncResult.counts ? { counts: syncResult.counts } : {}),
          },
        }
      : {}),
  };
}
