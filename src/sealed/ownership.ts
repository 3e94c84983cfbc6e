/**
 * What the controller does with the Secret a SealedSecret stands for, decided from the Secret
 * that exists (if any) and the one wanted — pure, so every case is a table test.
 *
 * The controller writes only a Secret it controls: one whose controller owner reference is this
 * SealedSecret (or a SealedSecret of the same name whose earlier incarnation left it behind), or
 * one annotated `sealedsecrets.bitnami.com/managed: "true"`, which hands it over. Any other
 * existing Secret is left alone and the SealedSecret says so.
 */
import type { SealedSecret, Secret } from '../api/sealedsecret.ts';
import type { ObjectMeta } from '../kube/types.ts';
import { groupOf } from '../kube/types.ts';
import { jsonEqual } from '../util/json.ts';
import { MANAGED_ANNOTATION } from './scope.ts';

type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number];

export type SecretPlan =
  | { action: 'create'; secret: Secret }
  | { action: 'update'; secret: Secret }
  /** The type changed, or an immutable Secret's content: delete, then create. */
  | { action: 'replace'; secret: Secret; why: string }
  | { action: 'none' }
  | { action: 'refuse'; message: string };

export function ownerReference(ss: SealedSecret): OwnerReference {
  return {
    apiVersion: ss.apiVersion,
    kind: ss.kind,
    name: ss.metadata.name ?? '',
    uid: ss.metadata.uid ?? '',
    controller: true,
  };
}

/** Why `existing` may be written for `ss`, or undefined when it may not. */
function controlledBy(existing: Secret, ss: SealedSecret): string | undefined {
  const ctl = existing.metadata.ownerReferences?.find((r) => r.controller);
  if (ctl) {
    if (ctl.uid === ss.metadata.uid) return 'owned';
    const sameKind =
      ctl.kind === ss.kind &&
      ctl.name === ss.metadata.name &&
      groupOf(ctl.apiVersion) === groupOf(ss.apiVersion);
    return sameKind ? 'left by an earlier SealedSecret of this name' : undefined;
  }
  return existing.metadata.annotations?.[MANAGED_ANNOTATION] === 'true' ? 'handed over' : undefined;
}

/** The fields the controller sets, for comparison. */
function managed(s: Secret): unknown {
  return {
    type: s.type ?? 'Opaque',
    immutable: s.immutable ?? false,
    data: s.data ?? {},
    labels: s.metadata.labels ?? {},
    annotations: s.metadata.annotations ?? {},
    owner: s.metadata.ownerReferences?.find((r) => r.controller),
  };
}

/**
 * `desired` (from unsealing, without owner) against `existing`. On update, the Secret becomes
 * exactly what the template says (labels and annotations included), keeping the server's
 * metadata (resourceVersion) and other owners' references.
 */
export function planSecret(
  existing: Secret | undefined,
  desired: Secret,
  ss: SealedSecret,
): SecretPlan {
  const owner = ownerReference(ss);
  const wanted: Secret = {
    ...desired,
    metadata: { ...desired.metadata, ownerReferences: [owner] },
  };
  if (!existing) return { action: 'create', secret: wanted };
  if (!controlledBy(existing, ss)) {
    const ctl = existing.metadata.ownerReferences?.find((r) => r.controller);
    return {
      action: 'refuse',
      message:
        `Secret ${ss.metadata.namespace ?? ''}/${ss.metadata.name ?? ''} already exists and is not managed by this SealedSecret` +
        (ctl ? ` (it is controlled by ${ctl.kind}/${ctl.name})` : '') +
        `; nothing was changed. Delete it, or annotate it ${MANAGED_ANNOTATION}="true" to hand it over`,
    };
  }
  const others = (existing.metadata.ownerReferences ?? []).filter(
    (r) => !r.controller && r.uid !== owner.uid,
  );
  const merged: Secret = {
    ...wanted,
    metadata: {
      ...wanted.metadata,
      ownerReferences: [owner, ...others],
      ...(existing.metadata.resourceVersion
        ? { resourceVersion: existing.metadata.resourceVersion }
        : {}),
    },
  };
  if (jsonEqual(managed(existing), managed(merged))) return { action: 'none' };
  if ((existing.type ?? 'Opaque') !== (wanted.type ?? 'Opaque')) {
    return {
      action: 'replace',
      secret: wanted,
      why: `its type changes to ${wanted.type ?? 'Opaque'}`,
    };
  }
  if (existing.immutable) {
    return { action: 'replace', secret: wanted, why: 'it is immutable' };
  }
  return { action: 'update', secret: merged };
}
