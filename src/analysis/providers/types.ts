/**
 * What a metric provider gives back, and how it fails. A provider never decides Failed for an
 * outage: it answers a value (judged by the metric's conditions), a verdict (a Job's exit code),
 * a measurement still in flight, or a ProviderError whose `kind` tells an outage
 * (Unreachable: connection refused, timeout, DNS) from a query the provider rejected
 * (QueryError, with the provider's own message) and from an answer that makes no sense
 * (BadResponse). Every ProviderError becomes an Error measurement, never a Failed one.
 */
import type { Measurement, Metric } from '../../api/analysis.ts';
import { SluiceError } from '../../errors.ts';
import type { ArgValues } from '../args.ts';
import type { Value } from '../expr/index.ts';

export type ProviderErrorKind =
  | 'Unreachable'
  | 'QueryError'
  | 'BadResponse'
  | 'JobError'
  /** Not the provider's answer: something went wrong in Sluice while asking. */
  | 'Internal';

export class ProviderError extends SluiceError {
  readonly kind: ProviderErrorKind;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(`Provider${kind}`, message, options);
    this.name = 'ProviderError';
    this.kind = kind;
  }
}

export type ProviderResult =
  /** Judged by successCondition / failureCondition. */
  | { kind: 'value'; value: Value }
  /** The provider decided (a Job succeeded or failed); conditions do not apply. */
  | { kind: 'verdict'; phase: 'Successful' | 'Failed'; message?: string }
  /** Still measuring (a Job runs); `metadata` finds it again. */
  | { kind: 'running'; metadata: Record<string, string>; resumeAt?: Date }
  | { kind: 'error'; error: ProviderError };

export interface Provider {
  /** Takes one measurement of `metric` (arguments already substituted). */
  measure(metric: Metric, args: ArgValues, signal: AbortSignal): Promise<ProviderResult>;
  /** Looks again at a measurement in flight. */
  resume?(metric: Metric, measurement: Measurement, signal: AbortSignal): Promise<ProviderResult>;
  /** Ends a measurement in flight (the run terminates). */
  terminate?(measurement: Measurement, signal: AbortSignal): Promise<void>;
}

export const failed = (error: ProviderError): ProviderResult => ({ kind: 'error', error });
