/**
 * One dev cluster for the whole e2e run.
 *
 * - Default: starts a cluster named `e2e-<pid>` (so it never touches a person's own `sluice`
 *   cluster) and stops it at the end.
 * - `SLUICE_E2E_KUBECONFIG=<path>`: reuse a running cluster instead (fast local iteration).
 */
import type { TestProject } from 'vitest/node';
import { down, up } from '../../src/devcluster/cluster.ts';
import { consoleProgress } from '../../src/util/progress.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env['SLUICE_E2E_KUBECONFIG'];
  if (reuse) {
    project.provide('kubeconfig', reuse);
    return () => Promise.resolve();
  }
  const name = `e2e-${process.pid}`;
  const { state } = await up({ name, nodes: 3, realNodes: 1, progress: consoleProgress() });
  project.provide('kubeconfig', state.kubeconfig);
  return async () => {
    await down(name);
  };
}
