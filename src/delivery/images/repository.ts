/**
 * The ImageRepository controller: scans a registry repository every `spec.interval` (or at once
 * on a spec change or a reconcile-now request), keeps the tags in the TagStore and reports
 * `status.lastScanResult` as Flux does. A scan that fails keeps the last result and says why in
 * Ready (RegistryUnavailable, AuthenticationFailed, ...), and is tried again sooner than the
 * interval; the ImagePolicies on the repository keep their image meanwhile.
 */
import { createHash } from 'node:crypto';
import {
  IMAGE_REPOSITORY_KIND,
  type ImageRepository,
  type ImageRepositoryStatus,
} from '../../api/image.ts';
import { API_VERSION } from '../../api/application.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller.ts';
import { recordEvent } from '../../runtime/events.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { Logger } from '../../util/log.ts';
import { secretCredentials, secretData, type RegistryCredentials } from './auth.ts';
import { conditions, isDue, readyCondition, requestedAt, type Readiness } from './conditions.ts';
import { repositoryAddress, type RepositoryAddress } from './reference.ts';
import { RegistryClient, RegistryError, type RegistryErrorKind } from './registry.ts';
import type { TagStore } from './store.ts';

type Flags = Record<string, never>;

export const DEFAULT_EXCLUSIONS = ['^.*\\.sig$'];
/** After a failed scan, try again within this long (or the interval, if shorter). */
const RETRY_MS = 30_000;

const REASONS: Record<RegistryErrorKind, Readiness['reason']> = {
  Unreachable: 'RegistryUnavailable',
  AuthFailed: 'AuthenticationFailed',
  NotFound: 'ReadOperationFailed',
  BadResponse: 'ReadOperationFailed',
};

/** Why a repository cannot be scanned as written (fields Sluice does not act on), or undefined. */
function unsupported(repo: ImageRepository): string | undefined {
  const s = repo.spec;
  if (s.provider !== undefined && s.provider !== 'generic')
    return `spec.provider ${s.provider}: Sluice supports generic (credentials in spec.secretRef)`;
  if (s.certSecretRef)
    return 'spec.certSecretRef is not supported: the registry needs a certificate the system trusts';
  if (s.proxySecretRef)
    return 'spec.proxySecretRef is not supported: set HTTPS_PROXY on the controller';
  if (s.serviceAccountName)
    return 'spec.serviceAccountName is not supported: name the pull Secret in spec.secretRef';
  return undefined;
}

/** A client for the repository, with the credentials of its Secret. */
export async function registryClient(
  kube: Kube,
  repo: ImageRepository,
  address: RepositoryAddress,
  signal?: AbortSignal,
): Promise<RegistryClient> {
  let credentials: RegistryCredentials | undefined;
  const ref = repo.spec.secretRef?.name;
  if (ref) {
    const secret = await kube.get('v1', 'Secret', repo.metadata.namespace, ref);
    if (!secret)
      throw new RegistryError(
        'AuthFailed',
        `Secret ${repo.metadata.namespace ?? ''}/${ref} (spec.secretRef) not found`,
      );
    credentials = secretCredentials(
      secretData(secret as KubeObject & { data?: unknown }),
      address.host,
    );
    if (!credentials)
      throw new RegistryError(
        'AuthFailed',
        `Secret ${ref} holds no credentials for ${address.host}`,
        {
          hint: 'a kubernetes.io/dockerconfigjson Secret with an entry for the registry, or username and password keys',
        },
      );
  }
  const timeoutMs = Math.min(
    parseDuration(repo.spec.timeout ?? repo.spec.interval, 60_000),
    60_000,
  );
  return new RegistryClient({
    address,
    ...(credentials ? { credentials } : {}),
    timeoutMs,
    ...(signal ? { signal } : {}),
  });
}

export const addressOf = (repo: ImageRepository): RepositoryAddress | undefined =>
  repositoryAddress(repo.spec.image, repo.spec.insecure === true);

