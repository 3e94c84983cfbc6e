/**
 * Which project an Application is in, and everything that project refuses about it, as pure
 * functions over what the controller already has (the AppProject cache, the app, its resolved
 * destination and its rendered objects):
 *
 * - an app that names no project, or `default`, is in `default`; when no AppProject of that name
 *   exists, the implicit default project allows everything (Argo CD's default);
 * - an app naming a project that does not exist is refused (`ProjectNotFound`);
 * - an app outside the controller's namespace may use a project only if the project's
 *   `sourceNamespaces` names its namespace (the implicit default allows every namespace);
 * - then its repository and destination (`refuseApp`), and each object (`refuseObjects`).
 */
import type { Application } from '../../api/application.ts';
import { DEFAULT_PROJECT, type AppProject, type AppProjectSpec } from '../../api/project.ts';
import type { ObjectRef } from '../../kube/types.ts';
import { globMatch } from './glob.ts';
import {
  checkDestination,
  checkObject,
  checkSource,
  type Destination,
  type Project,
  type ProjectRefusal,
} from './rules.ts';

/** The default project when no AppProject named `default` exists: everything allowed. */
export const IMPLICIT_DEFAULT: AppProjectSpec = {
  description: 'implicit default project: everything allowed',
  sourceRepos: ['*'],
  destinations: [{ server: '*', name: '*', namespace: '*' }],
  clusterResourceWhitelist: [{ group: '*', kind: '*' }],
  sourceNamespaces: ['*'],
};

/** The project name an app is in. */
export const projectName = (app: Application): string => app.spec.project || DEFAULT_PROJECT;

/**
 * The app's project, or why it has none it may use. `lookup` reads AppProjects in
 * `controllerNamespace` (the controller's cache).
 */
export function resolveProject(
  app: Application,
  lookup: (name: string) => AppProject | undefined,
  controllerNamespace: string,
): { project: Project } | { refusal: ProjectRefusal } {
  const name = projectName(app);
  const found = lookup(name);
  if (!found) {
    if (name === DEFAULT_PROJECT) return { project: { name, spec: IMPLICIT_DEFAULT } };
    return {
      refusal: {
        code: 'ProjectNotFound',
        project: name,
        rule: 'project',
        message: `project ${name} does not exist: create AppProject ${controllerNamespace}/${name}, or set spec.project to an existing project`,
      },
    };
  }
  const project: Project = { name, spec: found.spec };
  const appNs = app.metadata.namespace ?? '';
  const sources = found.spec.sourceNamespaces ?? [];
  if (appNs !== controllerNamespace && !sources.some((g) => globMatch(g, appNs)))
    return {
      refusal: {
        code: 'ProjectRefused',
        project: name,
        rule: 'sourceNamespaces',
        message: `project ${name} does not allow Applications in namespace ${appNs} (sourceNamespaces: ${sources.join(', ') || 'none listed'}; Applications in ${controllerNamespace} always may)`,
      },
    };
  return { project };
}

/** The app's repository and destination, before anything is fetched or rendered. */
export function refuseApp(
  project: Project,
  app: Application,
  dst: Destination,
): ProjectRefusal | undefined {
  return checkSource(project, app.spec.source.repoURL) ?? checkDestination(project, dst);
}

/** Every object the project refuses (kinds, and namespaces of namespaced objects). */
export function refuseObjects(
  project: Project,
  objects: ReadonlyArray<{ ref: ObjectRef; namespaced: boolean }>,
  cluster: Pick<Destination, 'server' | 'name'>,
): ProjectRefusal[] {
  const out: ProjectRefusal[] = [];
  for (const o of objects) {
    const r = checkObject(project, o.ref, o.namespaced, cluster);
    if (r) out.push(r);
  }
  return out;
}
