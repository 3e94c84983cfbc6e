/**
 * One measurement of one metric: asks its provider, and turns the answer into a Measurement:
 * a value judged by the metric's conditions, a provider's verdict (a Job), a measurement still
 * in flight, or an Error that keeps the provider's reason (`metadata.errorKind`: Unreachable,
 * QueryError, BadResponse, JobError, Internal). A cancelled reconcile is rethrown: it is no
 * measurement at all.
 */
import type { Measurement, Metric } from '../api/analysis.ts';
import { errorMessage } from '../errors.ts';
import type { ArgValues } from './args.ts';
import type { Task } from './assess.ts';
import { formatValue } from './expr/index.ts';
import { judge } from './judge.ts';
import { ProviderError, type Provider, type ProviderResult } from './providers/index.ts';
import { failed } from './providers/types.ts';

/** Values are kept in status up to this many characters. */
const MAX_VALUE = 1000;

export interface MeasureInput {
  task: Task;
  metric: Metric;
  provider: Provider;
  args: ArgValues;
  terminating: boolean;
  signal: AbortSignal;
  now: () => number;
  /** Hides secret argument values in messages. */
  redact: (text: string) => string;
}

/** Messages are kept up to this many characters (a provider may say a lot). */
const MAX_MESSAGE = 1000;

const say = (i: MeasureInput, text: string): string => {
  const t = i.redact(text);
  return t.length > MAX_MESSAGE ? `${t.slice(0, MAX_MESSAGE - 3)}...` : t;
};

const iso = (ms: number): string => new Date(ms).toISOString();

async function ask(i: MeasureInput): Promise<ProviderResult | 'terminated'> {
  const { task, provider, metric, signal } = i;
  if (task.resume && i.terminating) {
    await provider.terminate?.(task.resume, signal);
    return 'terminated';
  }
  if (task.resume && provider.resume) return provider.resume(metric, task.resume, signal);
  return provider.measure(metric, i.args, signal);
}

export async function takeMeasurement(i: MeasureInput): Promise<Measurement> {
  const startedAt = i.task.resume?.startedAt ?? iso(i.now());
  let answer: ProviderResult | 'terminated';
  try {
    answer = await ask(i);
  } catch (err) {
    if (i.signal.aborted) throw err;
    answer = failed(new ProviderError('Internal', errorMessage(err), { cause: err }));
  }
  const base: Measurement = {
    phase: 'Running',
    startedAt,
    ...(i.task.resume?.metadata ? { metadata: i.task.resume.metadata } : {}),
  };
  if (answer === 'terminated')
    return { ...base, phase: 'Successful', message: 'metric terminated', finishedAt: iso(i.now()) };
  if (answer.kind === 'running')
    return {
      ...base,
      metadata: answer.metadata,
      ...(answer.resumeAt ? { resumeAt: answer.resumeAt.toISOString() } : {}),
    };
  return { ...finished(answer, base, i), finishedAt: iso(i.now()) };
}

function finished(
  answer: Exclude<ProviderResult, { kind: 'running' }>,
  base: Measurement,
  i: MeasureInput,
): Measurement {
  if (answer.kind === 'verdict')
    return {
      ...base,
      phase: answer.phase,
      ...(answer.message ? { message: say(i, answer.message) } : {}),
    };
  if (answer.kind === 'error')
    return {
      ...base,
      phase: 'Error',
      message: say(i, answer.error.message),
      metadata: { ...base.metadata, errorKind: answer.error.kind },
    };
  const j = judge(answer.value, i.metric);
  return {
    ...base,
    phase: j.phase,
    value: formatValue(answer.value, MAX_VALUE),
    ...(j.message ? { message: say(i, j.message) } : {}),
    ...(j.phase === 'Error' ? { metadata: { ...base.metadata, errorKind: 'Evaluation' } } : {}),
  };
}
