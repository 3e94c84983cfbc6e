/**
 * What the chart's RBAC lets the controller do, asked like `kubectl auth can-i --as=<sa>`, in
 * both modes. The e2e test (test/e2e/install.test.ts) asks the real API server the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { allCrds } from '../api/crd.ts';
import { templateChart } from './chart.ts';
import { can, ruleAllows, type Access } from './rbac.ts';

const NS = 'sluice-system';
const SA = { kind: 'ServiceAccount', name: 'sluice-controller', namespace: NS };

interface Case {
  name: string;
  access: Access;
  allowed: boolean;
}

/** What the controller needs in either mode, whatever it deploys. */
const OWN: Case[] = [
  {
    name: 'creates its Lease',
    access: { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: NS },
    allowed: true,
  },
  ...['get', 'update'].map((verb) => ({
    name: `${verb}s the Lease sluice-controller`,
    access: {
      verb,
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: NS,
      name: 'sluice-controller',
    },
    allowed: true,
  })),
  ...['get', 'list', 'watch'].map((verb) => ({
    name: `${verb}s credentials (Secrets) in its namespace`,
    access: { verb, resource: 'secrets', namespace: NS },
    allowed: true,
  })),
  {
    name: 'patches Application status',
    access: { verb: 'patch', group: 'sluice.dev', resource: 'applications/status', namespace: NS },
    allowed: true,
  },
  {
    name: 'records Events on Applications',
    access: { verb: 'create', resource: 'events', namespace: NS },
    allowed: true,
  },
  // The start-up check (api/install.ts checkCrds) reads every CRD Sluice installs.
  ...allCrds().map((crd) => ({
    name: `checks the CRD ${crd.metadata.name ?? ''} at start-up`,
    access: {
      verb: 'get',
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      name: crd.metadata.name ?? '',
    },
    allowed: true,
  })),
  {
    name: 'watches Namespaces',
    access: { verb: 'watch', resource: 'namespaces' },
    allowed: true,
  },
  // Impersonation only of ServiceAccounts (apps with spec.destination.serviceAccountName).
  {
    name: 'never impersonates users',
    access: { verb: 'impersonate', resource: 'users' },
    allowed: false,
  },
  {
    name: 'never impersonates groups (system:masters)',
    access: { verb: 'impersonate', resource: 'groups' },
    allowed: false,
  },
  {
    name: 'reads AppProjects in its namespace',
    access: { verb: 'watch', group: 'sluice.dev', resource: 'appprojects', namespace: NS },
    allowed: true,
  },
  // Policies (src/policy/controller.ts): ClusterPolicies read, their status written, its own
  // ValidatingWebhookConfiguration managed, rotation Events recorded about it.
  ...['get', 'list', 'watch'].map((verb) => ({
    name: `${verb}s ClusterPolicies`,
    access: { verb, group: 'sluice.dev', resource: 'clusterpolicies' },
    allowed: true,
  })),
  {
    name: 'writes the status of ClusterPolicies',
    access: { verb: 'patch', group: 'sluice.dev', resource: 'clusterpolicies/status', name: 'p' },
    allowed: true,
  },
  {
    name: 'creates its ValidatingWebhookConfiguration',
    access: {
      verb: 'create',
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
    },
    allowed: true,
  },
  {
    name: 'updates its ValidatingWebhookConfiguration (caBundle, kinds)',
    access: {
      verb: 'patch',
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      name: `sluice-policy-${NS}`,
    },
    allowed: true,
  },
  {
    name: 'records Events about its webhook configuration (namespace default)',
    access: { verb: 'create', resource: 'events', namespace: 'default' },
    allowed: true,
  },
  {
    name: 'checks whether the PolicyReport CRD is installed',
    access: {
      verb: 'get',
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      name: 'policyreports.wgpolicyk8s.io',
    },
    allowed: true,
  },
  {
    name: 'never deletes Secrets by collection',
    access: { verb: 'deletecollection', resource: 'secrets', namespace: 'kube-system' },
    allowed: false,
  },
];

