import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import { formatRef, type KubeObject } from '../kube/types.ts';
import { MANAGED_LABEL, TRACKING_ANNOTATION } from './annotations.ts';
import { planObjects, PreflightError, type KindLookup, type Plan } from './preflight.ts';
import { application } from './testing/fixtures.ts';

/** What the test cluster serves: kind -> namespaced. */
const SERVED: Record<string, boolean> = {
  Namespace: false,
  CustomResourceDefinition: false,
  ClusterRole: false,
  ConfigMap: true,
  Deployment: true,
  Job: true,
  Service: true,
};

const lookups = (objects: readonly KubeObject[]): KindLookup[] =>
  objects.map((o) => {
    if (o.kind === 'Broken') return { state: 'failed', message: 'GET /apis/example.com/v1: 503' };
    const namespaced = SERVED[o.kind];
    return namespaced === undefined ? { state: 'notServed' } : { state: 'served', namespaced };
  });

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  extra: Partial<KubeObject['metadata']> & { spec?: unknown } = {},
): KubeObject => {
  const { spec, ...metadata } = extra;
  return { apiVersion, kind, metadata: { name, ...metadata }, ...(spec ? { spec } : {}) };
};
const deploy = (name: string, namespace?: string): KubeObject =>
  obj('apps/v1', 'Deployment', name, namespace ? { namespace } : {});
const hook = (name: string, hook: string, extra: Record<string, string> = {}): KubeObject =>
  obj('batch/v1', 'Job', name, { annotations: { 'sluice.dev/hook': hook, ...extra } });
const widgetCrd = (scope: 'Namespaced' | 'Cluster'): KubeObject =>
  obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', {
    spec: { group: 'example.com', scope, names: { kind: 'Widget', plural: 'widgets' } },
  });
const widget = (name: string): KubeObject => obj('example.com/v1', 'Widget', name);

const plan = (objects: KubeObject[], app: Application = application()): Plan =>
  planObjects(objects, app, lookups(objects));

/** The error refusing the plan of `objects`. */
const refusal = (objects: KubeObject[], app: Application = application()): PreflightError => {
  try {
    plan(objects, app);
  } catch (err) {
    if (err instanceof PreflightError) return err;
    throw err;
  }
  throw new Error('expected the plan to be refused');
};

