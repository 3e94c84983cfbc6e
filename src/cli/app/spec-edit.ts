/**
 * What `app create`, `app set` and `app unset` do to an Application's spec, as pure functions:
 * flags in, a new spec out (the caller sends the difference as a merge patch). Flag names are
 * argocd's, beside Sluice's older ones (`--values-file` = `--values`).
 */
import type { ApplicationSpec, HelmSource, KustomizeSource } from '../../api/application.ts';
import { IN_CLUSTER_SERVER } from '../../api/cluster.ts';
import { imageName, parseHelmSet, usageError, type SyncPolicyFlag } from './flags.ts';

/** The flags `app create` and `app set` share (repeatable ones are arrays, empty when unused). */
export interface SpecFlags {
  repo?: string;
  path?: string;
  revision?: string;
  destServer?: string;
  destName?: string;
  destNamespace?: string;
  values: string[];
  valuesFile: string[];
  helmSet: string[];
  helmSetString: string[];
  releaseName?: string;
  kustomizeImage: string[];
  namePrefix?: string;
  nameSuffix?: string;
  directoryRecurse?: boolean;
  syncPolicy?: SyncPolicyFlag;
  autoSync?: boolean;
  autoPrune?: boolean;
  selfHeal?: boolean;
  syncOption: string[];
  dependsOn: string[];
  project?: string;
}

/** The flags of `app unset`: what to remove. */
export interface UnsetFlags {
  values: string[];
  helmSet: string[];
  kustomizeImage: string[];
  syncOption: string[];
  valuesLiteral?: boolean;
  releaseName?: boolean;
  namePrefix?: boolean;
  nameSuffix?: boolean;
}

const HELM_FLAGS = ['--values', '--values-literal-file', '--helm-set', '--release-name'];

/** Which kinds of source the flags configure (Helm, Kustomize, plain directory). */
function sourceKinds(f: SpecFlags, valuesLiteral: string | undefined): string[] {
  const kinds: string[] = [];
  const helm =
    f.values.length + f.valuesFile.length + f.helmSet.length + f.helmSetString.length > 0 ||
    f.releaseName !== undefined ||
    valuesLiteral !== undefined;
  if (helm) kinds.push(`Helm (${HELM_FLAGS.join(', ')})`);
  if (f.kustomizeImage.length > 0 || f.namePrefix !== undefined || f.nameSuffix !== undefined)
    kinds.push('Kustomize (--kustomize-image, --name-prefix, --name-suffix)');
  if (f.directoryRecurse) kinds.push('plain directory (--directory-recurse)');
  return kinds;
}

/** The project of an app that names none (Argo CD's default; everything allowed unless an AppProject `default` says otherwise). */
export const DEFAULT_PROJECT = 'default';

/** An AppProject name: a Kubernetes object name (lower case, digits, `-` and `.`). */
const PROJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Refuses flags that contradict each other or name what does not exist (exit 2), before anything is sent. */
export function checkSpecFlags(f: SpecFlags, valuesLiteral?: string): void {
  if (f.destServer !== undefined && f.destName !== undefined)
    throw usageError(
      '--dest-server and --dest-name both name the destination cluster; give one of them',
    );
  const kinds = sourceKinds(f, valuesLiteral);
  if (kinds.length > 1)
    throw usageError(`a source is rendered one way; these flags mix ${kinds.join(' and ')}`);
  if (f.project !== undefined && !PROJECT_NAME.test(f.project))
    throw usageError(
      `--project "${f.project}" is not an AppProject name (lower case letters, digits, '-' and '.')`,
      `pass the name of an AppProject in the controller's namespace, or leave --project out for "${DEFAULT_PROJECT}"`,
    );
  const turnsOn = f.autoPrune === true || f.selfHeal === true || f.autoSync === true;
  if (f.syncPolicy === 'none' && turnsOn)
    throw usageError(
      '--sync-policy none contradicts --auto-sync, --auto-prune and --self-heal (they need automated sync)',
    );
}

