/**
 * The ValidatingWebhookConfiguration that sends requests to Sluice's admission server (pure
 * builder), and keeping its `caBundle` current on the cluster. Settings are explicit with safe
 * defaults: `failurePolicy: Fail` (a policy is not silently skipped), a 5 s timeout, CREATE and
 * UPDATE only, and namespaces exempted so the webhook can never block the cluster's own
 * components or its own restart (kube-system, kube-public, kube-node-lease, sluice-system).
 */
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { blockKinds } from '../match.ts';
import type { CompiledPolicy } from '../compile.ts';
import { POD_TEMPLATE_PATHS } from '../autogen.ts';

export const WEBHOOK_NAME = 'validate.policy.sluice.dev';
export const DEFAULT_EXEMPT_NAMESPACES = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'sluice-system',
];

export interface WebhookSettings {
  /** Name of the ValidatingWebhookConfiguration. */
  name: string;
  caBundlePem: string;
  /** In-cluster Service, or a URL (for a server outside the cluster, as in development). */
  service?: { namespace: string; name: string; port?: number };
  url?: string;
  path?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  exemptNamespaces?: readonly string[];
  /** Send only these namespaces (besides cluster-scoped objects); default all but the exempt. */
  onlyNamespaces?: readonly string[];
  /** Kinds outside the built-in table, resolved by discovery (else they are sent as `*`). */
  resources?: KnownResources;
  /** The kinds to send; from the policies (plus the policy kinds themselves) by default. */
  kinds?: readonly string[];
}

/**
 * API group and plural of kinds policies usually name; others are resolved by discovery (the
 * controller does) or, when that fails, sent as `*`.
 */
const RESOURCES: Record<string, [string, string]> = {
  Pod: ['', 'pods'],
  Service: ['', 'services'],
  ConfigMap: ['', 'configmaps'],
  Secret: ['', 'secrets'],
  Namespace: ['', 'namespaces'],
  ServiceAccount: ['', 'serviceaccounts'],
  PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
  Deployment: ['apps', 'deployments'],
  StatefulSet: ['apps', 'statefulsets'],
  DaemonSet: ['apps', 'daemonsets'],
  ReplicaSet: ['apps', 'replicasets'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
  Ingress: ['networking.k8s.io', 'ingresses'],
  NetworkPolicy: ['networking.k8s.io', 'networkpolicies'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
};

/** The kinds the policies select, with controllers for Pod rules and the policy kinds. */
export function policyKinds(policies: readonly CompiledPolicy[]): string[] {
  const kinds = new Set<string>();
  for (const p of policies) {
    for (const r of p.rules) {
      for (const k of blockKinds(r.source.match)) kinds.add(k.split('/').pop() ?? k);
      if (r.autogen) for (const c of p.controllers) kinds.add(c);
    }
  }
  return [...kinds].sort();
}

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope: '*';
}

/** Kind -> [API group, plural], for kinds the table above does not know (from discovery). */
export type KnownResources = Readonly<Record<string, readonly [string, string]>>;

/** The kinds that need discovery to be sent by name rather than as `*`. */
export function unknownKinds(kinds: readonly string[]): string[] {
  return kinds.filter((k) => RESOURCES[k] === undefined && k !== '*');
}

export function webhookRules(kinds: readonly string[], resolved: KnownResources = {}): Rule[] {
  const byGroup = new Map<string, Set<string>>();
  let unknown = false;
  for (const k of kinds) {
    const known = RESOURCES[k] ?? resolved[k];
    if (known === undefined) unknown = true;
    else byGroup.set(known[0], (byGroup.get(known[0]) ?? new Set()).add(known[1]));
  }
  const rule = (apiGroups: string[], resources: string[]): Rule => ({
    apiGroups,
    apiVersions: ['*'],
    resources,
    operations: ['CREATE', 'UPDATE'],
    scope: '*',
  });
  const rules = [...byGroup.entries()].sort().map(([g, rs]) => rule([g], [...rs].sort()));
  // Policies themselves are checked at creation (Sluice's group and Kyverno's).
  rules.push(rule(['sluice.dev', 'kyverno.io'], ['clusterpolicies', 'policies']));
  return unknown ? [rule(['*'], ['*'])] : rules;
}

export function webhookConfiguration(s: WebhookSettings): KubeObject {
  const path = s.path ?? '/validate';
  const clientConfig =
    s.url !== undefined
      ? { url: s.url.replace(/\/$/, '') + path }
      : {
          service: {
            ...(s.service ?? { namespace: 'sluice-system', name: 'sluice-admission' }),
            path,
          },
        };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: s.name, labels: { 'app.kubernetes.io/managed-by': 'sluice' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: s.failurePolicy ?? 'Fail',
        timeoutSeconds: s.timeoutSeconds ?? 5,
        matchPolicy: 'Equivalent',
        clientConfig: { ...clientConfig, caBundle: Buffer.from(s.caBundlePem).toString('base64') },
        namespaceSelector: {
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: [...(s.exemptNamespaces ?? DEFAULT_EXEMPT_NAMESPACES)],
            },
            ...(s.onlyNamespaces
              ? [
                  {
                    key: 'kubernetes.io/metadata.name',
                    operator: 'In',
                    values: [...s.onlyNamespaces],
                  },
                ]
              : []),
          ],
        },
        rules: webhookRules(
          s.kinds ?? [...Object.keys(POD_TEMPLATE_PATHS), 'Pod'],
          s.resources ?? {},
        ),
      },
    ],
  };
}

/** Applies the configuration (server-side apply), e.g. after the CA changed. */
export async function applyWebhookConfiguration(kube: Kube, s: WebhookSettings): Promise<void> {
  await kube.apply(webhookConfiguration(s), { fieldManager: 'sluice-admission', force: true });
}
