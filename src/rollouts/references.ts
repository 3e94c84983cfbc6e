/**
 * What a Rollout names outside itself — the Services of its strategy, its AnalysisTemplates, the
 * Deployment of a `workloadRef` — checked before anything moves, so a typo is a clear condition
 * while the stable version keeps serving. Services and Deployments are read from watch caches
 * (one per watched namespace): a settled Rollout costs no API request, and a Service or
 * Deployment that appears or changes wakes the Rollouts that name it.
 */
import type { Rollout } from '../api/rollout.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/log.ts';
import { AnalysisError, kubeLookup, loadTemplates } from '../analysis/index.ts';
import { FIELD_MANAGER, HASH_LABEL } from './replicasets.ts';
import { analysisOf, type RunSlot } from './runs.ts';

export interface Service extends KubeObject {
  spec?: { selector?: Record<string, string> };
}

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: Record<string, unknown>;
  };
  status?: { replicas?: number };
}

/** Drops what the caches never read (managedFields are most of an object's size). */
function slim(obj: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Watch caches of the Services and Deployments in the namespaces the controller works in. */
export class References {
  private readonly services: Informer<Service>[];
  private readonly deployments: Informer<Deployment>[];

  constructor(
    kube: Kube,
    namespaces: readonly string[] | undefined,
    log: Logger,
    /** Called with the namespace and name of a Service or Deployment that changed. */
    changed: (kind: 'Service' | 'Deployment', namespace: string, name: string) => void,
  ) {
    const make = <T extends KubeObject>(apiVersion: string, kind: 'Service' | 'Deployment') =>
      (namespaces ?? [undefined]).map((namespace) => {
        const inf = new Informer<T>(kube, {
          apiVersion,
          kind,
          ...(namespace ? { namespace } : {}),
          transform: slim,
          onError: (err) =>
            log.warn(`${kind} watch failed; retrying`, { error: errorMessage(err) }),
        });
        inf.on((_t, o) => changed(kind, o.metadata.namespace ?? '', o.metadata.name ?? ''));
        return inf;
      });
    this.services = make<Service>('v1', 'Service');
    this.deployments = make<Deployment>('apps/v1', 'Deployment');
  }

  start(): Promise<void[]> {
    return Promise.all([...this.services, ...this.deployments].map((i) => i.start()));
  }

  stop(): void {
    for (const i of [...this.services, ...this.deployments]) i.stop();
  }

  service(namespace: string, name: string): Service | undefined {
    for (const i of this.services) {
      const s = i.get(namespace, name);
      if (s) return s;
    }
    return undefined;
  }

  deployment(namespace: string, name: string): Deployment | undefined {
    for (const i of this.deployments) {
      const d = i.get(namespace, name);
      if (d) return d;
    }
    return undefined;
  }

  /** The Services the strategy names that do not exist, as a message, or undefined. */
  missingService(ro: Rollout): string | undefined {
    for (const [field, name] of namedServices(ro)) {
      if (!this.service(ro.metadata.namespace, name)) {
        return `Service "${name}" named in spec.strategy.${field} does not exist in namespace ${ro.metadata.namespace}`;
      }
    }
    return undefined;
  }

  /** Points a Service at one version: its selector gains the pod-template hash. */
  async selectVersion(kube: Kube, ro: Rollout, service: string, hash: string): Promise<void> {
    const svc = this.service(ro.metadata.namespace, service);
    if (!svc || svc.spec?.selector?.[HASH_LABEL] === hash) return;
    await kube.mergePatch(
      svc,
      { spec: { selector: { [HASH_LABEL]: hash } } },
      { fieldManager: FIELD_MANAGER },
    );
  }
}

/** The Services a Rollout's strategy names, with the field that names each. */
export function namedServices(ro: Rollout): Array<[string, string]> {
  const { canary, blueGreen } = ro.spec.strategy;
  const named: Array<[string, string | undefined]> = [
    ['blueGreen.activeService', blueGreen?.activeService],
    ['blueGreen.previewService', blueGreen?.previewService],
    ['canary.stableService', canary?.stableService],
    ['canary.canaryService', canary?.canaryService],
  ];
  return named.filter((n): n is [string, string] => n[1] !== undefined && n[1] !== '');
}

/** Every analysis slot the strategy has. */
function slots(ro: Rollout): RunSlot[] {
  const steps = (ro.spec.strategy.canary?.steps ?? []).map((_s, i) => i);
  return [...steps, 'background', 'prePromotion', 'postPromotion'];
}

/** An AnalysisTemplate the strategy names that does not exist, as a message, or undefined. */
export async function missingTemplates(kube: Kube, ro: Rollout): Promise<string | undefined> {
  const refs = slots(ro).flatMap((s) => analysisOf(ro, s)?.templates ?? []);
  if (refs.length === 0) return undefined;
  try {
    await loadTemplates(kubeLookup(kube), ro.metadata.namespace, refs);
    return undefined;
  } catch (err) {
    if (err instanceof AnalysisError) return err.message;
    throw err;
  }
}
