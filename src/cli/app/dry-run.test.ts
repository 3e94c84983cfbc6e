import { describe, expect, it } from 'vitest';
import type { Change } from '../../gitops/changes.ts';
import type { DesiredResource } from '../../gitops/preflight.ts';
import { planSync } from './dry-run.ts';

const change = (action: Change['action'], kind: string, name: string, group = ''): Change => ({
  group,
  version: 'v1',
  kind,
  namespace: 'shop',
  name,
  action,
  changedPaths: action === 'update' ? ['/spec/replicas'] : action === 'unchanged' ? [] : [''],
});
const changes = [
  change('update', 'Deployment', 'web', 'apps'),
  change('create', 'ConfigMap', 'settings'),
  change('unchanged', 'Service', 'web'),
  change('delete', 'Secret', 'old'),
];
const hook: DesiredResource = {
  ref: { group: 'batch', kind: 'Job', namespace: 'shop', name: 'migrate' },
  key: 'batch/Job/shop/migrate',
  version: 'v1',
  object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' } },
  namespaced: true,
  wave: 0,
  options: new Map(),
  hooks: ['PreSync'],
};

describe('planSync', () => {
  it.each<[string, boolean, string[]]>([
    [
      'without --prune: what left Git is only reported',
      false,
      [
        'hook Job/migrate',
        'configure Deployment/web',
        'create ConfigMap/settings',
        'unchanged Service/web',
        'pruneSkipped Secret/old',
      ],
    ],
    [
      'with --prune it is pruned',
      true,
      [
        'hook Job/migrate',
        'configure Deployment/web',
        'create ConfigMap/settings',
        'unchanged Service/web',
        'prune Secret/old',
      ],
    ],
  ])('%s', (_case, prune, want) => {
    const { steps } = planSync(changes, [hook], { prune, selectors: [] });
    expect(steps.map((s) => `${s.action} ${s.kind}/${s.name}`)).toEqual(want);
  });

  it('--resource keeps only the named objects, runs no hooks, reports unknown names', () => {
    const { steps, unmatched } = planSync(changes, [hook], {
      prune: false,
      selectors: [
        { group: 'apps', kind: 'Deployment', name: 'web' },
        { group: '', kind: 'Service', namespace: 'shop', name: 'web' },
        { group: '', kind: 'Service', namespace: 'other', name: 'web' },
        { group: '', kind: 'Deployment', name: 'web' },
      ],
    });
    expect(steps.map((s) => `${s.action} ${s.kind}/${s.name}`)).toEqual([
      'configure Deployment/web',
      'unchanged Service/web',
    ]);
    expect(unmatched.map((s) => `${s.group}:${s.kind}:${s.namespace ?? ''}`)).toEqual([
      ':Service:other',
      ':Deployment:',
    ]);
  });

  it('says why a prune is skipped and what changed', () => {
    const { steps } = planSync(changes, [], { prune: false, selectors: [] });
    expect(steps[0]?.changedPaths).toEqual(['/spec/replicas']);
    expect(steps.at(-1)?.message).toContain('--prune');
  });
});
