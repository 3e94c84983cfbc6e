/**
 * Workspaces on the cluster: a `volumeClaimTemplate` binding becomes a PVC made for the run
 * (named `<run>-<workspace>`, owned by the TaskRun, so it goes with it) and the binding becomes
 * a `persistentVolumeClaim` one before the Task is resolved; the ConfigMaps, Secrets and PVCs a
 * run binds are checked to exist before its pod is made, so a typo fails at once, naming the
 * object, instead of a pod waiting for a volume that will never come.
 */
import type { TaskRun, WorkspaceBinding } from '../../api/pipeline.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { childName, type Json } from './pods.ts';

/** The PVC a `volumeClaimTemplate` workspace of `run` gets. */
export function claimName(run: TaskRun, workspace: string): string {
  const safe = workspace
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return childName(run.metadata.name, safe || 'ws');
}

/** The run's bindings with every volumeClaimTemplate replaced by its PVC. */
export function withClaims(run: TaskRun): WorkspaceBinding[] {
  return (run.spec.workspaces ?? []).map((b) => {
    if (!b.volumeClaimTemplate) return b;
    const { volumeClaimTemplate: _, ...rest } = b;
    return { ...rest, persistentVolumeClaim: { claimName: claimName(run, b.name) } };
  });
}

/** The PVCs to create for `run` (one per volumeClaimTemplate binding). */
export function claimsToCreate(run: TaskRun): KubeObject[] {
  return (run.spec.workspaces ?? []).flatMap((b) => {
    const t = b.volumeClaimTemplate;
    if (!t) return [];
    const meta = (t['metadata'] as Json | undefined) ?? {};
    return [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName(run, b.name),
          namespace: run.metadata.namespace,
          ...(meta['labels'] ? { labels: meta['labels'] as Record<string, string> } : {}),
          ...(meta['annotations']
            ? { annotations: meta['annotations'] as Record<string, string> }
            : {}),
          ownerReferences: [
            {
              apiVersion: run.apiVersion,
              kind: run.kind,
              name: run.metadata.name,
              uid: run.metadata.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: (t['spec'] as Json | undefined) ?? {},
      },
    ];
  });
}

interface Source {
  workspace: string;
  kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  name: string;
}

function sourcesOf(bindings: readonly WorkspaceBinding[]): Source[] {
  return bindings.flatMap((b): Source[] => {
    const cm = b.configMap as { name?: string; optional?: boolean } | undefined;
    const sec = b.secret as { secretName?: string; optional?: boolean } | undefined;
    if (cm?.name && !cm.optional) return [{ workspace: b.name, kind: 'ConfigMap', name: cm.name }];
    if (sec?.secretName && !sec.optional)
      return [{ workspace: b.name, kind: 'Secret', name: sec.secretName }];
    if (b.persistentVolumeClaim)
      return [
        {
          workspace: b.name,
          kind: 'PersistentVolumeClaim',
          name: b.persistentVolumeClaim.claimName,
        },
      ];
    return [];
  });
}

/**
 * The first bound object that does not exist, as a message naming the workspace and the object;
 * undefined when all are there. `declared` limits the check to the Task's workspaces.
 */
export async function missingSource(
  kube: Kube,
  namespace: string,
  bindings: readonly WorkspaceBinding[],
  declared: ReadonlySet<string>,
): Promise<string | undefined> {
  for (const s of sourcesOf(bindings.filter((b) => declared.has(b.name)))) {
    if (await kube.get('v1', s.kind, namespace, s.name)) continue;
    return `workspace "${s.workspace}": ${s.kind} "${s.name}" does not exist in namespace "${namespace}"`;
  }
  return undefined;
}
