/**
 * Policy admission on the real API server: the controller (in this process) serves its webhook
 * on 127.0.0.1 and registers it; the dev cluster's kube-apiserver, a process on this host, calls
 * it. Requests are created as `kubectl create` would send them, and the API server's answers are
 * what the user sees. The webhook is limited to this file's namespaces and set to Ignore, so the
 * shared cluster is never affected, and it is deleted afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import { CLUSTER_POLICY_KIND, POLICY_API_VERSION, POLICY_KIND } from '../../src/api/policy.ts';
import { errorMessage } from '../../src/errors.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, uniqueName } from './harness.ts';

const DAY = 86_400_000;
const ctrlNs = uniqueName('pol-ctl');
const appNs = uniqueName('pol-adm');
const exemptNs = uniqueName('pol-exempt');
const enforceName = uniqueName('require-team');
const auditName = 'owner-label';
const webhookName = `sluice-policy-${ctrlNs}`;
let controller: GitOpsController | undefined;
let k: Kube;

type Status = {
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
};
const ready = (o: KubeObject | undefined) =>
  (o?.['status'] as Status | undefined)?.conditions?.find((c) => c.type === 'Ready');

/** Enforce: pods carry a `team` label (in this file's namespaces only). */
const enforcePolicy: KubeObject = {
  apiVersion: POLICY_API_VERSION,
  kind: CLUSTER_POLICY_KIND,
  metadata: { name: enforceName },
  spec: {
    validationFailureAction: 'Enforce',
    rules: [
      {
        name: 'team-label',
        match: { any: [{ resources: { kinds: ['Pod'], namespaces: [appNs, exemptNs] } }] },
        validate: {
          message: 'pods need a "team" label',
          pattern: { metadata: { labels: { team: '?*' } } },
        },
      },
    ],
  },
};

/** Audit (a namespaced Policy): ConfigMaps name an owner. */
const auditPolicy = (
  namespace: string,
  pattern: unknown = { metadata: { labels: { owner: '?*' } } },
): KubeObject => ({
  apiVersion: POLICY_API_VERSION,
  kind: POLICY_KIND,
  metadata: { name: auditName, namespace },
  spec: {
    validationFailureAction: 'Audit',
    rules: [
      {
        name: 'owner',
        match: { any: [{ resources: { kinds: ['ConfigMap'] } }] },
        validate: { message: 'ConfigMaps name an owner', pattern },
      },
    ],
  },
});

const pod = (name: string, ns: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
});

const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'admitted',
    (err: unknown) => errorMessage(err),
  );

/** The wgpolicyk8s.io report CRDs (not Sluice's): created here only when the cluster lacks them. */
async function ensureReportCrds(): Promise<void> {
  for (const [kind, scope] of [
    ['PolicyReport', 'Namespaced'],
    ['ClusterPolicyReport', 'Cluster'],
  ] as const) {
    const plural = `${kind.toLowerCase()}s`;
    const name = `${plural}.wgpolicyk8s.io`;
    if (await k.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, name))
      continue;
    await k.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group: 'wgpolicyk8s.io',
        scope,
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: 'v1alpha2',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    });
  }
  await eventually('the PolicyReport CRD is served', async () => {
    await k.list('wgpolicyk8s.io/v1alpha2', 'PolicyReport', { namespace: 'default' });
    return true;
  });
}

