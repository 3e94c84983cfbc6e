/**
 * Sealing scopes, as Sealed Secrets defines them. The scope decides the RSA-OAEP label bound
 * into every blob, so a blob only opens where it was meant to:
 *
 * | scope            | label                | annotation (on the SealedSecret)                  |
 * |------------------|----------------------|---------------------------------------------------|
 * | `strict`         | `"<namespace>/<name>"` | none (the default)                              |
 * | `namespace-wide` | `"<namespace>"`      | `sealedsecrets.bitnami.com/namespace-wide: "true"` |
 * | `cluster-wide`   | `""`                 | `sealedsecrets.bitnami.com/cluster-wide: "true"`   |
 *
 * Cluster-wide wins over namespace-wide when both annotations say "true".
 */

export const SCOPES = ['strict', 'namespace-wide', 'cluster-wide'] as const;
export type Scope = (typeof SCOPES)[number];

export const NAMESPACE_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/namespace-wide';
export const CLUSTER_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/cluster-wide';
/** On an existing Secret: the controller may take it over (Sealed Secrets' meaning). */
export const MANAGED_ANNOTATION = 'sealedsecrets.bitnami.com/managed';

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** The scope annotations say (strict when neither is "true"). */
export function scopeOf(annotations: Readonly<Record<string, string>> | undefined): Scope {
  if (annotations?.[CLUSTER_WIDE_ANNOTATION] === 'true') return 'cluster-wide';
  if (annotations?.[NAMESPACE_WIDE_ANNOTATION] === 'true') return 'namespace-wide';
  return 'strict';
}

/** The OAEP label of a blob sealed for `namespace`/`name` in `scope`, as a string. */
export function labelText(scope: Scope, namespace: string, name: string): string {
  switch (scope) {
    case 'cluster-wide':
      return '';
    case 'namespace-wide':
      return namespace;
    case 'strict':
      return `${namespace}/${name}`;
  }
}

/** The OAEP label as bytes (what the cipher takes). */
export function encryptionLabel(scope: Scope, namespace: string, name: string): Buffer {
  return Buffer.from(labelText(scope, namespace, name), 'utf8');
}

/** Annotations with exactly the scope's annotation set (strict: neither). */
export function withScopeAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  scope: Scope,
): Record<string, string> {
  const out: Record<string, string> = { ...annotations };
  delete out[NAMESPACE_WIDE_ANNOTATION];
  delete out[CLUSTER_WIDE_ANNOTATION];
  if (scope === 'namespace-wide') out[NAMESPACE_WIDE_ANNOTATION] = 'true';
  if (scope === 'cluster-wide') out[CLUSTER_WIDE_ANNOTATION] = 'true';
  return out;
}

/** How a person reads where a blob may be opened: `shop/db`, `namespace shop`, `any namespace`. */
export function describeScope(scope: Scope, namespace: string, name: string): string {
  switch (scope) {
    case 'cluster-wide':
      return 'any namespace (cluster-wide)';
    case 'namespace-wide':
      return `namespace ${namespace} (namespace-wide)`;
    case 'strict':
      return `${namespace}/${name}`;
  }
}
