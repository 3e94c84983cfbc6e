/**
 * `sluice app sync --dry-run`: what a sync would do to each object (create, configure, prune,
 * unchanged), computed here from the same comparison as `app diff`; nothing is written. With
 * `--resource`, only the named objects (and, as in Argo CD, no hooks run in a selective sync).
 */
import type { Change } from '../../gitops/changes.ts';
import { buildChanges } from '../../gitops/changes.ts';
import type { DesiredResource } from '../../gitops/preflight.ts';
import type { Kube } from '../../kube/api.ts';
import { formatRef } from '../../kube/types.ts';
import { formatTable, printData, type OutputFormat } from '../output.ts';
import { getApp } from './common.ts';
import type { ResourceSelector } from './flags.ts';
import { compareLocally, type LocalOptions } from './local.ts';

export type SyncStepAction =
  'create' | 'configure' | 'prune' | 'pruneSkipped' | 'unchanged' | 'error' | 'hook';

export interface SyncStep {
  action: SyncStepAction;
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  changedPaths: string[];
  message?: string;
}

interface Named {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

export const selects = (s: ResourceSelector, o: Named): boolean =>
  s.group === o.group &&
  s.kind === o.kind &&
  s.name === o.name &&
  (s.namespace === undefined || s.namespace === (o.namespace ?? ''));

const ACTIONS: Record<Change['action'], SyncStepAction> = {
  create: 'create',
  update: 'configure',
  delete: 'prune',
  unchanged: 'unchanged',
  error: 'error',
};

function stepOf(c: Change, prune: boolean): SyncStep {
  const action = c.action === 'delete' && !prune ? 'pruneSkipped' : ACTIONS[c.action];
  const message =
    action === 'pruneSkipped' ? 'no longer in Git; a sync with --prune deletes it' : c.error;
  return {
    action,
    group: c.group,
    kind: c.kind,
    ...(c.namespace ? { namespace: c.namespace } : {}),
    name: c.name,
    changedPaths: c.changedPaths,
    ...(message ? { message } : {}),
  };
}

function hookStep(h: DesiredResource): SyncStep {
  return {
    action: 'hook',
    group: h.ref.group,
    kind: h.ref.kind,
    ...(h.ref.namespace ? { namespace: h.ref.namespace } : {}),
    name: h.ref.name,
    changedPaths: [],
    message: `${(h.hooks ?? []).join(', ')} hook: runs during the sync`,
  };
}

/** The steps a sync would take, and the selectors that name no object of the app. */
export function planSync(
  changes: readonly Change[],
  hooks: readonly DesiredResource[],
  options: { prune: boolean; selectors: readonly ResourceSelector[] },
): { steps: SyncStep[]; unmatched: ResourceSelector[] } {
  const { selectors } = options;
  const chosen =
    selectors.length === 0 ? changes : changes.filter((c) => selectors.some((s) => selects(s, c)));
  const unmatched = selectors.filter((s) => !changes.some((c) => selects(s, c)));
  const steps = chosen.map((c) => stepOf(c, options.prune));
  if (selectors.length === 0) steps.unshift(...hooks.map(hookStep));
  return { steps, unmatched };
}

const selectorText = (s: ResourceSelector): string =>
  `${s.group}:${s.kind}:${s.namespace ? `${s.namespace}/` : ''}${s.name}`;

export async function dryRunSync(
  kube: Kube,
  name: string,
  o: LocalOptions & { prune?: boolean; output: OutputFormat },
  selectors: readonly ResourceSelector[],
): Promise<void> {
  const app = await getApp(kube, o.appNamespace, name);
  const cmp = await compareLocally(kube, app, o);
  const changes = buildChanges(cmp.diffs.values(), cmp.prune, app.spec.ignoreDifferences);
  const { steps, unmatched } = planSync(changes, cmp.plan.hooks, {
    prune: Boolean(o.prune),
    selectors,
  });
  for (const s of unmatched)
    process.stderr.write(`• --resource ${selectorText(s)}: no such object in ${name}\n`);
  printData(o.output, steps, () =>
    formatTable(
      ['ACTION', 'KIND', 'NAMESPACE', 'NAME', 'DETAIL'],
      steps.map((s) => [
        s.action,
        s.group ? `${s.kind}.${s.group}` : s.kind,
        s.namespace ?? '',
        s.name,
        s.message ?? s.changedPaths.filter(Boolean).join(', '),
      ]),
    ),
  );
  const ref = formatRef({ group: '', kind: 'Application', namespace: o.appNamespace, name });
  process.stderr.write(`• dry run of ${ref} at ${cmp.revision.slice(0, 7)}: nothing was changed\n`);
}
