import { describe, expect, it } from 'vitest';
import { formatRef } from '../kube/types.ts';
import { byKindOrder, byWave, isStageZero } from './order.ts';
import type { DesiredResource } from './preflight.ts';
import { desired } from './testing/fixtures.ts';

const names = (items: readonly DesiredResource[]): string[] => items.map((r) => formatRef(r.ref));

const ns = desired('Namespace', 'shop', { namespace: '' });
const crd = desired('CustomResourceDefinition', 'widgets.example.com', {
  group: 'apiextensions.k8s.io',
  namespace: '',
});
const sa = desired('ServiceAccount', 'web');
const secret = desired('Secret', 'db-password');
const cm = desired('ConfigMap', 'settings');
const role = desired('ClusterRole', 'reader', {
  group: 'rbac.authorization.k8s.io',
  namespace: '',
});
const binding = desired('RoleBinding', 'reader', { group: 'rbac.authorization.k8s.io' });
const svc = desired('Service', 'web');
const deploy = desired('Deployment', 'web', { group: 'apps' });
const job = desired('Job', 'migrate', { group: 'batch' });
const ingress = desired('Ingress', 'web', { group: 'networking.k8s.io' });
const widget = desired('Widget', 'w1', { group: 'example.com' });
const gadget = desired('Gadget', 'g1', { group: 'example.com' });

describe('byKindOrder', () => {
  it.each([
    {
      name: 'a typical app: config and RBAC before Services, workloads, then Ingress',
      items: [ingress, deploy, svc, cm, secret, sa, binding, role],
      expected: [sa, secret, cm, role, binding, svc, deploy, ingress],
    },
    {
      name: 'Namespace and CRD before everything',
      items: [deploy, widget, crd, ns],
      expected: [ns, crd, deploy, widget],
    },
    {
      name: 'custom resources after every built-in kind, by kind name',
      items: [widget, job, gadget, ingress],
      expected: [job, ingress, gadget, widget],
    },
    {
      name: 'same kind: by namespace, then name',
      items: [
        desired('ConfigMap', 'b', { namespace: 'shop' }),
        desired('ConfigMap', 'a', { namespace: 'shop' }),
        desired('ConfigMap', 'z', { namespace: 'billing' }),
      ],
      expected: [
        desired('ConfigMap', 'z', { namespace: 'billing' }),
        desired('ConfigMap', 'a', { namespace: 'shop' }),
        desired('ConfigMap', 'b', { namespace: 'shop' }),
      ],
    },
  ])('$name', ({ items, expected }) => {
    const before = names(items);
    expect(names(byKindOrder(items))).toEqual(names(expected));
    expect(names(items)).toEqual(before); // a sorted copy; the input is left alone
  });
});

describe('byWave', () => {
  const at = (r: DesiredResource, wave: number): DesiredResource => ({ ...r, wave });
  const hook = desired('Job', 'smoke-test', { group: 'batch', wave: 1, hooks: ['Sync'] });
  const cases: Array<{
    name: string;
    items: DesiredResource[];
    expected: Array<[number, DesiredResource[]]>;
  }> = [
    { name: 'no waves → one wave 0', items: [deploy, svc], expected: [[0, [svc, deploy]]] },
    {
      name: 'waves ascending, negative first',
      items: [at(deploy, 5), at(cm, -1), svc, at(job, 5)],
      expected: [
        [-1, [cm]],
        [0, [svc]],
        [5, [deploy, job]],
      ],
    },
    {
      name: 'kind order inside each wave',
      items: [at(ingress, 1), at(deploy, 1), at(svc, 1), at(ns, 0)],
      expected: [
        [0, [ns]],
        [1, [svc, deploy, ingress]],
      ],
    },
    {
      name: 'a Sync hook runs in its own wave, in kind order with the resources',
      items: [hook, at(ingress, 1), at(deploy, 1), svc],
      expected: [
        [0, [svc]],
        [1, [deploy, hook, ingress]],
      ],
    },
    { name: 'nothing planned → no waves', items: [], expected: [] },
  ];

  it.each(cases)('$name', ({ items, expected }) => {
    expect(byWave(items).map((w) => [w.wave, names(w.items)])).toEqual(
      expected.map(([wave, list]) => [wave, names(list)]),
    );
  });
});

describe('isStageZero', () => {
  it.each([
    { name: 'Namespace → applied and waited for first', r: ns, expected: true },
    { name: 'CustomResourceDefinition → first', r: crd, expected: true },
    { name: 'Deployment → not first', r: deploy, expected: false },
    {
      name: 'a custom kind named Namespace in another group → not first',
      r: desired('Namespace', 'x', { group: 'example.com', namespace: '' }),
      expected: false,
    },
    {
      name: 'a custom kind named CustomResourceDefinition → not first',
      r: desired('CustomResourceDefinition', 'x', { group: 'example.com', namespace: '' }),
      expected: false,
    },
  ])('$name', ({ r, expected }) => {
    expect(isStageZero(r)).toBe(expected);
  });
});
