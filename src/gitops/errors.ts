/**
 * Errors about one object of an app, along compare -> diff -> sync (after Flux's `DryRunErr`):
 * each keeps the object it is about, a reason as data (`ResourceReason`, shown in status and in
 * `sluice app diff -o json`), the API server's own reason when there is one, the cause, and a
 * hint. The message starts with the object: `Deployment/shop/web: ...`.
 */
import type { ResultReason } from '../api/application.ts';
import { errorMessage, SluiceError } from '../errors.ts';
import { ClusterUnreachableError, KubeApiError } from '../kube/errors.ts';
import { formatRef, type ObjectRef } from '../kube/types.ts';

export class ResourceError extends SluiceError {
  readonly object: ObjectRef;
  readonly reason: ResultReason;
  /** The API server's reason (`Invalid`, `Forbidden`, `Conflict`, ...), when it answered. */
  readonly apiReason: string | undefined;

  constructor(
    object: ObjectRef,
    reason: ResultReason,
    message: string,
    options: { cause?: unknown; hint?: string; apiReason?: string } = {},
  ) {
    const ref = formatRef(object);
    super(reason, message.startsWith(ref) ? message : `${ref}: ${message}`, {
      ...(options.hint ? { hint: options.hint } : {}),
      cause: options.cause,
    });
    this.name = 'ResourceError';
    this.object = object;
    this.reason = reason;
    this.apiReason = options.apiReason;
  }
}

const HINTS: Partial<Record<ResultReason, string>> = {
  DryRunFailed:
    'fix the manifest in Git; nothing of this revision is applied until every object passes',
  ClusterUnreachable: 'the sync is retried when the cluster answers again',
  Forbidden: 'grant the controller’s identity access to this kind (RBAC), or remove the object',
};

/** Why `err` happened to `object` during `step`, as a ResourceError. */
export function resourceError(
  object: ObjectRef,
  step: 'DryRunFailed' | 'ApplyFailed' | 'PruneFailed',
  err: unknown,
): ResourceError {
  if (err instanceof ResourceError) return err;
  const reason: ResultReason =
    err instanceof ClusterUnreachableError
      ? 'ClusterUnreachable'
      : err instanceof KubeApiError && err.status === 403
        ? 'Forbidden'
        : step;
  const hint = (err instanceof SluiceError ? err.hint : undefined) ?? HINTS[reason] ?? HINTS[step];
  return new ResourceError(
    object,
    reason,
    err instanceof SluiceError ? err.message : errorMessage(err),
    {
      cause: err,
      ...(hint ? { hint } : {}),
      ...(err instanceof KubeApiError ? { apiReason: err.reason } : {}),
    },
  );
}
