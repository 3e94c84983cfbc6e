/**
 * A Task's declared workspaces matched with what the run binds them to: every workspace that is
 * not `optional` must be bound, a binding names exactly one source (emptyDir, configMap, secret,
 * persistentVolumeClaim, volumeClaimTemplate). Bindings the Task does not declare are ignored
 * (a Pipeline may bind more than a Task uses). Each workspace gets its path (`mountPath`, default
 * `/workspace/<name>`; '' when optional and unbound) and a pod volume name.
 */
import type { TaskSpec, WorkspaceBinding } from '../../api/pipeline.ts';
import { TaskError } from './errors.ts';
import type { WorkspaceView } from './variables.ts';

export const WORKSPACE_SOURCES = [
  'emptyDir',
  'configMap',
  'secret',
  'persistentVolumeClaim',
  'volumeClaimTemplate',
] as const;
export type WorkspaceSource = (typeof WORKSPACE_SOURCES)[number];

export interface ResolvedWorkspace extends WorkspaceView {
  readOnly: boolean;
  optional: boolean;
  /** What it is bound to; undefined: an optional workspace left unbound. */
  binding: WorkspaceBinding | undefined;
  source: WorkspaceSource | undefined;
}

function sourceOf(b: WorkspaceBinding): WorkspaceSource {
  const set = WORKSPACE_SOURCES.filter((s) => b[s] !== undefined);
  if (set.length === 1) return set[0]!;
  throw new TaskError(
    'InvalidWorkspace',
    `workspace "${b.name}" must be bound to exactly one of ${WORKSPACE_SOURCES.join(', ')}${set.length ? ` (it names ${set.join(' and ')})` : ''}`,
    { workspace: b.name },
  );
}

/**
 * The Task's workspaces with their bindings. `paths` overrides where a workspace is (the local
 * executor's directories); otherwise the Task's `mountPath` or `/workspace/<name>`.
 */
export function resolveWorkspaces(
  spec: Pick<TaskSpec, 'workspaces'>,
  bindings: readonly WorkspaceBinding[],
  paths: Readonly<Record<string, string>> = {},
): ResolvedWorkspace[] {
  return (spec.workspaces ?? []).map((decl, i) => {
    const binding = bindings.find((b) => b.name === decl.name);
    if (!binding && !decl.optional) {
      throw new TaskError(
        'MissingWorkspace',
        `workspace "${decl.name}" is declared by the Task but the run does not bind it`,
        { workspace: decl.name },
        'bind it in the run’s `workspaces` (emptyDir, configMap, secret, persistentVolumeClaim or volumeClaimTemplate), or mark it optional in the Task',
      );
    }
    const source = binding ? sourceOf(binding) : undefined;
    const path = binding ? (paths[decl.name] ?? decl.mountPath ?? `/workspace/${decl.name}`) : '';
    return {
      name: decl.name,
      path,
      bound: binding !== undefined,
      claim: binding?.persistentVolumeClaim?.claimName ?? '',
      volumeName: `ws-${i}`,
      readOnly: decl.readOnly === true || source === 'configMap' || source === 'secret',
      optional: decl.optional === true,
      binding,
      source,
    };
  });
}
