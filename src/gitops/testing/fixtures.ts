/**
 * Test helpers for the engine's unit tests: small builders for an Application in a named state,
 * a Comparison, planned resources and sync outcomes, live objects (the health fixtures of
 * src/health/testdata), and a fixed clock. Every builder starts from one plain default and
 * takes only what a test case is about.
 */
import type {
  Application,
  ApplicationSpec,
  ApplicationStatus,
  HookType,
  InventoryEntry,
  OperationState,
  ResourceResult,
  SyncPolicy,
} from '../../api/application.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { API_VERSION, KIND } from '../../api/application.ts';
import { isRecord, refKey, versionOf, type KubeObject } from '../../kube/types.ts';
import type { Comparison } from '../compare.ts';
import type { DesiredResource, Plan } from '../preflight.ts';
import type { SyncOutcome } from '../sync.ts';

/** Two commits of the app's repository. */
export const REV_A = 'a'.repeat(40);
export const REV_B = 'b'.repeat(40);

/** The moment every test runs at, unless a case moves the clock. */
export const NOW = Date.parse('2025-06-01T12:00:00Z');

/** `NOW` plus or minus some milliseconds, as an ISO timestamp (status fields). */
export function at(offsetMs: number): string {
  return new Date(NOW + offsetMs).toISOString();
}

/** A clock a test moves by hand. */
export class FakeClock {
  now = NOW;
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

type Automated = NonNullable<SyncPolicy['automated']>;

export interface AppOptions {
  name?: string;
  namespace?: string;
  /** metadata.generation; the status builders observe generation 1. */
  generation?: number;
  /** syncPolicy.automated; omitted: manual sync only. */
  automated?: Automated;
  retry?: SyncPolicy['retry'];
  spec?: Partial<ApplicationSpec>;
  status?: ApplicationStatus;
  operation?: Application['operation'];
}

/** An Application `sluice-system/guestbook` deploying `guestbook/` of one repository. */
export function application(o: AppOptions = {}): Application {
  const syncPolicy: SyncPolicy = {
    ...(o.automated ? { automated: o.automated } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: o.name ?? 'guestbook',
      namespace: o.namespace ?? 'sluice-system',
      generation: o.generation ?? 1,
    },
    spec: {
      source: { repoURL: 'https://git.example.com/org/deploy.git', path: 'guestbook' },
      destination: { namespace: 'guestbook' },
      ...(o.automated || o.retry ? { syncPolicy } : {}),
      ...o.spec,
    },
    ...(o.status ? { status: o.status } : {}),
    ...(o.operation ? { operation: o.operation } : {}),
  };
}

/** A finished sync of `revision` (Succeeded unless told otherwise), finished a minute ago. */
export function operation(
  revision: string,
  o: Partial<Omit<OperationState, 'syncResult'>> = {},
): OperationState {
  return {
    phase: 'Succeeded',
    message: 'successfully synced',
    startedAt: at(-61_000),
    finishedAt: at(-60_000),
    syncResult: { revision, resources: [] },
    ...o,
  };
}

/** The status after syncing `revision` at generation 1: Synced, and its operation succeeded. */
export function syncedStatus(
  revision: string,
  o: Partial<ApplicationStatus> = {},
): ApplicationStatus {
  return {
    observedGeneration: 1,
    sync: { status: 'Synced', revision },
    health: { status: 'Healthy' },
    operationState: operation(revision),
    ...o,
  };
}

/** The status after a failed sync of `revision` (`retryCount` retries so far). */
export function failedStatus(
  revision: string,
  o: { retryCount?: number; finishedAt?: string; syncedRevision?: string } = {},
): ApplicationStatus {
  return {
    observedGeneration: 1,
    sync: { status: 'OutOfSync', ...(o.syncedRevision ? { revision: o.syncedRevision } : {}) },
    operationState: operation(revision, {
      phase: 'Failed',
      message: 'Deployment/guestbook/web: apply failed: admission webhook denied the request',
      finishedAt: o.finishedAt ?? at(-60_000),
      ...(o.retryCount !== undefined ? { retryCount: o.retryCount } : {}),
    }),
  };
}

export interface ResourceOptions {
  group?: string;
  version?: string;
  namespace?: string;
  wave?: number;
  hooks?: HookType[];
}

/** A planned object; namespaced unless it has no namespace (pass `namespace: ''`). */
export function desired(kind: string, name: string, o: ResourceOptions = {}): DesiredResource {
  const group = o.group ?? '';
  const apiVersion = `${group ? `${group}/` : ''}${o.version ?? 'v1'}`;
  const namespace = o.namespace ?? 'guestbook';
  const ref = { group, kind, namespace, name };
  const object: KubeObject = {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
  };
  return {
    ref,
    key: refKey(ref),
    version: versionOf(apiVersion),
    object,
    namespaced: namespace !== '',
    wave: o.wave ?? 0,
    options: new Map(),
    ...(o.hooks ? { hooks: o.hooks } : {}),
  };
}

/** The inventory entry of an object no longer in Git. */
export function leftover(kind: string, name: string, o: ResourceOptions = {}): InventoryEntry {
  const namespace = o.namespace ?? 'guestbook';
  return {
    group: o.group ?? '',
    version: o.version ?? 'v1',
    kind,
    ...(namespace ? { namespace } : {}),
    name,
  };
}

export function plan(resources: DesiredResource[] = [], hooks: DesiredResource[] = []): Plan {
  return { resources, hooks, createNamespaces: [] };
}

export interface ComparisonOptions {
  revision?: string;
  resources?: DesiredResource[];
  pruneCandidates?: InventoryEntry[];
  outOfSync?: boolean;
  drifted?: boolean;
}

/** What compare found at `revision` (REV_A): in sync unless told otherwise. */
export function comparison(o: ComparisonOptions = {}): Comparison {
  return {
    revision: o.revision ?? REV_A,
    plan: plan(o.resources ?? [desired('Service', 'web')]),
    diffs: new Map(),
    pruneCandidates: o.pruneCandidates ?? [],
    outOfSync: o.outOfSync ?? false,
    drifted: o.drifted ?? false,
  };
}

/** A sync's outcome; resources are results such as `pruned(leftover(...))`. */
export function outcome(
  phase: SyncOutcome['phase'],
  resources: ResourceResult[] = [],
  message = phase === 'Succeeded' ? 'successfully synced' : 'one or more objects failed to apply',
): SyncOutcome {
  const leftToPrune = resources.filter((r) => r.action === 'pruneSkipped').length;
  return { phase, message, resources, leftToPrune };
}

export function result(
  entry: InventoryEntry,
  action: ResourceResult['action'],
  message = '',
): ResourceResult {
  return { ...entry, action, ...(message ? { message } : {}) };
}

/** A live object from src/health/testdata (named `<kind>-<health>-<situation>.yaml`). */
export function liveObject(file: string): KubeObject {
  const doc: unknown = parse(
    readFileSync(new URL(`../../health/testdata/${file}`, import.meta.url), 'utf8'),
  );
  if (!isRecord(doc) || typeof doc['apiVersion'] !== 'string' || !isRecord(doc['metadata']))
    throw new Error(`${file}: not a Kubernetes object`);
  return doc as KubeObject;
}