const withCreateNamespace = (namespace: string | undefined): Application =>
  application({
    spec: {
      destination: namespace ? { namespace } : {},
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  });

interface PlanCase {
  name: string;
  objects: KubeObject[];
  app?: Application;
  resources?: string[];
  hooks?: string[];
  createNamespaces?: string[];
}

describe('planObjects', () => {
  const planCases: PlanCase[] = [
    {
      name: 'namespaced object without a namespace → the destination namespace',
      objects: [deploy('web')],
      resources: ['Deployment/guestbook/web'],
    },
    {
      name: 'namespaced object with its own namespace → kept',
      objects: [deploy('web', 'shop')],
      resources: ['Deployment/shop/web'],
    },
    {
      name: 'no destination namespace → default',
      objects: [deploy('web')],
      app: application({ spec: { destination: {} } }),
      resources: ['Deployment/default/web'],
    },
    {
      name: 'cluster-scoped object given a namespace → namespace dropped',
      objects: [obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', { namespace: 'x' })],
      resources: ['ClusterRole/reader'],
    },
    {
      name: 'kind from a CRD in the same render → planned, namespaced as the CRD says',
      objects: [widgetCrd('Namespaced'), widget('w1')],
      resources: ['CustomResourceDefinition/widgets.example.com', 'Widget/guestbook/w1'],
    },
    {
      name: 'kind from a cluster-scoped CRD in the render → cluster-scoped',
      objects: [widget('w1'), widgetCrd('Cluster')],
      resources: ['Widget/w1', 'CustomResourceDefinition/widgets.example.com'],
    },
    {
      name: 'object with generateName only → named by it',
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'settings-' } }],
      resources: ['ConfigMap/guestbook/settings-'],
    },
    {
      name: 'hooks go to the hooks, resources to the resources',
      objects: [hook('migrate', 'PreSync'), deploy('web'), hook('smoke', 'PostSync')],
      resources: ['Deployment/guestbook/web'],
      hooks: ['Job/guestbook/migrate', 'Job/guestbook/smoke'],
    },
    {
      name: 'a hook may share its name with another hook',
      objects: [hook('check', 'PreSync'), hook('check', 'PostSync')],
      hooks: ['Job/guestbook/check', 'Job/guestbook/check'],
    },
    {
      name: 'Skip → left out (and not looked up)',
      objects: [obj('v1', 'Unserved', 'x', { annotations: { 'sluice.dev/hook': 'Skip' } })],
    },
    {
      name: 'CreateNamespace=true → the destination namespace is created first',
      objects: [deploy('web')],
      app: withCreateNamespace('guestbook'),
      resources: ['Deployment/guestbook/web'],
      createNamespaces: ['guestbook'],
    },
    {
      name: 'CreateNamespace=true, Namespace in the render → not created twice',
      objects: [obj('v1', 'Namespace', 'guestbook'), deploy('web')],
      app: withCreateNamespace('guestbook'),
      resources: ['Namespace/guestbook', 'Deployment/guestbook/web'],
    },
    {
      name: 'CreateNamespace=true without a destination namespace → nothing to create',
      objects: [deploy('web')],
      app: withCreateNamespace(undefined),
      resources: ['Deployment/default/web'],
    },
  ];

  it.each(planCases)('$name', ({ objects, app, resources, hooks, createNamespaces }) => {
    const p = plan(objects, app);
    expect(p.resources.map((r) => formatRef(r.ref))).toEqual(resources ?? []);
    expect(p.hooks.map((r) => formatRef(r.ref))).toEqual(hooks ?? []);
    expect(p.createNamespaces).toEqual(createNamespaces ?? []);
  });

  it.each([
    {
      name: 'same object twice → refused, naming both',
      objects: [deploy('web'), obj('v1', 'Service', 'web'), deploy('web', 'guestbook')],
      problems: ['Deployment/guestbook/web: defined twice (objects #1 and #3 of the render)'],
    },
    {
      name: 'kind the cluster does not serve → refused: install its CRD first',
      objects: [widget('w1')],
      problems: [
        'Widget/w1: the cluster does not serve kind Widget in example.com/v1 (install its CRD first)',
      ],
    },
    {
      name: 'discovery failed → refused with the error',
      objects: [obj('example.com/v1', 'Broken', 'b1')],
      problems: ['Broken/b1: discovery failed: GET /apis/example.com/v1: 503'],
    },
    {
      name: 'every problem is listed, in render order',
      objects: [widget('w1'), deploy('web'), deploy('web')],
      problems: [
        'Widget/w1: the cluster does not serve kind Widget in example.com/v1 (install its CRD first)',
        'Deployment/guestbook/web: defined twice (objects #2 and #3 of the render)',
      ],
    },
  ])('$name', ({ objects, problems: expected }) => {
    expect(refusal(objects).problems).toEqual(expected);
  });

  it('says how many problems there are and that nothing was applied', () => {
    const err = refusal([widget('w1'), widget('w2')]);
    expect(err.message).toMatch(/^2 problems:\n- Widget\/w1: .*\n- Widget\/w2: /);
    expect(err.hint).toMatch(/nothing of this revision was applied/);
    expect(err.code).toBe('PreflightFailed');
  });

  it('marks each planned object as ours and reads its wave and options', () => {
    const input = obj('apps/v1', 'Deployment', 'web', {
      labels: { app: 'web' },
      annotations: {
        'argocd.argoproj.io/sync-wave': '2',
        'argocd.argoproj.io/sync-options': 'Prune=false',
      },
    });
    const [web] = plan([input]).resources;
    expect(web?.object.metadata.annotations?.[TRACKING_ANNOTATION]).toBe(
      'sluice-system_guestbook:apps/Deployment:guestbook/web',
    );
    expect(web?.object.metadata.labels).toEqual({ app: 'web', [MANAGED_LABEL]: 'true' });
    expect(web?.wave).toBe(2);
    expect(web?.options.get('Prune')).toBe('false');
    expect(web?.namespaced).toBe(true);
    expect(input.metadata.namespace).toBeUndefined(); // the render is left alone
  });

  it('gives hooks their delete policies and marks CRD-pending kinds', () => {
    const p = plan([
      hook('migrate', 'PreSync', { 'sluice.dev/hook-delete-policy': 'HookSucceeded' }),
      widgetCrd('Namespaced'),
      widget('w1'),
    ]);
    expect(p.hooks[0]?.hooks).toEqual(['PreSync']);
    expect([...(p.hooks[0]?.deletePolicies ?? [])]).toEqual(['HookSucceeded']);
    expect(p.resources.map((r) => r.crdPending ?? false)).toEqual([false, true]);
  });
});