/** Tags minus the exclusion list; InvalidExclusion names a pattern that does not compile. */
function excluded(tags: string[], patterns: readonly string[]): string[] {
  const res = patterns.map((p) => new RegExp(p.replace(/\(\?P</g, '(?<')));
  return tags.filter((t) => !res.some((re) => re.test(t)));
}

export interface RepositoryControllerOptions {
  kube: Kube;
  log: Logger;
  store: TagStore;
  namespaces?: readonly string[];
  now?: () => number;
}

export class ImageRepositoryController {
  readonly repositories: Controller<ImageRepository, Flags>;
  private readonly o: RepositoryControllerOptions;
  private readonly patcher = new StatusPatcher<ImageRepositoryStatus, ImageRepository>();
  private readonly now: () => number;

  constructor(o: RepositoryControllerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.repositories = new Controller<ImageRepository, Flags>({
      name: 'imagerepositories',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: IMAGE_REPOSITORY_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: 4,
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.repositories.onEvent((type, repo) => {
      this.patcher.observe(repo);
      if (type === 'deleted')
        o.store.delete(`${repo.metadata.namespace ?? ''}/${repo.metadata.name ?? ''}`);
    });
  }

  private async reconcile({
    key,
    namespace,
    name,
    signal,
  }: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.repositories.get(namespace, name);
    if (!cached || cached.spec.suspend === true) return {};
    const repo = this.patcher.current(cached);
    const intervalMs = parseDuration(repo.spec.interval, 300_000);
    const scanned = this.o.store.get(key);
    const due = isDue(repo, scanned?.scanTime, intervalMs, this.now());
    if (!due.due) return { requeueAfterMs: due.inMs };
    const kube = this.o.kube.withSignal(signal);
    const r = await this.scan(kube, repo, key, signal);
    await this.write(kube, repo, r.status, r.readiness);
    if (r.readiness.stalled === true) return {};
    return {
      requeueAfterMs: r.readiness.ready === 'True' ? intervalMs : Math.min(intervalMs, RETRY_MS),
    };
  }

  private async scan(
    kube: Kube,
    repo: ImageRepository,
    key: string,
    signal: AbortSignal,
  ): Promise<{ status: ImageRepositoryStatus; readiness: Readiness }> {
    const status: ImageRepositoryStatus = { ...repo.status };
    const address = addressOf(repo);
    if (!address) {
      const message = `spec.image "${repo.spec.image}" is not a repository name (registry/path, no tag or digest)`;
      return {
        status,
        readiness: { ready: 'False', reason: 'ImageURLInvalid', message, stalled: true },
      };
    }
    status.canonicalImageName = address.canonical;
    const problem = unsupported(repo);
    if (problem)
      return {
        status,
        readiness: { ready: 'False', reason: 'Unsupported', message: problem, stalled: true },
      };
    const exclusions = repo.spec.exclusionList ?? DEFAULT_EXCLUSIONS;
    try {
      const client = await registryClient(kube, repo, address, signal);
      const tags = excluded(await client.tags(), exclusions);
      const sorted = [...tags].sort();
      const revision = createHash('sha256').update(sorted.join('\n')).digest('hex').slice(0, 16);
      const scanTime = new Date(this.now()).toISOString();
      this.o.store.set(key, { tags, revision, scanTime });
      status.lastScanResult = {
        tagCount: tags.length,
        scanTime,
        latestTags: sorted.reverse().slice(0, 10),
        revision,
      };
      status.observedExclusionList = exclusions;
      const message = `successful scan: found ${tags.length} tags`;
      return { status, readiness: { ready: 'True', reason: 'Succeeded', message } };
    } catch (err) {
      if (err instanceof SyntaxError)
        return {
          status,
          readiness: {
            ready: 'False',
            reason: 'ImageURLInvalid',
            message: `spec.exclusionList: ${err.message}`,
            stalled: true,
          },
        };
      if (!(err instanceof RegistryError)) throw err;
      const kept = repo.status?.lastScanResult ? ' (the last scan result is kept)' : '';
      return {
        status,
        readiness: { ready: 'False', reason: REASONS[err.kind], message: `${err.message}${kept}` },
      };
    }
  }

  private async write(
    kube: Kube,
    repo: ImageRepository,
    status: ImageRepositoryStatus,
    r: Readiness,
  ): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const before = readyCondition(repo);
    status.conditions = conditions(repo.status?.conditions, r, repo.metadata.generation, now);
    status.observedGeneration = repo.metadata.generation ?? 0;
    const asked = requestedAt(repo);
    if (asked !== undefined) status.lastHandledReconcileAt = asked;
    await this.patcher.patchStatus(kube, repo, status);
    if (before?.reason !== r.reason || (r.ready !== 'True' && before.message !== r.message)) {
      await recordEvent(kube, repo, r.ready === 'True' ? 'Normal' : 'Warning', r.reason, r.message);
      if (r.ready !== 'True')
        this.o.log.warn('image repository scan failed', {
          repository: `${repo.metadata.namespace}/${repo.metadata.name}`,
          reason: r.reason,
          message: r.message,
        });
    }
  }
}
