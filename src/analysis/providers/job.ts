/**
 * The job provider: a measurement is a batch/v1 Job made from `provider.job`, created in the
 * run's namespace, owned by the AnalysisRun and named `<run>-<metric>-<n>`. It is Successful
 * when the Job completes and Failed when the Job fails (the container's exit code in the
 * message). The controller never waits for it: the measurement stays Running, the Job's watch
 * event brings the run back, and `resume` reads the Job's status from the cache. `terminate`
 * (the run ends first) deletes the Job; a Job that cannot be created is an Error.
 */
import { createHash } from 'node:crypto';
import type { Measurement, Metric } from '../../api/analysis.ts';
import { ANALYSIS_RUN_KIND } from '../../api/analysis.ts';
import { API_VERSION } from '../../api/application.ts';
import { errorMessage } from '../../errors.ts';
import { jobHealth } from '../../health/job.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import { failed, ProviderError, type Provider, type ProviderResult } from './types.ts';

/** Every Job of an analysis carries its run's uid here (the controller watches this label). */
export const RUN_UID_LABEL = 'sluice.dev/analysis-run-uid';
export const METRIC_LABEL = 'sluice.dev/analysis-metric';
export const JOB_NAME_KEY = 'jobName';

export interface RunRef {
  name: string;
  namespace: string;
  uid: string;
}

export interface JobProviderOptions {
  kube: Kube;
  run: RunRef;
  /** The Job from the watch cache (undefined: not seen yet). */
  cached: (namespace: string, name: string) => KubeObject | undefined;
  /** This measurement's number (1, 2, ...), for the Job's name. */
  seq: number;
}

const dns = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** `<run>-<metric>-<n>`, cut to 63 characters (a label value) with a hash keeping it unique. */
export function jobName(run: string, metric: string, seq: number): string {
  const full = `${dns(run)}-${dns(metric)}-${seq}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(`${run}/${metric}`).digest('hex').slice(0, 8);
  const tail = `-${hash}-${seq}`;
  return `${full.slice(0, 63 - tail.length).replace(/-+$/, '')}${tail}`;
}

const jobRef = (ns: string, name: string): string => `Job/${ns}/${name}`;

interface ContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
  lastState?: { terminated?: { exitCode?: number } };
}

/** `container test exited with code 1` for each container of `pod` that exited non-zero. */
function exitCodes(pod: KubeObject): string[] {
  const status = pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined;
  return (status?.containerStatuses ?? []).flatMap((c) => {
    const code = c.state?.terminated?.exitCode ?? c.lastState?.terminated?.exitCode;
    return code ? [`container ${c.name ?? '?'} exited with code ${code}`] : [];
  });
}

/** Why a failed Job failed: its pods' non-zero exit codes, then the Job's condition. */
async function failureMessage(kube: Kube, job: KubeObject, condition: string): Promise<string> {
  const ns = job.metadata.namespace ?? '';
  const name = job.metadata.name ?? '';
  const pods = await kube
    .list('v1', 'Pod', { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${name}` })
    .catch(() => ({ items: [] as KubeObject[] }));
  const exits = [...new Set(pods.items.flatMap(exitCodes))];
  const why = exits.length ? exits.join(', ') : 'no exit code recorded';
  return `${jobRef(ns, name)} failed: ${why}${condition ? ` (${condition})` : ''}`;
}

export class JobProvider implements Provider {
  private readonly o: JobProviderOptions;

  constructor(options: JobProviderOptions) {
    this.o = options;
  }

  private build(metric: Metric, name: string): KubeObject {
    const spec = metric.provider.job;
    if (!spec) throw new Error(`metric ${metric.name} has no job provider`);
    const meta = (spec.metadata ?? {}) as {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
    const { run } = this.o;
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: run.namespace,
        labels: {
          ...meta.labels,
          [RUN_UID_LABEL]: run.uid,
          [METRIC_LABEL]: dns(metric.name).slice(0, 63),
        },
        ...(meta.annotations ? { annotations: meta.annotations } : {}),
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: ANALYSIS_RUN_KIND,
            name: run.name,
            uid: run.uid,
            controller: true,
          },
        ],
      },
      spec: spec.spec,
    };
  }

  async measure(metric: Metric): Promise<ProviderResult> {
    const { kube, run, seq } = this.o;
    const name = jobName(run.name, metric.name, seq);
    try {
      await kube.create(this.build(metric, name), { fieldManager: 'sluice-analysis' });
    } catch (err) {
      // Created by an earlier reconcile whose status write did not land: take it over.
      const mine =
        err instanceof KubeApiError &&
        err.conflict &&
        this.owned(await kube.get('batch/v1', 'Job', run.namespace, name));
      if (!mine)
        return failed(
          new ProviderError(
            'JobError',
            `cannot create ${jobRef(run.namespace, name)}: ${errorMessage(err)}`,
            { cause: err },
          ),
        );
    }
    return { kind: 'running', metadata: { [JOB_NAME_KEY]: name } };
  }

  private owned(job: KubeObject | undefined): boolean {
    return job?.metadata.labels?.[RUN_UID_LABEL] === this.o.run.uid;
  }

  async resume(_metric: Metric, m: Measurement): Promise<ProviderResult> {
    const { kube, run } = this.o;
    const name = metaName(m);
    const job =
      this.o.cached(run.namespace, name) ??
      (await kube.get('batch/v1', 'Job', run.namespace, name));
    if (!job || !this.owned(job))
      return failed(
        new ProviderError(
          'JobError',
          `${jobRef(run.namespace, name)} is gone: it was deleted while it ran`,
        ),
      );
    const health = jobHealth(job);
    if (health.status === 'Healthy')
      return {
        kind: 'verdict',
        phase: 'Successful',
        message: `${jobRef(run.namespace, name)} completed`,
      };
    if (health.status === 'Degraded')
      return {
        kind: 'verdict',
        phase: 'Failed',
        message: await failureMessage(kube, job, health.message ?? ''),
      };
    return { kind: 'running', metadata: { [JOB_NAME_KEY]: name } };
  }

  async terminate(m: Measurement): Promise<void> {
    await deleteMeasurementJob(this.o.kube, this.o.run.namespace, m);
  }
}

function metaName(m: Measurement): string {
  const v = m.metadata?.[JOB_NAME_KEY];
  return typeof v === 'string' ? v : '';
}

/** Deletes the Job of a measurement (one that ended, or fell out of the retention window). */
export async function deleteMeasurementJob(
  kube: Kube,
  namespace: string,
  m: Measurement,
): Promise<void> {
  const name = metaName(m);
  if (!name) return;
  await kube.delete(
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { namespace, name } },
    { propagationPolicy: 'Background' },
  );
}
