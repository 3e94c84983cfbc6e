/**
 * Helpers for TaskRun tests on the real node: the TaskRun controller for the test's namespace,
 * TaskRuns whose pods go to the real node, and waits on their `Succeeded` condition.
 */
import { onTestFinished } from 'vitest';
import { API_VERSION } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import type { RunCondition, TaskRun, TaskRunSpec } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import {
  TaskRunController,
  type TaskRunControllerOptions,
} from '../../src/pipelines/kube/controller.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually } from './harness.ts';

export const BUSYBOX = 'localhost:5000/busybox:latest';

/** Pods on the real node: its label and its taint. */
export const onRealNode = {
  nodeSelector: { 'sluice.dev/real-node': 'true' },
  tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
};

let crds: Promise<unknown> | undefined;
export function ensureCrds(k: Kube): Promise<unknown> {
  crds ??= installCrds(k, silentProgress);
  return crds;
}

/** The TaskRun controller for `namespace`, stopped when the test ends. */
export async function startTaskRuns(
  k: Kube,
  namespace: string,
  o: Partial<TaskRunControllerOptions> = {},
): Promise<TaskRunController> {
  await ensureCrds(k);
  const log = process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger;
  const c = new TaskRunController({ kube: k, namespaces: [namespace], log, ...o });
  await c.start();
  c.startLeading(new AbortController().signal);
  onTestFinished(() => c.stop());
  return c;
}

/** Creates a TaskRun whose pod runs on the real node (unless the spec says otherwise). */
export async function createTaskRun(
  k: Kube,
  namespace: string,
  name: string,
  spec: TaskRunSpec,
): Promise<TaskRun> {
  return k.create<TaskRun>({
    apiVersion: API_VERSION,
    kind: 'TaskRun',
    metadata: { name, namespace },
    spec: { podTemplate: onRealNode, ...spec },
  });
}

export const getTaskRun = (
  k: Kube,
  namespace: string,
  name: string,
): Promise<TaskRun | undefined> => k.get<TaskRun>(API_VERSION, 'TaskRun', namespace, name);

export const succeeded = (tr: TaskRun | undefined): RunCondition | undefined =>
  tr?.status?.conditions?.find((c) => c.type === 'Succeeded');

/** Waits until the TaskRun has ended (Succeeded True or False). */
export async function ended(
  k: Kube,
  namespace: string,
  name: string,
  timeoutMs = 90_000,
): Promise<TaskRun> {
  return eventually(
    `TaskRun ${name} to end`,
    async () => {
      const tr = await getTaskRun(k, namespace, name);
      const c = succeeded(tr);
      return c && c.status !== 'Unknown' ? tr : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the step's container runs. */
export async function stepRunning(
  k: Kube,
  namespace: string,
  name: string,
  step: string,
  timeoutMs = 60_000,
): Promise<TaskRun> {
  return eventually(
    `step ${step} of ${name} to run`,
    async () => {
      const tr = await getTaskRun(k, namespace, name);
      return tr?.status?.steps?.find((s) => s.name === step)?.running ? tr : undefined;
    },
    timeoutMs,
  );
}
