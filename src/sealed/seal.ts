/**
 * Sealing: a Secret becomes a SealedSecret (each value its own blob, as kubeseal writes them),
 * a raw value becomes one blob, and a SealedSecret is re-sealed with the newest key. Also the
 * checks on documents read from files: is this a Secret, is this a SealedSecret.
 */
import {
  SEALED_API_VERSIONS,
  SEALED_SECRET_KIND,
  SLUICE_SEALED_API_VERSION,
  type SealedSecret,
  type Secret,
} from '../api/sealedsecret.ts';
import type { ObjectMeta } from '../kube/types.ts';
import { hybridEncrypt } from './crypto.ts';
import { SealedError } from './errors.ts';
import type { SealingCertificate, SealingKey } from './keys.ts';
import { encryptionLabel, scopeOf, withScopeAnnotations, type Scope } from './scope.ts';
import { openAll, sealedScope } from './unseal.ts';

export interface SealOptions {
  certificate: SealingCertificate;
  /** Overrides the scope the Secret's annotations say. */
  scope?: Scope;
  /** Default sluice.dev/v1alpha1; `bitnami.com/v1alpha1` for the bitnami controller. */
  apiVersion?: string;
}

/** Annotations kubectl and kubecfg fill with a copy of the object: the plaintext would leak. */
const LAST_APPLIED = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'kubecfg.ksonnet.io/last-applied-configuration',
];

/** One value sealed for `namespace`/`name` in `scope`, as base64 (what encryptedData holds). */
export function sealValue(
  value: Uint8Array,
  certificate: SealingCertificate,
  scope: Scope,
  namespace: string,
  name: string,
): string {
  return hybridEncrypt(
    certificate.publicKey,
    value,
    encryptionLabel(scope, namespace, name),
  ).toString('base64');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringRecord(v: unknown, field: string, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || Object.values(v).some((s) => typeof s !== 'string')) {
    throw new SealedError('InvalidInput', `${what}: ${field} must map keys to strings`, {
      exitCode: 2,
    });
  }
  return v as Record<string, string>;
}

/** A core/v1 Secret from a parsed document, or an InvalidInput error naming `what`. */
export function parseSecret(doc: unknown, what: string): Secret {
  if (!isObject(doc) || doc['kind'] !== 'Secret' || doc['apiVersion'] !== 'v1') {
    throw new SealedError('InvalidInput', `${what} is not a v1 Secret`, {
      hint: 'pass a Secret (kubectl create secret generic NAME --dry-run=client -o yaml)',
      exitCode: 2,
    });
  }
  const metadata = isObject(doc['metadata']) ? (doc['metadata'] as ObjectMeta) : {};
  const data = stringRecord(doc['data'], 'data', what);
  const stringData = stringRecord(doc['stringData'], 'stringData', what);
  return {
    ...(doc as Secret),
    metadata,
    ...(data ? { data } : {}),
    ...(stringData ? { stringData } : {}),
  };
}

/** A SealedSecret (sluice.dev or bitnami.com apiVersion) from a parsed document. */
export function parseSealedSecret(doc: unknown, what: string): SealedSecret {
  if (
    !isObject(doc) ||
    doc['kind'] !== SEALED_SECRET_KIND ||
    !(SEALED_API_VERSIONS as readonly unknown[]).includes(doc['apiVersion'])
  ) {
    throw new SealedError(
      'InvalidInput',
      `${what} is not a SealedSecret (${SEALED_API_VERSIONS.join(' or ')})`,
      { exitCode: 2 },
    );
  }
  const spec = isObject(doc['spec']) ? doc['spec'] : {};
  const encryptedData = stringRecord(spec['encryptedData'], 'spec.encryptedData', what) ?? {};
  const metadata = isObject(doc['metadata']) ? (doc['metadata'] as ObjectMeta) : {};
  return { ...(doc as SealedSecret), metadata, spec: { ...spec, encryptedData } };
}

/** The template metadata of a Secret: its own, minus what the server set and what would leak. */
function templateMetadata(meta: ObjectMeta, annotations: Record<string, string>): ObjectMeta {
  const out: ObjectMeta = {};
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  if (meta.labels && Object.keys(meta.labels).length) out.labels = meta.labels;
  if (Object.keys(annotations).length) out.annotations = annotations;
  return out;
}

/**
 * Seals every value of `secret` (data and stringData; stringData wins, as the API server does).
 * The scope comes from `options.scope` or the Secret's annotations; a Secret without a namespace
 * can only be sealed cluster-wide.
 */
export function sealSecret(secret: Secret, options: SealOptions): SealedSecret {
  const name = secret.metadata.name ?? '';
  const namespace = secret.metadata.namespace ?? '';
  const scope = options.scope ?? scopeOf(secret.metadata.annotations);
  checkSealable(name, namespace, scope);
  const annotations = withScopeAnnotations(secret.metadata.annotations, scope);
  for (const a of LAST_APPLIED) delete annotations[a];
  const encryptedData: Record<string, string> = {};
  for (const [k, v] of secretValues(secret)) {
    encryptedData[k] = sealValue(v, options.certificate, scope, namespace, name);
  }
  const scoped = withScopeAnnotations(undefined, scope);
  return {
    apiVersion: options.apiVersion ?? SLUICE_SEALED_API_VERSION,
    kind: SEALED_SECRET_KIND,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(Object.keys(scoped).length ? { annotations: scoped } : {}),
    },
    spec: {
      encryptedData,
      template: {
        metadata: templateMetadata(secret.metadata, annotations) as Record<string, unknown>,
        ...(secret.type ? { type: secret.type } : {}),
        ...(secret.immutable !== undefined ? { immutable: secret.immutable } : {}),
      },
    },
  };
}

/** A strict blob needs a name and a namespace; a namespace-wide one a namespace. */
function checkSealable(name: string, namespace: string, scope: Scope): void {
  if (scope !== 'cluster-wide' && namespace === '') {
    throw new SealedError('InvalidInput', `Secret/${name} has no namespace`, {
      hint: 'set metadata.namespace, pass --namespace, or seal it with --scope cluster-wide',
      exitCode: 2,
    });
  }
  if (scope === 'strict' && name === '') {
    throw new SealedError('InvalidInput', 'the Secret has no name', {
      hint: 'set metadata.name or pass --name',
      exitCode: 2,
    });
  }
}

/** The plaintext values of a Secret, by key in order; stringData wins over data. */
function secretValues(secret: Secret): Array<[string, Buffer]> {
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) values.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {}))
    values.set(k, Buffer.from(v, 'utf8'));
  return [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * `ss` with every blob opened by `keys` and sealed again for `newest` (kubeseal --re-encrypt):
 * same scope, name and template. Fails, changing nothing, if any blob does not open.
 */
export function reEncrypt(
  ss: SealedSecret,
  keys: readonly SealingKey[],
  newest: SealingCertificate,
): SealedSecret {
  const values = openAll(ss, keys);
  const scope = sealedScope(ss);
  const encryptedData: Record<string, string> = {};
  for (const [k, v] of values) {
    encryptedData[k] = sealValue(
      v,
      newest,
      scope,
      ss.metadata.namespace ?? '',
      ss.metadata.name ?? '',
    );
  }
  const out: SealedSecret = { ...ss, spec: { ...ss.spec, encryptedData } };
  delete out.status;
  return out;
}
