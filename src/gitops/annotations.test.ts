import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import {
  appOfTrackingId,
  deletePolicies,
  hookTypes,
  parseOptions,
  syncWave,
  trackingId,
} from './annotations.ts';

const obj = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'm', annotations },
});

describe('annotations', () => {
  it('builds and reads tracking ids', () => {
    const id = trackingId('sluice-system', 'guestbook', {
      group: 'apps',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
    });
    expect(id).toBe('sluice-system_guestbook:apps/Deployment:shop/web');
    expect(appOfTrackingId(id)).toEqual({ namespace: 'sluice-system', name: 'guestbook' });
    expect(appOfTrackingId('garbage')).toBeUndefined();
  });

  it('reads hooks from Sluice, Argo CD and Helm annotations', () => {
    expect(hookTypes(obj({ 'sluice.dev/hook': 'PreSync' }))).toEqual(['PreSync']);
    expect(hookTypes(obj({ 'argocd.argoproj.io/hook': 'PostSync,SyncFail' }))).toEqual([
      'PostSync',
      'SyncFail',
    ]);
    expect(hookTypes(obj({ 'helm.sh/hook': 'pre-install,pre-upgrade' }))).toEqual(['PreSync']);
    expect(hookTypes(obj({ 'helm.sh/hook': 'post-upgrade' }))).toEqual(['PostSync']);
    expect(hookTypes(obj({}))).toEqual([]);
  });

  it.each([
    { name: 'Skip → skipped', a: { 'argocd.argoproj.io/hook': 'Skip' }, hooks: ['Skip'] },
    {
      name: 'spaces around names are ignored',
      a: { 'sluice.dev/hook': ' PreSync , PostSync ' },
      hooks: ['PreSync', 'PostSync'],
    },
    {
      name: 'unknown names are dropped',
      a: { 'sluice.dev/hook': 'PreSync,BeforeLunch' },
      hooks: ['PreSync'],
    },
    {
      name: "Sluice's annotation wins over Argo CD's",
      a: { 'sluice.dev/hook': 'PostSync', 'argocd.argoproj.io/hook': 'PreSync' },
      hooks: ['PostSync'],
    },
    {
      name: "Argo CD's annotation wins over Helm's",
      a: { 'argocd.argoproj.io/hook': 'Sync', 'helm.sh/hook': 'pre-install' },
      hooks: ['Sync'],
    },
    {
      name: 'Helm install and upgrade hooks map to PreSync and PostSync',
      a: { 'helm.sh/hook': 'pre-install,post-install' },
      hooks: ['PreSync', 'PostSync'],
    },
    {
      name: 'Helm hooks Sluice does not run map to nothing',
      a: { 'helm.sh/hook': 'pre-delete,test' },
      hooks: [],
    },
  ])('hook annotation: $name', ({ a, hooks }) => {
    expect(hookTypes(obj(a))).toEqual(hooks);
  });

  it('reads sync waves, using the Helm hook weight for Helm hooks only', () => {
    expect(syncWave(obj({ 'sluice.dev/sync-wave': '-2' }))).toBe(-2);
    expect(syncWave(obj({ 'argocd.argoproj.io/sync-wave': '3' }))).toBe(3);
    expect(syncWave(obj({ 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '5' }))).toBe(5);
    expect(syncWave(obj({ 'helm.sh/hook-weight': '5' }))).toBe(0);
    expect(syncWave(obj({ 'sluice.dev/sync-wave': 'x' }))).toBe(0);
  });

  it('maps delete policies and defaults to BeforeHookCreation', () => {
    expect([
      ...deletePolicies(
        obj({ 'helm.sh/hook-delete-policy': 'hook-succeeded,before-hook-creation' }),
      ),
    ]).toEqual(['HookSucceeded', 'BeforeHookCreation']);
    expect([...deletePolicies(obj({}))]).toEqual(['BeforeHookCreation']);
  });

  it('parses option lists', () => {
    const o = parseOptions(['CreateNamespace=true', 'PruneLast=true,Prune=false']);
    expect(o.get('CreateNamespace')).toBe('true');
    expect(o.get('Prune')).toBe('false');
  });
});
