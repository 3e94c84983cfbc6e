/**
 * Image update automation inside `sluice controller` (Flux's image-reflector and
 * image-automation controllers in one Runnable): ImageRepositories scanned into an in-memory tag
 * store, ImagePolicies selecting from it, ImageUpdateAutomations writing the selected images to
 * Git. Events chain them: a scan whose tags or readiness changed wakes its policies; a policy
 * whose image changed wakes the automations of its namespace — a new tag reaches Git within
 * one scan interval. Like the other controllers it stays off, saying why, when RBAC refuses
 * what it needs.
 *
 * @example
 * const images = new ImageAutomation({ kube, log, controllerNamespace: 'sluice-system' });
 * manager.add(images);
 */
import type { ImagePolicy, ImageRepository } from '../../api/image.ts';
import type { Kube } from '../../kube/api.ts';
import { refusedWatches } from '../../runtime/access.ts';
import type { Runnable } from '../../runtime/manager.ts';
import type { Logger } from '../../util/log.ts';
import { ImageUpdateAutomationController } from './automation.ts';
import { readyCondition } from './conditions.ts';
import { ImagePolicyController } from './policies.ts';
import { ImageRepositoryController } from './repository.ts';
import { TagStore } from './store.ts';

export { RegistryClient, RegistryError, type RegistryErrorKind } from './registry.ts';
export { repositoryAddress, type RepositoryAddress } from './reference.ts';
export { selectTag, type Selection } from './policy.ts';
export { parseRange, parseVersion, satisfies } from './semver.ts';

export interface ImageAutomationOptions {
  kube: Kube;
  log: Logger;
  /** The controller's namespace: repository Secrets of Applications named as sources. */
  controllerNamespace: string;
  /** Watch only these namespaces (default: all). */
  namespaces?: readonly string[];
  /** Where the temporary clones of automations go (default: the OS temp directory). */
  workDir?: string;
}

const WATCHED: ReadonlyArray<readonly [string, string]> = [
  ['sluice.dev', 'imagerepositories'],
  ['sluice.dev', 'imagepolicies'],
  ['sluice.dev', 'imageupdateautomations'],
];

const scanKey = (r: ImageRepository | undefined): string =>
  JSON.stringify([
    r?.status?.lastScanResult?.revision,
    readyCondition(r ?? {})?.status,
    readyCondition(r ?? {})?.reason,
  ]);

const policyKey = (p: ImagePolicy | undefined): string =>
  JSON.stringify([p?.status?.latestRef, p?.metadata.labels]);

export class ImageAutomation implements Runnable {
  readonly store = new TagStore();
  readonly repositories: ImageRepositoryController;
  readonly policies: ImagePolicyController;
  readonly automations: ImageUpdateAutomationController;
  private readonly o: ImageAutomationOptions;
  private disabled = false;

  constructor(o: ImageAutomationOptions) {
    this.o = o;
    const ns = o.namespaces ? { namespaces: o.namespaces } : {};
    this.repositories = new ImageRepositoryController({
      kube: o.kube,
      log: o.log,
      store: this.store,
      ...ns,
    });
    this.policies = new ImagePolicyController({
      kube: o.kube,
      log: o.log,
      store: this.store,
      repository: (namespace, name) => this.repositories.repositories.get(namespace, name),
      ...ns,
    });
    this.automations = new ImageUpdateAutomationController({
      kube: o.kube,
      log: o.log,
      policies: () => this.policies.policies.list(),
      controllerNamespace: o.controllerNamespace,
      ...ns,
      ...(o.workDir ? { workDir: o.workDir } : {}),
    });
    this.repositories.repositories.onEvent((type, repo, old) => {
      if (type === 'added' || scanKey(repo) !== scanKey(old))
        this.policies.repositoryChanged(
          `${repo.metadata.namespace ?? ''}/${repo.metadata.name ?? ''}`,
        );
    });
    this.policies.policies.onEvent((type, p, old) => {
      if (type !== 'modified' || policyKey(p) !== policyKey(old))
        this.automations.policyChanged(p.metadata.namespace ?? '');
    });
  }

  async start(): Promise<void> {
    const refused = await refusedWatches(this.o.kube, this.o.namespaces, WATCHED);
    if (refused.length > 0) {
      this.disabled = true;
      this.o.log.warn('image update automation is off: RBAC refuses what it needs', {
        refused: refused.join('; '),
      });
      return;
    }
    await Promise.all([
      this.repositories.repositories.start(),
      this.policies.policies.start(),
      this.automations.automations.start(),
    ]);
  }

  startLeading(leader: AbortSignal): void {
    if (this.disabled) return;
    this.repositories.repositories.startLeading(leader);
    this.policies.policies.startLeading(leader);
    this.automations.automations.startLeading(leader);
  }

  async stop(): Promise<void> {
    if (this.disabled) return;
    await Promise.all([
      this.repositories.repositories.stop(),
      this.policies.policies.stop(),
      this.automations.automations.stop(),
    ]);
  }
}
