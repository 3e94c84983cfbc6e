import { SluiceError } from '../errors.ts';

/** The body of a failed API request (metav1.Status). */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ type?: string; message?: string; field?: string }> };
}

/**
 * A request the API server refused or could not answer. `object` names what it was about
 * (`Deployment/shop/web`) so every message reads "Deployment/shop/web: <what went wrong>".
 */
export class KubeApiError extends SluiceError {
  readonly status: number;
  readonly reason: string;
  readonly object: string | undefined;

  constructor(
    status: number,
    reason: string,
    message: string,
    options: { object?: string; hint?: string; cause?: unknown } = {},
  ) {
    super('KubeApiError', options.object ? `${options.object}: ${message}` : message, {
      ...(options.hint ? { hint: options.hint } : {}),
      cause: options.cause,
      exitCode: status === 404 ? 3 : 1,
    });
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.object = options.object;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get conflict(): boolean {
    return this.status === 409;
  }

  /** The request itself is wrong (invalid object, bad patch): retrying will not help. */
  get invalid(): boolean {
    return this.status === 400 || this.status === 422;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.notFound;
}

/** The cluster could not be reached at all (refused, TLS, DNS, timeout). */
export class ClusterUnreachableError extends SluiceError {
  constructor(server: string, cause: unknown) {
    super(
      'ClusterUnreachable',
      `cannot reach the Kubernetes API at ${server}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        hint: 'check KUBECONFIG / --kubeconfig and that the cluster runs (`sluice dev-cluster status` for the local one)',
      },
    );
    this.name = 'ClusterUnreachableError';
  }
}

/**
 * A request was cancelled by its caller's AbortSignal (the reconcile it served was cancelled:
 * the Lease was lost or the object deleted). Not a failure of the object: nothing to report.
 */
export class RequestCancelledError extends SluiceError {
  constructor(object: string | undefined) {
    super('Cancelled', `${object ? `${object}: ` : ''}request cancelled`);
    this.name = 'RequestCancelledError';
  }
}

export function isCancelled(err: unknown): boolean {
  return err instanceof RequestCancelledError;
}
