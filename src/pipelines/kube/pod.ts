/**
 * The Pod of one TaskRun attempt, built from the resolved Task (pure).
 *
 * - Steps are init containers, in order, running the user's images: Kubernetes runs them one
 *   after the other and stops at the first that fails, so no binary of ours has to be in the
 *   user's image. Sidecars come first, as native sidecars (init containers that keep running).
 * - A step's `script` travels in a pod annotation, projected into the pod by a downwardAPI
 *   volume at `/sluice/scripts/<container>` (mode 0755) and run as the container's command; its
 *   `#!` line picks the interpreter. No extra object, no preparing container.
 * - Every step mounts an emptyDir at `/sluice/results` (what `$(results.x.path)` names), one at
 *   `/workspace` (as Tekton), and the run's workspaces.
 * - The one regular container prints the results (results.ts) when every step has succeeded.
 * - A step with its own `timeout` or `onError: continue` runs under a wrapper (wrap.ts).
 */
import type { TaskRun } from '../../api/pipeline.ts';
import type { ResolvedStep, ResolvedTask } from '../task/resolve.ts';
import type { ResolvedWorkspace } from '../task/workspaces.ts';
import { resultsScript } from './results.ts';
import { needsWrapper, toolsContainer, TOOLS_VOLUME, wrapContainer } from './wrap.ts';
import {
  type Container,
  type Json,
  labelValue,
  MANAGED_BY_LABEL,
  type Pod,
  podName,
  RESULTS_CONTAINER,
  SCRIPT_ANNOTATION_PREFIX,
  SCRIPTS_DIR,
  SIDECAR_SCRIPT_ANNOTATION_PREFIX,
  TASK_LABEL,
  TASK_RUN_LABEL,
  VOLUMES,
  WORKSPACE_DIR,
} from './pods.ts';

export interface PodOptions {
  /**
   * The image of the results container: any image with sh, wc and base64 (and a static
   * /bin/busybox when a step is wrapped, wrap.ts).
   */
  helperImage: string;
  /** 0 for the first attempt, then 1, 2, ... (`spec.retries`). */
  attempt: number;
  /** The Task's name (label `sluice.dev/task`), when it has one. */
  taskName?: string;
  /** Kubelet's own deadline for the pod (the TaskRun's timeout left). */
  activeDeadlineSeconds?: number;
  /** Run on this node (the node of the run's other pods sharing a PVC). */
  nodeName?: string;
  /** The controller's default pod template: what the run's own `podTemplate` does not set. */
  defaultPodTemplate?: Json;
}

/**
 * The run's podTemplate over the controller's default (Tekton's `default-pod-template`): each
 * field the run sets wins; `env` and `volumes` are merged by name, the run's entry winning.
 */
export function effectivePodTemplate(run: Json | undefined, defaults: Json | undefined): Json {
  if (!defaults) return run ?? {};
  const own = run ?? {};
  const byName = (key: 'env' | 'volumes'): Json[] | undefined => {
    const mine = (own[key] as Json[] | undefined) ?? [];
    const theirs = (defaults[key] as Json[] | undefined) ?? [];
    const names = new Set(mine.map((e) => e['name']));
    const merged = [...theirs.filter((e) => !names.has(e['name'])), ...mine];
    return merged.length ? merged : undefined;
  };
  const out: Json = { ...defaults, ...own };
  for (const key of ['env', 'volumes'] as const) {
    const merged = byName(key);
    if (merged) out[key] = merged;
  }
  return out;
}

/** The pod-level fields a TaskRun's `podTemplate` may set (Tekton's PodTemplate). */
const POD_TEMPLATE_FIELDS = [
  'nodeSelector',
  'tolerations',
  'affinity',
  'securityContext',
  'runtimeClassName',
  'automountServiceAccountToken',
  'dnsPolicy',
  'dnsConfig',
  'enableServiceLinks',
  'priorityClassName',
  'schedulerName',
  'imagePullSecrets',
  'hostAliases',
  'hostNetwork',
  'topologySpreadConstraints',
  'hostUsers',
] as const;

function workspaceVolume(ws: ResolvedWorkspace): Json | undefined {
  const b = ws.binding;
  if (!b || !ws.source) return undefined;
  if (ws.source === 'volumeClaimTemplate') {
    throw new Error(`workspace "${ws.name}": a volumeClaimTemplate must become a PVC first`);
  }
  const source =
    ws.source === 'persistentVolumeClaim'
      ? { claimName: b.persistentVolumeClaim!.claimName }
      : b[ws.source];
  return { name: ws.volumeName, [ws.source]: source ?? {} };
}

function workspaceMounts(task: ResolvedTask): Json[] {
  return task.workspaces
    .filter((w) => w.bound)
    .map((w) => ({
      name: w.volumeName,
      mountPath: w.path,
      ...(w.readOnly ? { readOnly: true } : {}),
      ...(w.binding?.subPath ? { subPath: w.binding.subPath } : {}),
    }));
}

/** The podTemplate's `env` under the step's own (the step wins, as Tekton). */
function withTemplateEnv(env: readonly Json[], templateEnv: readonly Json[]): Json[] {
  const own = new Set(env.map((e) => e['name']));
  return [...templateEnv.filter((e) => !own.has(e['name'])), ...env];
}