/** Replaces entries with the same key, appends new ones, keeps the order. */
function mergeBy<T>(current: readonly T[], added: readonly T[], key: (t: T) => string): T[] {
  const out = [...current];
  for (const a of added) {
    const i = out.findIndex((c) => key(c) === key(a));
    if (i >= 0) out[i] = a;
    else out.push(a);
  }
  return out;
}

const optionKey = (o: string): string => o.replace(/^!/, '').split('=')[0] ?? o;

function applyHelm(current: HelmSource | undefined, f: SpecFlags, literal?: string): HelmSource {
  const helm: HelmSource = { ...current };
  const valueFiles = [...f.valuesFile, ...f.values];
  if (valueFiles.length > 0) helm.valueFiles = valueFiles;
  if (literal !== undefined) helm.values = literal;
  if (f.releaseName !== undefined) helm.releaseName = f.releaseName;
  const params = [
    ...f.helmSet.map((s) => parseHelmSet('--helm-set', s)),
    ...f.helmSetString.map((s) => parseHelmSet('--helm-set-string', s)),
  ];
  if (params.length > 0) helm.parameters = mergeBy(helm.parameters ?? [], params, (p) => p.name);
  return helm;
}

function applyKustomize(current: KustomizeSource | undefined, f: SpecFlags): KustomizeSource {
  const kustomize: KustomizeSource = { ...current };
  if (f.kustomizeImage.length > 0)
    kustomize.images = mergeBy(kustomize.images ?? [], f.kustomizeImage, imageName);
  if (f.namePrefix !== undefined) kustomize.namePrefix = f.namePrefix;
  if (f.nameSuffix !== undefined) kustomize.nameSuffix = f.nameSuffix;
  return kustomize;
}

function applySource(spec: ApplicationSpec, f: SpecFlags, valuesLiteral?: string): void {
  const src = spec.source;
  if (f.repo !== undefined) src.repoURL = f.repo;
  if (f.path !== undefined) src.path = f.path;
  if (f.revision !== undefined) src.targetRevision = f.revision;
  const helm = applyHelm(src.helm, f, valuesLiteral);
  if (Object.keys(helm).length > 0) src.helm = helm;
  const kustomize = applyKustomize(src.kustomize, f);
  if (Object.keys(kustomize).length > 0) src.kustomize = kustomize;
  if (f.directoryRecurse) src.directory = { ...src.directory, recurse: true };
}

function applyDestination(spec: ApplicationSpec, f: SpecFlags): void {
  const dest = spec.destination;
  if (f.destServer !== undefined) {
    dest.server = f.destServer;
    delete dest.name;
  }
  if (f.destName !== undefined) {
    dest.name = f.destName;
    delete dest.server;
  }
  if (f.destNamespace !== undefined) dest.namespace = f.destNamespace;
}

function applySyncPolicy(spec: ApplicationSpec, f: SpecFlags): void {
  const policy = { ...spec.syncPolicy };
  if (f.syncPolicy === 'none') delete policy.automated;
  if (f.syncPolicy === 'automated' || f.autoSync === true)
    policy.automated = { ...policy.automated, enabled: true };
  if (f.autoSync === false && policy.automated) policy.automated.enabled = false;
  for (const [flag, field, value] of [
    ['--auto-prune', 'prune', f.autoPrune],
    ['--self-heal', 'selfHeal', f.selfHeal],
  ] as const) {
    if (value === undefined) continue;
    if (!policy.automated)
      throw usageError(
        `cannot set ${flag}: the application does not sync automatically`,
        'add --sync-policy automated',
      );
    policy.automated = { ...policy.automated, [field]: value };
  }
  if (f.syncOption.length > 0) {
    const kept = mergeBy(policy.syncOptions ?? [], f.syncOption, optionKey);
    policy.syncOptions = kept.filter((o) => !o.startsWith('!'));
  }
  if (Object.keys(policy).length > 0) spec.syncPolicy = policy;
  else delete spec.syncPolicy;
}

