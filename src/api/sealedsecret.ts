/**
 * The SealedSecret resource, with Sealed Secrets' (`bitnami.com/v1alpha1`) field names, so an
 * existing SealedSecret works after changing `apiVersion` to `sluice.dev/v1alpha1` alone (its
 * blobs are the same bytes). Sluice's CLI also reads the bitnami apiVersion as is.
 *
 * ```yaml
 * apiVersion: sluice.dev/v1alpha1
 * kind: SealedSecret
 * metadata: { name: db, namespace: shop }
 * spec:
 *   encryptedData:
 *     password: AgBy3i4OJSWK+PiTySYZZA...   # base64 blob, one per key (src/sealed/crypto.ts)
 *   template:                               # what the produced Secret looks like
 *     metadata: { labels: { app: shop } }
 *     type: Opaque
 *     data: { url: 'postgres://app:{{ .password }}@db/shop' }   # optional templated keys
 * status:
 *   observedGeneration: 1
 *   conditions: [{ type: Synced, status: "True", reason: Unsealed }]
 * ```
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { FreeForm, StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const SEALED_SECRET_KIND = 'SealedSecret';
export const SLUICE_SEALED_API_VERSION = 'sluice.dev/v1alpha1';
export const BITNAMI_SEALED_API_VERSION = 'bitnami.com/v1alpha1';
/** The apiVersions a SealedSecret document may have. */
export const SEALED_API_VERSIONS = [SLUICE_SEALED_API_VERSION, BITNAMI_SEALED_API_VERSION] as const;

export const SecretTemplateSchema = Type.Object({
  metadata: Opt(
    FreeForm(
      'labels, annotations (and more) of the Secret; its name and namespace are the SealedSecret’s',
    ),
  ),
  type: Opt(Type.String({ description: 'the Secret’s type (default Opaque)' })),
  immutable: Opt(Type.Boolean()),
  data: Opt(
    Type.Unsafe<Record<string, string | null>>({
      type: 'object',
      nullable: true,
      additionalProperties: { type: 'string', nullable: true },
      description:
        'keys computed from the unsealed values: `{{ .key }}` or `{{ index . "key" }}` in a string; null removes a key',
    }),
  ),
});

export const SealedSecretSpecSchema = Type.Object({
  encryptedData: StringMap('data key -> base64 sealed blob'),
  template: Opt(SecretTemplateSchema),
  data: Opt(
    Type.String({
      description:
        'deprecated whole-Secret blob of early Sealed Secrets; not supported (use encryptedData)',
    }),
  ),
});

export const SEALED_CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

export const SealedSecretConditionSchema = Type.Object({
  type: Type.String({ description: 'Synced' }),
  status: StringEnum(SEALED_CONDITION_STATUSES),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  lastUpdateTime: Opt(Type.String()),
  lastTransitionTime: Opt(Type.String()),
});

export const SealedSecretStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(SealedSecretConditionSchema)),
});

export type SecretTemplate = Static<typeof SecretTemplateSchema>;
export type SealedSecretSpec = Static<typeof SealedSecretSpecSchema>;
export type SealedSecretCondition = Static<typeof SealedSecretConditionSchema>;
export type SealedSecretStatus = Static<typeof SealedSecretStatusSchema>;

export interface SealedSecret extends KubeObject {
  metadata: ObjectMeta;
  spec: SealedSecretSpec;
  status?: SealedSecretStatus;
}

/** A core/v1 Secret, as far as sealing reads and writes it. */
export interface Secret extends KubeObject {
  type?: string;
  immutable?: boolean;
  /** base64 values */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
