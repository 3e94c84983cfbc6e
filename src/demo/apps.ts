/**
 * The demo's Applications: which sample apps this cluster can have, registering them (each
 * asks for a fetch first, and automated sync again), and showing them until every one is
 * Synced to main and Healthy.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION, KIND, type Application } from '../api/application.ts';
import { SluiceError } from '../errors.ts';
import type { GitOpsController } from '../gitops/controller.ts';
import { FIELD_MANAGER, FINALIZER, REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import type { Kube } from '../kube/api.ts';
import type { Progress } from '../util/progress.ts';
import { SAMPLE_APPS, type SampleApp } from './samples.ts';

export interface AppsContext {
  kube: Kube;
  /** The sample repository. */
  dir: string;
  appNamespace: string;
  progress: Progress;
  timeoutMs: number;
}

function application(s: SampleApp, repoURL: string, appNamespace: string): Application {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: s.name,
      namespace: appNamespace,
      finalizers: [FINALIZER],
      // Fetch first: the controller's mirror of this repository may be older than the
      // repository (commits made while no controller ran, or a repository made afresh). The
      // controller runs already, so it sees this as a request.
      annotations: { [REFRESH_ANNOTATION]: new Date().toISOString() },
    },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: s.path },
      destination: { server: 'https://kubernetes.default.svc', namespace: s.namespace },
      syncPolicy: {
        // enabled: a rollback in an earlier run paused it; every run starts automated again.
        automated: { enabled: true, prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  };
}

function table(apps: readonly Application[]): string {
  return apps
    .map(
      (a) =>
        `    ${a.metadata.name.padEnd(14)} ${(a.status?.sync?.status ?? '…').padEnd(10)} ${(a.status?.health?.status ?? '…').padEnd(12)} ${a.status?.health?.message ?? ''}`,
    )
    .join('\n');
}

/** The sample apps this run can have: real-node ones need a real node, canary Prometheus. */
export function appsFor(realNode: boolean, prometheus: boolean): readonly SampleApp[] {
  return SAMPLE_APPS.filter((s) => (realNode || !s.realNode) && (prometheus || !s.prometheus));
}

export async function registerApps(c: AppsContext, apps: readonly SampleApp[]): Promise<void> {
  if (!(await c.kube.get('v1', 'Namespace', undefined, c.appNamespace)))
    await c.kube.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: c.appNamespace },
    });
  c.progress.step('registering Applications');
  for (const s of apps) {
    await c.kube.apply(application(s, `file://${c.dir}`, c.appNamespace), {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
    c.progress.detail(`${s.name} (${s.kind}: ${s.path} -> namespace ${s.namespace})`);
  }
}

/** Shows the apps until all are Synced to `sha` (main now) and Healthy; false when stopped first. */
export async function converge(
  c: AppsContext,
  controller: GitOpsController,
  apps: readonly SampleApp[],
  sha: string,
  stopped: () => boolean,
): Promise<boolean> {
  const names = new Set(apps.map((s) => s.name));
  const deadline = Date.now() + c.timeoutMs;
  let shown = '';
  while (!stopped()) {
    const apps = (
      await c.kube.list<Application>(API_VERSION, KIND, { namespace: c.appNamespace })
    ).items.filter((a) => names.has(a.metadata.name));
    const view = table(apps);
    if (view !== shown) c.progress.detail(`\n${view}`);
    shown = view;
    // Only trust a status this run's controller has looked at.
    const reconciled = (controller.queue.processed ?? 0) >= names.size;
    const ready = (a: Application): boolean =>
      a.status?.sync?.status === 'Synced' &&
      a.status.sync.revision === sha &&
      a.status.health?.status === 'Healthy';
    if (reconciled && apps.length === names.size && apps.every(ready)) return true;
    if (Date.now() > deadline)
      throw new SluiceError(
        'DemoTimeout',
        `the sample apps did not converge in ${c.timeoutMs / 1000}s`,
        { hint: '`npx sluice app get <name>` shows what each one waits on' },
      );
    await sleep(500);
  }
  return false;
}
