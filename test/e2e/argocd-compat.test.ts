/**
 * Bringing an Argo CD Application over by changing only its apiVersion: it syncs into the
 * namespace it creates, heals, and deleting it cascades through Argo CD's own finalizer name
 * (which Sluice honours as its own), then lets the Application go.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Application } from '../../src/api/application.ts';
import { eventually, kube, uniqueName, useNamespace } from './harness.ts';
import {
  configMap,
  createRepo,
  getApp,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('argo');

const argoManifest = (name: string, namespace: string, repo: string, target: string): string => `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: ${namespace}
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: default
  source:
    repoURL: ${repo}
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: ${target}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
`;

describe('Argo CD manifests', () => {
  it('an Argo CD Application with only its apiVersion changed syncs, and deletes with cascade', async () => {
    const k = await kube();
    const repo = await createRepo({ 'guestbook/cm.yaml': configMap('guestbook-ui', { v: '1' }) });
    await startController(k, ns());
    const name = uniqueName('guestbook');
    const target = uniqueName('gb');
    const text = argoManifest(name, ns(), repo.url, target).replace(
      'apiVersion: argoproj.io/v1alpha1',
      'apiVersion: sluice.dev/v1alpha1',
    );
    try {
      await k.create(parse(text) as Application);
      await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
      expect(await k.get('v1', 'ConfigMap', target, 'guestbook-ui')).toBeDefined();
      // Argo CD's finalizer cascades: the objects go first, then the Application.
      const app = await getApp(k, ns(), name);
      await k.delete(app as Application);
      await eventually('the Application gone', async () =>
        (await getApp(k, ns(), name)) ? undefined : true,
      );
      expect(await k.get('v1', 'ConfigMap', target, 'guestbook-ui')).toBeUndefined();
    } finally {
      await k
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } })
        .catch(() => false);
    }
  });
});
