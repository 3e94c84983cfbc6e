/**
 * The Pod of a TaskRun as plain typed JSON, and the names everything agrees on: labels, the
 * script annotations, the results container, the paths inside the pod, the pod's name per
 * attempt. Only the fields the executor reads or writes are typed.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ObjectMeta } from '../../kube/types.ts';

export type Json = Record<string, unknown>;

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Json[];
  envFrom?: Json[];
  workingDir?: string;
  securityContext?: Json;
  resources?: Json;
  volumeMounts?: Json[];
  imagePullPolicy?: string;
  /** Native sidecars: an init container that keeps running (`Always`). */
  restartPolicy?: 'Always';
}

export interface PodSpec {
  restartPolicy: 'Never';
  initContainers: Container[];
  containers: Container[];
  volumes: Json[];
  serviceAccountName?: string;
  activeDeadlineSeconds?: number;
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  [field: string]: unknown;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  state?: ContainerState;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  reason?: string;
  message?: string;
  startTime?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

export interface Pod extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: PodSpec;
  status?: PodStatus;
}

/** On every pod of a TaskRun: the TaskRun's name (what `kubectl get pods -l` selects on). */
export const TASK_RUN_LABEL = 'sluice.dev/taskRun';
export const TASK_LABEL = 'sluice.dev/task';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** A step's script, delivered into the pod by a downwardAPI volume (`<prefix><index>`). */
export const SCRIPT_ANNOTATION_PREFIX = 'sluice.dev/script-';
export const SIDECAR_SCRIPT_ANNOTATION_PREFIX = 'sluice.dev/sidecar-script-';

/** The last container: prints the results for the controller to read from its log. */
export const RESULTS_CONTAINER = 'sluice-results';
export const SCRIPTS_DIR = '/sluice/scripts';
export const WORKSPACE_DIR = '/workspace';

export const VOLUMES = {
  results: 'sluice-results',
  scripts: 'sluice-scripts',
  workspace: 'sluice-workspace',
} as const;

const hash8 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

/**
 * `<base>-<suffix>`, at most 63 characters (a label value and a host name): a longer one keeps
 * a prefix and a hash of the whole, so it stays unique.
 */
export function childName(base: string, suffix: string): string {
  const full = `${base}-${suffix}`;
  if (full.length <= 63) return full;
  return `${base.slice(0, 63 - suffix.length - 10)}-${hash8(full)}-${suffix}`;
}

/** The pod of an attempt: `<run>-pod`, then `<run>-pod-retry1`, ... (as Tekton). */
export function podName(taskRun: string, attempt: number): string {
  return childName(taskRun, attempt === 0 ? 'pod' : `pod-retry${attempt}`);
}

/** A label value for the TaskRun's name (names longer than 63 characters are shortened). */
export function labelValue(name: string): string {
  return name.length <= 63 ? name : `${name.slice(0, 54)}-${hash8(name)}`;
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
