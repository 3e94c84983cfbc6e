/**
 * The ImagePolicy controller: the latest image of an ImageRepository's tags by the policy
 * (policy.ts), in `status.latestRef` (and `latestImage`) as Flux reports it, with the digest when
 * `digestReflectionPolicy` asks. Reconciled when the policy changes and whenever its repository's
 * scan result or readiness does.
 *
 * When the repository cannot be scanned (the registry is down, credentials refused), the policy
 * keeps the image it had and its Ready condition says why (DependencyNotReady, with the
 * repository's message): nothing downstream moves on a registry outage.
 */
import {
  IMAGE_POLICY_KIND,
  type ImagePolicy,
  type ImagePolicyStatus,
  type ImageRef,
  type ImageRepository,
} from '../../api/image.ts';
import { API_VERSION } from '../../api/application.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller.ts';
import { recordEvent } from '../../runtime/events.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { Logger } from '../../util/log.ts';
import { conditions, readyCondition, requestedAt, type Readiness } from './conditions.ts';
import { filterTags, policyKind, selectTag } from './policy.ts';
import { RegistryError } from './registry.ts';
import { addressOf, registryClient } from './repository.ts';
import type { TagStore } from './store.ts';

type Flags = Record<string, never>;

/** The repository a policy reads: `namespace/name`. */
export function repositoryKey(p: ImagePolicy): string {
  return `${p.spec.imageRepositoryRef.namespace ?? p.metadata.namespace ?? ''}/${p.spec.imageRepositoryRef.name}`;
}

const sameRef = (a: ImageRef | undefined, b: ImageRef | undefined): boolean =>
  a?.image === b?.image && a?.tag === b?.tag && a?.digest === b?.digest;

/** Whether the repository's namespace lets a policy of namespace `ns` (labels `labels`) read it. */
export function accessAllowed(
  repo: ImageRepository,
  ns: string,
  labels: Record<string, string>,
): boolean {
  if (repo.metadata.namespace === ns) return true;
  const selectors = (repo.spec.accessFrom?.['namespaceSelectors'] ?? []) as Array<{
    matchLabels?: Record<string, string>;
  }>;
  return selectors.some((s) =>
    Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
  );
}

export interface PolicyControllerOptions {
  kube: Kube;
  log: Logger;
  store: TagStore;
  /** The repositories' cache (the ImageRepository controller's). */
  repository: (namespace: string, name: string) => ImageRepository | undefined;
  namespaces?: readonly string[];
  now?: () => number;
}

interface Outcome {
  status: ImagePolicyStatus;
  readiness: Readiness;
  requeueAfterMs?: number;
}

export class ImagePolicyController {
  readonly policies: Controller<ImagePolicy, Flags>;
  private readonly o: PolicyControllerOptions;
  private readonly patcher = new StatusPatcher<ImagePolicyStatus, ImagePolicy>();
  private readonly now: () => number;

