/**
 * The shapes every renderer shares: what to render, and what came out.
 */
import type { ApplicationSource } from '../api/application.ts';
import type { KubeObject } from '../kube/types.ts';
import type { RenderBudget } from './limits.ts';

/** Which tool turned the app's files into objects. */
export type RenderTool = 'directory' | 'kustomize' | 'helm';

/** One app's manifests to render from a checked-out revision. */
export interface RenderRequest {
  /**
   * Absolute path of a checked-out repository tree. READ-ONLY: many apps share it, so nothing
   * here ever writes into it (temporary files go under `os.tmpdir()`).
   */
  root: string;
  /** The app's path relative to `root`; `''` or `'.'` is the root itself. */
  path: string;
  /** Helm / Kustomize / directory options (spec.source of the Application). */
  source: ApplicationSource;
  /** Default Helm release name (the Application's name). */
  appName: string;
  /** Destination namespace, passed to `helm template --namespace`. */
  namespace: string;
  /** `helm template --kube-version`, e.g. `1.36.3`. */
  kubeVersion?: string;
  /** `helm template --api-versions`, e.g. `monitoring.coreos.com/v1/ServiceMonitor`. */
  apiVersions?: string[];
}

/** The objects a render produced, in the order the tool emitted them. */
export interface RenderResult {
  tool: RenderTool;
  objects: KubeObject[];
}

export interface RenderOptions {
  /** Wall-clock budget for the whole render, tool run included. Default 90 s. */
  timeoutMs?: number;
}

/** What a renderer gets besides the request: where the app is and how long it may take. */
export interface RenderContext {
  /** Real absolute path of the repository root (symlinks resolved). */
  root: string;
  /** Real absolute path of the app directory, inside `root`. */
  appDir: string;
  /** The app directory relative to the root, POSIX separators, `.` for the root. */
  appPath: string;
  /** `Date.now()` value after which the render fails with RenderTimeout. */
  deadline: number;
  /** What the render may still produce (spec.source.limits over the defaults), and its totals. */
  budget: RenderBudget;
}
