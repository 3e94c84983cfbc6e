/**
 * The project gate of the GitOps engine: what compare.ts asks before anything is fetched (may
 * this app use its project, its repository, its destination?) and after preflight (may it create
 * every object of this revision, hooks and namespaces to create included, and prune what it
 * would prune?). A refusal stops the comparison, so nothing of the revision is applied or pruned;
 * the app's Ready condition carries the reason (`ProjectRefused`, `ProjectNotFound`) and the
 * refusals' messages, and the error keeps the refusals as data.
 */
import type { Application, InventoryEntry } from '../../api/application.ts';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../../api/cluster.ts';
import { SluiceError } from '../../errors.ts';
import type { Plan } from '../preflight.ts';
import { someOf } from '../summary.ts';
import { refuseApp, refuseObjects } from './resolve.ts';
import type { Destination, Project, ProjectRefusal } from './rules.ts';

/** Resolves an app's project (the controller: from its AppProject cache). */
export interface ProjectGate {
  resolve(app: Application): { project: Project } | { refusal: ProjectRefusal };
}

/** What the project refused, with every refusal as data; the message names the first five. */
export class ProjectRefusedError extends SluiceError {
  readonly refusals: readonly ProjectRefusal[];
  constructor(refusals: readonly ProjectRefusal[], revision?: string) {
    const first = refusals[0];
    const project = first?.project ?? '?';
    const at = revision ? ` at ${revision.slice(0, 7)}` : '';
    super(
      first?.code ?? 'ProjectRefused',
      `${someOf(
        refusals.map((r) => r.message),
        5,
        '; ',
      )}; nothing${at} is applied or pruned`,
      {
        hint:
          first?.code === 'ProjectNotFound'
            ? `create the AppProject, or change spec.project`
            : `change the manifests or the app's spec, or ask for AppProject ${project} to allow it (${first?.rule ?? ''})`,
      },
    );
    this.name = 'ProjectRefusedError';
    this.refusals = refusals;
  }
}

/**
 * The destination cluster as projects name it: the local one is `in-cluster` at
 * https://kubernetes.default.svc (Argo CD's names), whatever URL the controller reaches it by.
 */
export function projectCluster(target: { cluster: string; server: string }): {
  server: string;
  name: string;
} {
  return target.cluster === IN_CLUSTER_NAME
    ? { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME }
    : { server: target.server, name: target.cluster };
}

/** The app's project, or the error refusing the app (before anything is fetched). */
export function projectOf(gate: ProjectGate, app: Application, dst: Destination): Project {
  const r = gate.resolve(app);
  if ('refusal' in r) throw new ProjectRefusedError([r.refusal]);
  const refused = refuseApp(r.project, app, dst);
  if (refused) throw new ProjectRefusedError([refused]);
  return r.project;
}

/** Every object of the plan the project refuses: resources, hooks, namespaces to create. */
export function planRefusals(
  project: Project,
  plan: Plan,
  cluster: Pick<Destination, 'server' | 'name'>,
): ProjectRefusal[] {
  const namespaces = plan.createNamespaces.map((name) => ({
    ref: { group: '', kind: 'Namespace', namespace: '', name },
    namespaced: false,
  }));
  return refuseObjects(project, [...namespaces, ...plan.resources, ...plan.hooks], cluster);
}

/** What would be pruned that the project does not allow the app to touch. */
export function pruneRefusals(
  project: Project,
  entries: readonly InventoryEntry[],
  cluster: Pick<Destination, 'server' | 'name'>,
): ProjectRefusal[] {
  const objects = entries.map((e) => ({
    ref: { group: e.group, kind: e.kind, namespace: e.namespace ?? '', name: e.name },
    namespaced: Boolean(e.namespace),
  }));
  return refuseObjects(project, objects, cluster).map((r) => ({
    ...r,
    message: `${r.message} (it would be pruned)`,
  }));
}
