/**
 * The AppProjects of the controller's namespace, from a watch cache: the engine's project gate
 * reads them with no request, and every change to a project re-queues the apps in it (found
 * through the Application controller's `project` index), so widening a project lets a refused
 * app sync at once and narrowing one stops the next sync.
 */
import type { Application } from '../../api/application.ts';
import { PROJECT_API_VERSION, PROJECT_KIND, type AppProject } from '../../api/project.ts';
import type { Kube } from '../../kube/api.ts';
import { Informer } from '../../kube/informer.ts';
import type { ProjectGate } from './gate.ts';
import { projectName, resolveProject } from './resolve.ts';

/** The `project` index of Applications: the name of the project each is in. */
export const projectIndex = (app: Application): string[] => [projectName(app)];

export class ProjectCache {
  readonly namespace: string;
  readonly gate: ProjectGate;
  private readonly informer: Informer<AppProject>;

  constructor(
    kube: Kube,
    namespace: string,
    options: { onChange: (project: string) => void; onError: (err: unknown) => void },
  ) {
    this.namespace = namespace;
    this.informer = new Informer<AppProject>(kube, {
      apiVersion: PROJECT_API_VERSION,
      kind: PROJECT_KIND,
      namespace,
      onError: options.onError,
    });
    this.informer.on((_type, project) => options.onChange(project.metadata.name));
    this.gate = {
      resolve: (app) => resolveProject(app, (name) => this.get(name), this.namespace),
    };
  }

  get(name: string): AppProject | undefined {
    return this.informer.get(this.namespace, name);
  }

  /** Resolves after the first list: no app is judged against a project not yet seen. */
  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }
}