beforeAll(async () => {
  k = await kube();
  await installCrds(k, silentProgress);
  await ensureReportCrds();
  for (const name of [ctrlNs, appNs, exemptNs])
    await k.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await k.create(enforcePolicy);
  await k.create(auditPolicy(appNs));
  // A kind outside the webhook's built-in table: resolved by discovery, not sent as `*`.
  await k.create({
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    metadata: { name: 'pdb-min-available', namespace: appNs },
    spec: {
      validationFailureAction: 'Audit',
      rules: [
        {
          name: 'min-available',
          match: { any: [{ resources: { kinds: ['PodDisruptionBudget'] } }] },
          validate: { message: 'set minAvailable', pattern: { spec: { minAvailable: '?*' } } },
        },
      ],
    },
  });
  // The serving certificate is issued two days in the past, valid one day: expired at start.
  let calls = 0;
  const now = (): Date => new Date(Date.now() - (calls++ < 2 ? 2 * DAY : 0));
  controller = new GitOpsController({
    kube: k,
    namespace: ctrlNs,
    appNamespaces: [ctrlNs],
    leaderElection: { enabled: false },
    policies: {
      admission: {
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        onlyNamespaces: [appNs, exemptNs],
        exemptNamespaces: [exemptNs],
        servingValidityDays: 1,
        checkEveryMs: 1000,
        now,
      },
    },
    log: process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger,
  });
  await controller.start();
}, 120_000);

afterAll(async () => {
  await controller?.policies?.unregister(k).catch(() => undefined);
  await controller?.stop();
  await k.delete({
    apiVersion: POLICY_API_VERSION,
    kind: CLUSTER_POLICY_KIND,
    metadata: { name: enforceName },
  });
  for (const name of [ctrlNs, appNs, exemptNs])
    await k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}, 60_000);

