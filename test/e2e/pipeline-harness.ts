/**
 * Helpers for PipelineRun tests: both pipeline controllers (`Pipelines`) for the test's
 * namespace, stopped when the test ends, and waits on a run's `Succeeded` condition.
 */
import { onTestFinished } from 'vitest';
import type { PipelineRun, RunCondition } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import { Pipelines, type PipelinesOptions } from '../../src/pipelines/controllers.ts';
import { silentLogger } from '../../src/util/log.ts';
import { eventually } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

export const PIPELINES_API = 'sluice.dev/v1alpha1';

export async function startPipelines(
  k: Kube,
  namespace: string,
  o: Partial<PipelinesOptions> = {},
): Promise<Pipelines> {
  await ensureCrds(k);
  const p = new Pipelines({ kube: k, log: silentLogger, namespaces: [namespace], ...o });
  await p.start();
  p.startLeading(new AbortController().signal);
  onTestFinished(() => p.stop());
  return p;
}

/** The `Succeeded` condition of a run or TaskRun. */
export const condition = (r: { status?: { conditions?: RunCondition[] } } | undefined) =>
  r?.status?.conditions?.find((c) => c.type === 'Succeeded');

/** Waits until the run's condition is True or False. */
export function finished(
  k: Kube,
  namespace: string,
  name: string,
  ms = 120_000,
): Promise<PipelineRun> {
  return eventually(
    `${name} finished`,
    async () => {
      const r = await k.get<PipelineRun>(PIPELINES_API, 'PipelineRun', namespace, name);
      const s = condition(r)?.status;
      return s === 'True' || s === 'False' ? r : undefined;
    },
    ms,
  );
}
