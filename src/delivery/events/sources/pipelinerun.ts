/**
 * PipelineRun events: `pipelinerun-succeeded` when the `Succeeded` condition turns True,
 * `pipelinerun-failed` when it turns False (failed, timed out or cancelled: `reason` says which,
 * with Tekton's reasons). Each run finishes once: key and time are its `completionTime` (else the
 * condition's last transition).
 *
 * The commit comes from the annotations `sluice.dev/revision` and `sluice.dev/repo-url` (written
 * by triggers), else from the params Tekton pipelines conventionally take (`revision`,
 * `commit`, `git-revision`, ... and `repo-url`, `git-url`, `url`). App: the label
 * `sluice.dev/application` (an app name in the run's namespace), else a tracking id.
 */
import type { Param, PipelineRun } from '../../../api/pipeline.ts';
import {
  environmentOf,
  managingApp,
  REPO_URL_ANNOTATION,
  REVISION_ANNOTATION,
  timeOr,
} from '../context.ts';
import { defineSource } from '../source.ts';
import type { AppRef, Detection } from '../types.ts';

export const APPLICATION_LABEL = 'sluice.dev/application';
const REVISION_PARAMS = ['revision', 'commit', 'commit-sha', 'git-revision', 'git-commit', 'sha'];
const REPO_PARAMS = ['repo-url', 'git-url', 'repository', 'url'];

function param(params: readonly Param[] | undefined, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = params?.find((p) => p.name === n)?.value;
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

function revisionOf(pr: PipelineRun): string | undefined {
  return pr.metadata.annotations?.[REVISION_ANNOTATION] || param(pr.spec.params, REVISION_PARAMS);
}

function runDetails(pr: PipelineRun, end: string): Record<string, string> {
  const start = pr.status?.startTime;
  const seconds = start ? (Date.parse(end) - Date.parse(start)) / 1000 : NaN;
  return {
    pipeline: pr.spec.pipelineRef?.name ?? '',
    ...(seconds >= 0 ? { durationSeconds: String(seconds) } : {}),
    ...(start ? { startTime: start } : {}),
  };
}

function appOf(pr: PipelineRun): AppRef | undefined {
  const name = pr.metadata.labels?.[APPLICATION_LABEL];
  return name ? { namespace: pr.metadata.namespace, name } : managingApp(pr);
}

export const pipelineRuns = defineSource<PipelineRun>({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'PipelineRun',
  resource: 'pipelineruns',
  scope: 'workloads',
  types: ['pipelinerun-succeeded', 'pipelinerun-failed'],
  detect(pr, now) {
    const c = pr.status?.conditions?.find((x) => x.type === 'Succeeded');
    if (!c || c.status === 'Unknown') return [];
    const ok = c.status === 'True';
    const time = timeOr(pr.status?.completionTime ?? c.lastTransitionTime, now);
    const revision = revisionOf(pr);
    const detection: Detection = {
      type: ok ? 'pipelinerun-succeeded' : 'pipelinerun-failed',
      key: time,
      time,
      reason: c.reason || (ok ? 'Succeeded' : 'Failed'),
      message: c.message ?? '',
      ...(revision ? { revision } : {}),
      details: runDetails(pr, time),
    };
    return [detection];
  },
  context(pr) {
    const app = appOf(pr);
    const revision = revisionOf(pr);
    const repoURL =
      pr.metadata.annotations?.[REPO_URL_ANNOTATION] || param(pr.spec.params, REPO_PARAMS);
    return {
      ...(app ? { app } : {}),
      environment: environmentOf(pr),
      ...(revision ? { revision } : {}),
      ...(repoURL ? { repoURL } : {}),
    };
  },
  slim(pr) {
    const { managedFields: _m, ...metadata } = pr.metadata;
    const { pipelineSpec: _ps, ...spec } = pr.spec;
    const status = pr.status;
    if (!status) return { ...pr, metadata, spec };
    const { pipelineSpec: _s, childReferences: _c, results: _r, ...rest } = status;
    return { ...pr, metadata, spec, status: rest };
  },
});