describe('policy admission on the API server', () => {
  it('an expired serving certificate is rotated with an Event, and admission works through the new one', async () => {
    const event = await eventually('a CertificateRotated Event', async () => {
      const events = await k.list<KubeObject & { reason?: string; message?: string }>(
        'v1',
        'Event',
        {
          namespace: 'default',
          fieldSelector: `involvedObject.name=${webhookName}`,
        },
      );
      return events.items.find((e) => e.reason === 'CertificateRotated');
    });
    expect(event.message).toMatch(/serving certificate expired at .*a new one was issued/);
    expect(controller?.policies?.admissionUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // The API server calls the webhook (now with the new certificate) and gets the denial.
    const message = await eventually('a violating Pod is refused', async () => {
      const m = await refusal(k.create(pod('probe', appNs, {}), { dryRun: true }));
      return m.includes('denied') ? m : undefined;
    });
    expect(message).toContain('pods need a "team" label');
  }, 60_000);

  it('the webhook names the kinds the policies select (PodDisruptionBudget by discovery), never everything', async () => {
    const vwc = await k.get(
      'admissionregistration.k8s.io/v1',
      'ValidatingWebhookConfiguration',
      undefined,
      webhookName,
    );
    const [hook] = (vwc?.['webhooks'] ?? []) as Array<{
      failurePolicy: string;
      clientConfig: { url?: string };
      rules: Array<{ apiGroups: string[]; resources: string[] }>;
    }>;
    expect(hook?.failurePolicy).toBe('Ignore');
    expect(hook?.clientConfig.url).toBe(`${controller?.policies?.admissionUrl ?? ''}/validate`);
    const rules = (hook?.rules ?? []).map(
      (r) => `${r.apiGroups.join(',')}:${r.resources.join(',')}`,
    );
    expect(rules).toContain('policy:poddisruptionbudgets');
    expect(rules).toContain(':configmaps,pods');
    expect(rules).toContain('sluice.dev,kyverno.io:clusterpolicies,policies');
    expect(rules.some((r) => r.includes('*'))).toBe(false);
  }, 30_000);

  it('Enforce: the API server refuses a violating Pod and Deployment with the policy’s message; a good Pod is admitted', async () => {
    const bad = await refusal(k.create(pod('bad', appNs, { app: 'x' })));
    expect(bad).toContain(`admission webhook "validate.policy.sluice.dev" denied the request`);
    expect(bad).toContain(
      `Pod/${appNs}/bad was denied by policy:\n- ${enforceName}/team-label: pods need a "team" label (at /metadata/labels/team)`,
    );
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: appNs },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
        },
      },
    };
    const refused = await refusal(k.create(deployment));
    expect(refused).toContain(
      `Deployment/${appNs}/web was denied by policy:\n- ${enforceName}/team-label: pods need a "team" label (at /spec/template/metadata/labels/team)`,
    );
    expect(await refusal(k.create(pod('good', appNs, { team: 'shop' })))).toBe('admitted');
  }, 30_000);

  it('Audit: a violating ConfigMap is admitted and the PolicyReport of its namespace names the rule', async () => {
    const cm = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: appNs },
      data: { a: '1' },
    });
    expect(await refusal(k.create(cm('unowned')))).toBe('admitted');
    const report = await eventually(
      'a PolicyReport naming the rule',
      async () => {
        const r = await k.get(
          'wgpolicyk8s.io/v1alpha2',
          'PolicyReport',
          appNs,
          'sluice-policy-report',
        );
        const results = (r?.['results'] ?? []) as Array<Record<string, unknown>>;
        return results.find(
          (x) =>
            x['rule'] === 'owner' &&
            (x['resources'] as Array<{ name: string }>)[0]?.name === 'unowned',
        );
      },
      20_000,
    );
    expect(report).toMatchObject({
      policy: `${appNs}/${auditName}`,
      result: 'warn',
      message: 'ConfigMaps name an owner (at /metadata/labels)',
      resources: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'unowned', namespace: appNs }],
    });
  }, 40_000);

  it('an invalid policy is refused at creation, naming the rule and the bad pattern', async () => {
    const broken: KubeObject = {
      apiVersion: POLICY_API_VERSION,
      kind: CLUSTER_POLICY_KIND,
      metadata: { name: uniqueName('broken') },
      spec: {
        validationFailureAction: 'Enforce',
        rules: [
          {
            name: 'bad-tag',
            match: { any: [{ resources: { kinds: ['Pod'], namespaces: [appNs] } }] },
            validate: { pattern: { spec: { containers: [{ image: '>=abc' }] } } },
          },
        ],
      },
    };
    const message = await refusal(k.create(broken));
    if (message === 'admitted') await k.delete(broken);
    expect(message).toContain(`admission webhook "validate.policy.sluice.dev" denied the request`);
    expect(message).toContain(
      `policy ${broken.metadata.name ?? ''}: rule bad-tag: spec.rules[0].validate.pattern/spec/containers/0/image: operator '>='`,
    );
    // A namespaced Policy too.
    const namespaced = auditPolicy(appNs, { metadata: { '(name': 'x' } });
    namespaced.metadata.name = 'broken-owner';
    const nsMessage = await refusal(k.create(namespaced));
    expect(nsMessage).toContain(`policy ${appNs}/broken-owner: rule owner`);
  }, 30_000);

  it('a policy that slipped past admission (an exempt namespace) is Ready=False with the compile error; a good one Ready=True', async () => {
    await k.create(auditPolicy(exemptNs, { spec: { replicas: '5-1' } }));
    const condition = await eventually('Ready=False', async () => {
      const c = ready(await k.get(POLICY_API_VERSION, POLICY_KIND, exemptNs, auditName));
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.reason).toBe('PolicyInvalid');
    expect(condition.message).toMatch(
      /rule owner: spec\.rules\[0\]\.validate\.pattern\/spec\/replicas: .*low to high/,
    );
    expect(
      ready(await k.get(POLICY_API_VERSION, CLUSTER_POLICY_KIND, undefined, enforceName)),
    ).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
    });
  }, 30_000);

  it('measured: what the webhook adds to a request through the API server', async () => {
    const median = async (ns: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await k.create(pod(`m-${i}`, ns, { team: 'shop' }), { dryRun: true });
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[15] ?? 0;
    };
    const checked = await median(appNs);
    const unchecked = await median(exemptNs);
    console.log(
      `admission: median dry-run Pod create ${checked.toFixed(1)} ms through the webhook, ${unchecked.toFixed(1)} ms without`,
    );
    // Generous: the machine is shared; the webhook answers in well under a millisecond itself.
    expect(checked - unchecked).toBeLessThan(250);
  }, 60_000);

  it('an exempt namespace is not checked', async () => {
    expect(await refusal(k.create(pod('unlabelled', exemptNs, {})))).toBe('admitted');
  }, 30_000);
});