const CLUSTER_WIDE: Case[] = [
  {
    name: 'applies Deployments anywhere',
    access: { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'shop' },
    allowed: true,
  },
  {
    name: 'creates namespaces (CreateNamespace=true)',
    access: { verb: 'create', resource: 'namespaces' },
    allowed: true,
  },
  {
    name: 'applies ClusterRoles and CRDs of apps',
    access: { verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    allowed: true,
  },
  {
    name: 'watches Applications in every namespace',
    access: { verb: 'watch', group: 'sluice.dev', resource: 'applications' },
    allowed: true,
  },
  {
    name: 'impersonates ServiceAccounts an app acts as, anywhere',
    access: { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'shop' },
    allowed: true,
  },
  {
    name: 'cannot escalate by default',
    access: { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    allowed: false,
  },
];

const NAMESPACED: Case[] = [
  {
    name: 'applies Deployments in a listed namespace',
    access: { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'team-a' },
    allowed: true,
  },
  {
    name: 'prunes Secrets of apps in a listed namespace',
    access: { verb: 'delete', resource: 'secrets', namespace: 'team-a' },
    allowed: true,
  },
  {
    name: 'cannot write AppProjects (the fences around its apps)',
    access: { verb: 'update', group: 'sluice.dev', resource: 'appprojects', namespace: NS },
    allowed: false,
  },
  {
    name: 'impersonates ServiceAccounts of a listed namespace',
    access: { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'team-a' },
    allowed: true,
  },
  {
    name: 'cannot impersonate ServiceAccounts elsewhere',
    access: { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'kube-system' },
    allowed: false,
  },
  {
    name: 'cannot create Deployments elsewhere',
    access: { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'kube-system' },
    allowed: false,
  },
  {
    name: 'cannot delete Secrets in kube-system',
    access: { verb: 'delete', resource: 'secrets', namespace: 'kube-system' },
    allowed: false,
  },
  {
    name: "creates Secrets in its own namespace (the SealedSecret controller's keys)",
    access: { verb: 'create', resource: 'secrets', namespace: NS },
    allowed: true,
  },
  {
    name: 'cannot write Secrets in its own namespace (credentials are read-only)',
    access: { verb: 'update', resource: 'secrets', namespace: NS },
    allowed: false,
  },
  {
    name: 'cannot read Secrets elsewhere',
    access: { verb: 'get', resource: 'secrets', namespace: 'kube-system' },
    allowed: false,
  },
  {
    name: 'cannot create namespaces',
    access: { verb: 'create', resource: 'namespaces' },
    allowed: false,
  },
  {
    name: 'cannot write cluster-scoped objects',
    access: { verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    allowed: false,
  },
  {
    name: "cannot change another ValidatingWebhookConfiguration (another tool's webhook)",
    access: {
      verb: 'patch',
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      name: 'kyverno-resource-validating-webhook-cfg',
    },
    allowed: false,
  },
  {
    name: 'cannot write ClusterPolicies (only their status)',
    access: { verb: 'update', group: 'sluice.dev', resource: 'clusterpolicies', name: 'p' },
    allowed: false,
  },
  {
    name: 'cannot watch Applications in every namespace',
    access: { verb: 'watch', group: 'sluice.dev', resource: 'applications' },
    allowed: false,
  },
  {
    name: 'cannot update another Lease',
    access: {
      verb: 'update',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: NS,
      name: 'kube-scheduler',
    },
    allowed: false,
  },
];

describe('RBAC, cluster-wide (the default)', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = (await templateChart()).objects;
  });
  it.each([...OWN, ...CLUSTER_WIDE])('$name', ({ access, allowed }) => {
    expect(can(objects, SA, access)).toBe(allowed);
  });
});

describe('RBAC, namespaced (rbac.clusterWide=false, rbac.namespaces={team-a})', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = (await templateChart({ set: ['rbac.clusterWide=false', 'rbac.namespaces={team-a}'] }))
      .objects;
  });
  it.each([...OWN, ...NAMESPACED])('$name', ({ access, allowed }) => {
    expect(can(objects, SA, access)).toBe(allowed);
  });
});

describe('ruleAllows', () => {
  const rule = { apiGroups: [''], resources: ['leases'], resourceNames: ['a'], verbs: ['get'] };
  it.each([
    [{ verb: 'get', resource: 'leases', name: 'a' }, true],
    [{ verb: 'get', resource: 'leases', name: 'b' }, false],
    [{ verb: 'get', resource: 'leases' }, false],
    [{ verb: 'list', resource: 'leases', name: 'a' }, false],
    [{ verb: 'get', group: 'apps', resource: 'leases', name: 'a' }, false],
  ] as Array<[Access, boolean]>)('%j -> %s', (access, want) => {
    expect(ruleAllows(rule, access)).toBe(want);
  });
});