  constructor(o: PolicyControllerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.policies = new Controller<ImagePolicy, Flags>({
      name: 'imagepolicies',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: IMAGE_POLICY_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: 4,
      indexes: { repository: (p) => [repositoryKey(p)] },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.policies.onEvent((_type, p) => this.patcher.observe(p));
  }

  /** A repository's scan or readiness changed: its policies look again. */
  repositoryChanged(key: string): void {
    for (const p of this.policies.byIndex('repository', key))
      this.policies.enqueue(`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`);
  }

  private async reconcile({
    namespace,
    name,
    signal,
  }: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.policies.get(namespace, name);
    if (!cached) return {};
    const policy = this.patcher.current(cached);
    const kube = this.o.kube.withSignal(signal);
    const out = await this.evaluate(kube, policy, signal);
    await this.write(kube, policy, out);
    return out.requeueAfterMs !== undefined ? { requeueAfterMs: out.requeueAfterMs } : {};
  }

  /** The policy's result, or why there is none (keeping the image it had). */
  private async evaluate(kube: Kube, policy: ImagePolicy, signal: AbortSignal): Promise<Outcome> {
    const status: ImagePolicyStatus = { ...policy.status };
    const keeping = policy.status?.latestRef ? `; keeping ${policy.status.latestRef.tag}` : '';
    const wait = (message: string, retry = 10_000): Outcome => ({
      status,
      readiness: { ready: 'False', reason: 'DependencyNotReady', message: `${message}${keeping}` },
      requeueAfterMs: retry,
    });
    const kind = policyKind(policy.spec);
    if ('problem' in kind)
      return {
        status,
        readiness: {
          ready: 'False',
          reason: 'InvalidPolicy',
          message: kind.problem,
          stalled: true,
        },
      };
    const key = repositoryKey(policy);
    const [repoNs = '', repoName = ''] = key.split('/');
    const repo = this.o.repository(repoNs, repoName);
    if (!repo) return wait(`ImageRepository ${key} not found`);
    if (!(await this.accessible(kube, repo, policy)))
      return {
        status,
        readiness: {
          ready: 'False',
          reason: 'AccessDenied',
          message: `ImageRepository ${key} does not grant access to namespace ${policy.metadata.namespace ?? ''} (spec.accessFrom)`,
        },
      };
    const ready = readyCondition(repo);
    if (ready?.status !== 'True' && ready?.reason !== undefined)
      return wait(
        `ImageRepository ${key} is not ready (${ready.reason}): ${ready.message ?? ''}`,
        30_000,
      );
    const scan = this.o.store.get(key);
    if (!scan) return wait(`waiting for the first scan of ImageRepository ${key}`, 2_000);
    return this.select(kube, policy, repo, scan.tags, status, signal);
  }

  private async accessible(
    kube: Kube,
    repo: ImageRepository,
    policy: ImagePolicy,
  ): Promise<boolean> {
    if (repo.metadata.namespace === policy.metadata.namespace) return true;
    const ns = await kube.get('v1', 'Namespace', undefined, policy.metadata.namespace ?? '');
    return accessAllowed(repo, policy.metadata.namespace ?? '', ns?.metadata.labels ?? {});
  }

  private async select(
    kube: Kube,
    policy: ImagePolicy,
    repo: ImageRepository,
    tags: string[],
    status: ImagePolicyStatus,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const key = repositoryKey(policy);
    try {
      const created = policy.spec.policy.newestBuild
        ? await this.buildTimes(kube, repo, key, policy, tags, signal)
        : undefined;
      const chosen = selectTag({ tags, spec: policy.spec, ...(created ? { created } : {}) });
      if (!chosen.ok) {
        const keeping = status.latestRef ? `; keeping ${status.latestRef.tag}` : '';
        const stalled = chosen.reason === 'InvalidPolicy';
        return {
          status,
          readiness: {
            ready: 'False',
            reason: chosen.reason,
            message: `${chosen.message}${keeping}`,
            stalled,
          },
        };
      }
      const ref: ImageRef = { image: repo.spec.image, tag: chosen.tag };
      const digest = await this.digest(kube, policy, repo, chosen.tag, signal);
      if (digest) ref.digest = digest;
      if (!sameRef(status.latestRef, ref) && status.latestRef)
        status.observedPreviousRef = status.latestRef;
      status.latestRef = ref;
      status.latestImage = `${ref.image}:${ref.tag}`;
      const message = `Latest image tag for '${ref.image}' resolved to ${ref.tag}`;
      const again =
        policy.spec.digestReflectionPolicy === 'Always'
          ? parseDuration(policy.spec.interval, 600_000)
          : undefined;
      return {
        status,
        readiness: { ready: 'True', reason: 'Succeeded', message },
        ...(again ? { requeueAfterMs: again } : {}),
      };
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      const keeping = status.latestRef ? `; keeping ${status.latestRef.tag}` : '';
      return {
        status,
        readiness: {
          ready: 'False',
          reason: 'DependencyNotReady',
          message: `${err.message}${keeping}`,
        },
        requeueAfterMs: 30_000,
      };
    }
  }

  /** The digest to report, by `digestReflectionPolicy`. */
  private async digest(
    kube: Kube,
    policy: ImagePolicy,
    repo: ImageRepository,
    tag: string,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const mode = policy.spec.digestReflectionPolicy ?? 'Never';
    if (mode === 'Never') return undefined;
    const known = policy.status?.latestRef;
    if (mode === 'IfNotPresent' && known?.tag === tag && known.digest) return known.digest;
    const address = addressOf(repo);
    if (!address) return undefined;
    return (await registryClient(kube, repo, address, signal)).digest(tag);
  }

  /** Build times of the candidate tags, read once per tag and remembered. */
  private async buildTimes(
    kube: Kube,
    repo: ImageRepository,
    key: string,
    policy: ImagePolicy,
    tags: string[],
    signal: AbortSignal,
  ): Promise<Map<string, number>> {
    const times = this.o.store.builtTimes(key);
    const missing = filterTags(tags, policy.spec.filterTags).filter((c) => !times.has(c.tag));
    const address = addressOf(repo);
    if (missing.length === 0 || !address) return times;
    const client = await registryClient(kube, repo, address, signal);
    for (const c of missing) {
      const t = await client.created(c.tag).catch((err: unknown) => {
        if (err instanceof RegistryError && err.kind === 'NotFound') return undefined;
        throw err;
      });
      if (t !== undefined) times.set(c.tag, t);
    }
    return times;
  }

  private async write(kube: Kube, policy: ImagePolicy, out: Outcome): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const before = policy.status?.latestRef;
    const status = out.status;
    status.conditions = conditions(
      policy.status?.conditions,
      out.readiness,
      policy.metadata.generation,
      now,
    );
    status.observedGeneration = policy.metadata.generation ?? 0;
    const asked = requestedAt(policy);
    if (asked !== undefined) status.lastHandledReconcileAt = asked;
    await this.patcher.patchStatus(kube, policy, status);
    if (!sameRef(before, status.latestRef) && status.latestRef) {
      const from = before ? ` (was ${before.tag})` : '';
      await recordEvent(kube, policy, 'Normal', 'Succeeded', `${out.readiness.message}${from}`);
    } else if (
      readyCondition(policy)?.reason !== out.readiness.reason &&
      out.readiness.ready !== 'True'
    ) {
      await recordEvent(kube, policy, 'Warning', out.readiness.reason, out.readiness.message);
    }
  }
}
