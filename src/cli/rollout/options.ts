/**
 * Flags every `sluice rollout` command shares, named as `kubectl argo rollouts` users know them:
 * `--kubeconfig`, `-n/--namespace` (default: the kubeconfig context's namespace, else
 * `default`). And the one way the commands write: a merge patch of spec, then of status (the
 * status subresource), each guarded by the resourceVersion it was decided on.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { Option, type Command } from 'commander';
import type { Rollout } from '../../api/rollout.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { connect, kubeconfigOption } from '../context.ts';
import { kubeconfigFromEnvironment } from '../find-kubeconfig.ts';
import type { Plan } from './actions.ts';
import { getRollout } from './objects.ts';

export interface RolloutOptions {
  kubeconfig?: string;
  namespace?: string;
}

/** The field manager of what the CLI writes (shown in managedFields). */
export const FIELD_MANAGER = 'sluice-cli';

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function addRolloutOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(
      new Option(
        '-n, --namespace <ns>',
        "the Rollout's namespace (default: the kubeconfig context's, else default)",
      ),
    );
}

/** `-n`, else the namespace of the kubeconfig's current context, else `default`. */
export function resolveNamespace(o: RolloutOptions): string {
  if (o.namespace) return o.namespace;
  const path = kubeconfigFromEnvironment(o.kubeconfig);
  try {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    const ns = kc.getContextObject(kc.getCurrentContext())?.namespace;
    if (ns) return ns;
  } catch {
    // An unreadable kubeconfig fails, with a better message, when the client connects.
  }
  try {
    return readFileSync(SA_NAMESPACE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** Runs `fn` with a client and the namespace, and always closes the client. */
export async function withRolloutKube<T>(
  o: RolloutOptions,
  fn: (kube: Kube, namespace: string) => Promise<T>,
): Promise<T> {
  const namespace = resolveNamespace(o);
  const kube = await connect(o);
  try {
    return await fn(kube, namespace);
  } finally {
    await kube.close();
  }
}

/**
 * Reads the Rollout, plans with `plan`, writes the plan (spec first, then status). A write that
 * meets a newer version (409) reads again and plans again, up to five times.
 */
export async function applyPlan(
  kube: Kube,
  namespace: string,
  name: string,
  plan: (ro: Rollout) => Plan,
): Promise<Plan> {
  for (let attempt = 1; ; attempt++) {
    const ro = await getRollout(kube, namespace, name);
    const p = plan(ro);
    try {
      let rv = ro.metadata.resourceVersion;
      if (p.spec) {
        const written = await kube.mergePatch<Rollout>(
          ro,
          { metadata: { resourceVersion: rv }, spec: p.spec },
          { fieldManager: FIELD_MANAGER },
        );
        rv = written.metadata.resourceVersion;
      }
      if (p.status) {
        await kube.mergePatch(
          ro,
          { metadata: { resourceVersion: rv }, status: p.status },
          { subresource: 'status', fieldManager: FIELD_MANAGER },
        );
      }
      return p;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
    }
  }
}