function container(step: ResolvedStep, mounts: Json[], templateEnv: readonly Json[]): Container {
  const env = withTemplateEnv(step.env, templateEnv);
  const scripted = step.script !== undefined;
  return {
    name: step.container,
    image: step.image,
    ...(scripted ? { command: [`${SCRIPTS_DIR}/${step.container}`] } : {}),
    ...(!scripted && step.command ? { command: step.command } : {}),
    ...(step.args ? { args: step.args } : {}),
    ...(env.length ? { env } : {}),
    ...(step.envFrom.length ? { envFrom: step.envFrom } : {}),
    ...(step.workingDir ? { workingDir: step.workingDir } : {}),
    ...(step.securityContext ? { securityContext: step.securityContext } : {}),
    ...(step.computeResources ? { resources: step.computeResources } : {}),
    ...(step.imagePullPolicy ? { imagePullPolicy: step.imagePullPolicy } : {}),
    volumeMounts: [
      ...mounts,
      ...(scripted ? [{ name: VOLUMES.scripts, mountPath: SCRIPTS_DIR, readOnly: true }] : []),
      ...step.volumeMounts,
    ],
  };
}

/** Scripts as annotations, and the downwardAPI items that turn them into files. */
function scripts(task: ResolvedTask): { annotations: Record<string, string>; items: Json[] } {
  const annotations: Record<string, string> = {};
  const items: Json[] = [];
  const add = (steps: readonly ResolvedStep[], prefix: string): void =>
    steps.forEach((s, i) => {
      if (s.script === undefined) return;
      const key = `${prefix}${i}`;
      annotations[key] = s.script;
      items.push({ path: s.container, fieldRef: { fieldPath: `metadata.annotations['${key}']` } });
    });
  add(task.steps, SCRIPT_ANNOTATION_PREFIX);
  add(task.sidecars, SIDECAR_SCRIPT_ANNOTATION_PREFIX);
  return { annotations, items };
}

function podTemplateFields(t: Json, nodeName: string | undefined): Json {
  const out: Json = {};
  for (const f of POD_TEMPLATE_FIELDS) if (t[f] !== undefined) out[f] = t[f];
  if (nodeName) {
    const selector = (out['nodeSelector'] as Record<string, string> | undefined) ?? {};
    out['nodeSelector'] = { ...selector, 'kubernetes.io/hostname': nodeName };
  }
  return out;
}

function labels(run: TaskRun, taskName: string | undefined): Record<string, string> {
  return {
    ...run.metadata.labels,
    [TASK_RUN_LABEL]: labelValue(run.metadata.name),
    ...(taskName ? { [TASK_LABEL]: labelValue(taskName) } : {}),
    [MANAGED_BY_LABEL]: 'sluice',
  };
}

/** The TaskRun's annotations go to its pod (as Tekton), except kubectl's bookkeeping. */
function copiedAnnotations(run: TaskRun): Record<string, string> {
  const out = { ...run.metadata.annotations };
  delete out['kubectl.kubernetes.io/last-applied-configuration'];
  return out;
}

/** The Pod for `run`'s attempt `o.attempt`, running `task`. */
export function buildPod(task: ResolvedTask, run: TaskRun, o: PodOptions): Pod {
  const template = effectivePodTemplate(run.spec.podTemplate, o.defaultPodTemplate);
  const templateEnv = (template['env'] as Json[] | undefined) ?? [];
  const base: Json[] = [
    { name: VOLUMES.results, mountPath: task.resultsDir },
    { name: VOLUMES.workspace, mountPath: WORKSPACE_DIR },
    ...workspaceMounts(task),
  ];
  const { annotations, items } = scripts(task);
  const sidecars = task.sidecars.map((s) => ({
    ...container(s, base, templateEnv),
    restartPolicy: 'Always' as const,
  }));
  const steps = task.steps.map((s) => {
    const c = container(s, base, templateEnv);
    return needsWrapper(s) ? wrapContainer(s, c) : c;
  });
  const wrapped = task.steps.some(needsWrapper);
  const results: Container = {
    name: RESULTS_CONTAINER,
    image: o.helperImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c', resultsScript(task.resultsDir), RESULTS_CONTAINER],
    args: task.results.map((r) => r.name),
    volumeMounts: [{ name: VOLUMES.results, mountPath: task.resultsDir, readOnly: true }],
  };
  const templateVolumes = (template['volumes'] as Json[] | undefined) ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(run.metadata.name, o.attempt),
      namespace: run.metadata.namespace,
      labels: labels(run, o.taskName),
      annotations: { ...copiedAnnotations(run), ...annotations },
      ownerReferences: [
        {
          apiVersion: run.apiVersion,
          kind: run.kind,
          name: run.metadata.name,
          uid: run.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        } as NonNullable<Pod['metadata']['ownerReferences']>[number],
      ],
    },
    spec: {
      restartPolicy: 'Never',
      ...podTemplateFields(template, o.nodeName),
      ...(run.spec.serviceAccountName ? { serviceAccountName: run.spec.serviceAccountName } : {}),
      ...(o.activeDeadlineSeconds ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
      initContainers: [...(wrapped ? [toolsContainer(o.helperImage)] : []), ...sidecars, ...steps],
      containers: [results],
      volumes: [
        { name: VOLUMES.results, emptyDir: {} },
        { name: VOLUMES.workspace, emptyDir: {} },
        ...(wrapped ? [{ name: TOOLS_VOLUME, emptyDir: {} }] : []),
        ...(items.length
          ? [{ name: VOLUMES.scripts, downwardAPI: { defaultMode: 0o755, items } }]
          : []),
        ...task.workspaces.map(workspaceVolume).filter((v): v is Json => v !== undefined),
        ...task.volumes,
        ...templateVolumes,
      ],
    },
  };
}