/** The spec with the flags applied; `valuesLiteral` is the content of --values-literal-file. */
export function applySpecFlags(
  current: ApplicationSpec,
  f: SpecFlags,
  valuesLiteral?: string,
): ApplicationSpec {
  checkSpecFlags(f, valuesLiteral);
  const spec = structuredClone(current);
  applySource(spec, f, valuesLiteral);
  applyDestination(spec, f);
  applySyncPolicy(spec, f);
  if (f.dependsOn.length > 0) spec.dependsOn = f.dependsOn.map((name) => ({ name }));
  if (f.project !== undefined) spec.project = f.project;
  return spec;
}

/** The spec `app create` starts from; flags then change it as `app set` would. */
export function newSpec(f: SpecFlags, valuesLiteral?: string): ApplicationSpec {
  if (!f.repo) throw usageError('--repo is required');
  const base: ApplicationSpec = {
    project: DEFAULT_PROJECT,
    source: { repoURL: f.repo, targetRevision: 'HEAD', path: '.' },
    destination: { server: IN_CLUSTER_SERVER },
  };
  // `create --auto-prune` alone has always meant automated sync with pruning.
  const automated = f.syncPolicy ?? (f.autoPrune || f.selfHeal ? 'automated' : undefined);
  const spec = applySpecFlags(
    base,
    { ...f, ...(automated ? { syncPolicy: automated } : {}) },
    valuesLiteral,
  );
  const auto = spec.syncPolicy?.automated;
  if (auto) {
    delete auto.enabled;
    auto.prune ??= false;
    auto.selfHeal ??= false;
  }
  return spec;
}

/** Without the entries `drop` names; undefined instead of an empty list. */
function without<T>(
  list: T[] | undefined,
  drop: readonly string[],
  key: (t: T) => string,
): T[] | undefined {
  const left = (list ?? []).filter((t) => !drop.includes(key(t)));
  return left.length > 0 ? left : undefined;
}

/** The object without undefined fields, or undefined when nothing is left. */
function compact<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
}

function unsetHelm(helm: HelmSource | undefined, u: UnsetFlags): HelmSource | undefined {
  if (!helm) return undefined;
  return compact<HelmSource>({
    ...helm,
    valueFiles: without(helm.valueFiles, u.values, (v) => v),
    parameters: without(helm.parameters, u.helmSet, (p) => p.name),
    values: u.valuesLiteral ? undefined : helm.values,
    releaseName: u.releaseName ? undefined : helm.releaseName,
  });
}

function unsetKustomize(
  k: KustomizeSource | undefined,
  u: UnsetFlags,
): KustomizeSource | undefined {
  if (!k) return undefined;
  return compact<KustomizeSource>({
    ...k,
    images: without(k.images, u.kustomizeImage, imageName),
    namePrefix: u.namePrefix ? undefined : k.namePrefix,
    nameSuffix: u.nameSuffix ? undefined : k.nameSuffix,
  });
}

/** The spec without what `app unset` names. */
export function unsetSpecFlags(current: ApplicationSpec, u: UnsetFlags): ApplicationSpec {
  const spec = structuredClone(current);
  const { helm, kustomize, ...rest } = spec.source;
  const h = unsetHelm(helm, u);
  const k = unsetKustomize(kustomize, u);
  spec.source = { ...rest, ...(h ? { helm: h } : {}), ...(k ? { kustomize: k } : {}) };
  if (spec.syncPolicy) {
    const { syncOptions, ...policy } = spec.syncPolicy;
    const left = without(syncOptions, u.syncOption, optionKey);
    spec.syncPolicy = { ...policy, ...(left ? { syncOptions: left } : {}) };
  }
  return spec;
}
