import { describe, expect, it } from 'vitest';
import type { KubeObject, ObjectRef } from '../kube/types.ts';
import { apiVersionOf, keepReason } from './prune.ts';
import { leftover } from './testing/fixtures.ts';

const APP = { namespace: 'sluice-system', name: 'guestbook' };
const REF: ObjectRef = {
  group: '',
  kind: 'ConfigMap',
  namespace: 'guestbook',
  name: 'old-settings',
};
const OURS = 'sluice-system_guestbook:/ConfigMap:guestbook/old-settings';

const live = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'old-settings', namespace: 'guestbook', uid: 'u-1', annotations },
});

describe('keepReason', () => {
  it.each([
    {
      name: 'still tracked by this app → deleted',
      annotations: { 'sluice.dev/tracking-id': OURS },
      kept: undefined,
    },
    {
      name: 'Prune=true → deleted',
      annotations: { 'sluice.dev/tracking-id': OURS, 'sluice.dev/sync-options': 'Prune=true' },
      kept: undefined,
    },
    {
      name: 'adopted by another app → kept, naming it',
      annotations: {
        'sluice.dev/tracking-id': 'sluice-system_shop:/ConfigMap:guestbook/old-settings',
      },
      kept: 'ConfigMap/guestbook/old-settings is now tracked by sluice-system_shop:/ConfigMap:guestbook/old-settings; not deleted',
    },
    {
      name: 'tracking annotation removed by hand → kept',
      annotations: {},
      kept: 'ConfigMap/guestbook/old-settings is now tracked by nobody; not deleted',
    },
    {
      name: 'Prune=false (Sluice annotation) → kept',
      annotations: { 'sluice.dev/tracking-id': OURS, 'sluice.dev/sync-options': 'Prune=false' },
      kept: 'Prune=false: left in place (delete it by hand if it should go)',
    },
    {
      name: 'Prune=false among other Argo CD sync options → kept',
      annotations: {
        'sluice.dev/tracking-id': OURS,
        'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false',
      },
      kept: 'Prune=false: left in place (delete it by hand if it should go)',
    },
  ])('$name', ({ annotations, kept }) => {
    expect(keepReason(live(annotations), REF, APP)).toBe(kept);
  });
});

describe('apiVersionOf', () => {
  it.each([
    { name: 'core group → version only', entry: leftover('ConfigMap', 'c'), apiVersion: 'v1' },
    {
      name: 'named group → group/version',
      entry: leftover('Deployment', 'web', { group: 'apps' }),
      apiVersion: 'apps/v1',
    },
  ])('$name', ({ entry, apiVersion }) => {
    expect(apiVersionOf(entry)).toBe(apiVersion);
  });
});
