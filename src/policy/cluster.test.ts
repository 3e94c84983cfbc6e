/**
 * The cluster side of policies, as pure functions: a policy's status after compiling, the
 * GitOps gate's violations and message, and the webhook limited to some namespaces.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GateError } from '../gitops/gates.ts';
import type { Plan } from '../gitops/preflight.ts';
import type { Application } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import { unknownKinds, webhookConfiguration, webhookRules } from './admission/webhook-config.ts';
import { compilePolicy } from './compile.ts';
import { policyGate, violations } from './preflight.ts';
import { policyStatus, sameStatus } from './status.ts';

const policyDoc = (action: string, extra = ''): KubeObject =>
  parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: require-team, generation: 3 }
spec:
  validationFailureAction: ${action}
  rules:
    - name: team-label
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate:
        message: 'label "team" is required'
        pattern: { metadata: { labels: { team: '?*' } } }
${extra}`) as KubeObject;

const invalidDoc = parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: broken }
spec:
  rules:
    - name: bad-range
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate:
        pattern: { spec: { containers: [{ image: '>=abc' }] } }
`) as KubeObject;

const deployment = (name: string, labels: Record<string, string>, ns = 'shop'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
  },
});
const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop' },
  data: { a: '1' },
};

describe('policy status', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  it('a compiled policy is Ready=True with its rule count', () => {
    const s = policyStatus(
      { ok: true, policy: compilePolicy(policyDoc('Enforce')) },
      3,
      undefined,
      now,
    );
    expect(s).toEqual({
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Succeeded',
          message: '1 rule(s) checked at admission and in GitOps syncs',
          lastTransitionTime: '2026-12-02T10:00:00.000Z',
          observedGeneration: 3,
        },
      ],
      rulecount: { validate: 1, unsupported: 0 },
    });
  });

  it('unsupported rules are named in the message', () => {
    const doc = policyDoc(
      'Audit',
      `    - name: add-label
      match: { any: [{ resources: { kinds: [Pod] } }] }
      mutate: { patchStrategicMerge: { metadata: { labels: { a: b } } } }`,
    );
    const s = policyStatus({ ok: true, policy: compilePolicy(doc) }, 1, undefined, now);
    expect(s.rulecount).toEqual({ validate: 1, unsupported: 1 });
    expect(s.conditions?.[0]?.message).toContain(
      'skipped: add-label (mutate rules are not supported',
    );
  });

  it('a policy that does not compile is Ready=False PolicyInvalid naming the rule and path', () => {
    let error: unknown;
    try {
      compilePolicy(invalidDoc);
    } catch (err) {
      error = err;
    }
    const s = policyStatus({ ok: false, error }, 1, undefined, now);
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'PolicyInvalid' });
    expect(s.conditions?.[0]?.message).toMatch(
      /policy broken: rule bad-range: spec.rules\[0\].validate.pattern\/spec\/containers\/0\/image: operator '>='/,
    );
    expect(s.rulecount).toBeUndefined();
  });

  it('lastTransitionTime moves only when the status flips; same status is not rewritten', () => {
    const ok = { ok: true as const, policy: compilePolicy(policyDoc('Enforce')) };
    const first = policyStatus(ok, 3, undefined, now);
    const later = policyStatus(ok, 3, first, new Date('2026-12-02T11:00:00Z'));
    expect(later.conditions?.[0]?.lastTransitionTime).toBe('2026-12-02T10:00:00.000Z');
    expect(sameStatus(first, later)).toBe(true);
    expect(sameStatus(first, policyStatus(ok, 4, first, now))).toBe(false);
  });
});

describe('the GitOps policy gate', () => {
  const enforce = compilePolicy(policyDoc('Enforce'));
  const audit = compilePolicy(policyDoc('Audit'));
  const plan = (objects: KubeObject[]): Plan =>
    ({
      resources: objects.map((object) => ({ object })),
      hooks: [],
      createNamespaces: [],
    }) as unknown as Plan;
  const ctx = (objects: KubeObject[]) => ({
    app: {} as Application,
    revision: '0123456789abcdef',
    kube: {} as Kube,
    plan: plan(objects),
  });

  it('names the policy, rule, object and message of each violation (pod templates too)', () => {
    expect(violations([enforce], [deployment('web', { app: 'web' }), configMap])).toEqual([
      {
        policy: 'require-team',
        rule: 'team-label',
        object: 'Deployment/shop/web',
        message: 'label "team" is required (at /spec/template/metadata/labels/team)',
      },
    ]);
  });

  it('refuses the revision with PolicyViolation, terminal, nothing applied', async () => {
    const gate = policyGate(() => [enforce]);
    const err: unknown = await gate
      .afterPreflight?.(ctx([configMap, deployment('web', { app: 'web' })]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateError);
    const g = err as GateError;
    expect(g.reason).toBe('PolicyViolation');
    expect(g.terminal).toBe(true);
    expect(g.message).toBe(
      'revision 0123456 violates Enforce policies; nothing of it was applied:\n' +
        '- policy require-team, rule team-label: Deployment/shop/web: label "team" is required (at /spec/template/metadata/labels/team)',
    );
  });

  it('passes good objects, Audit failures and exempt namespaces', async () => {
    const good = deployment('web', { team: 'shop' });
    await expect(
      policyGate(() => [enforce]).afterPreflight?.(ctx([good])),
    ).resolves.toBeUndefined();
    await expect(
      policyGate(() => [audit]).afterPreflight?.(ctx([deployment('web', {})])),
    ).resolves.toBeUndefined();
    const exempt = policyGate(() => [enforce], { exemptNamespaces: ['kube-system'] });
    await expect(
      exempt.afterPreflight?.(ctx([deployment('web', {}, 'kube-system')])),
    ).resolves.toBeUndefined();
  });

  it('reads the policies at every check (a swapped set is seen at once)', async () => {
    let set = [enforce];
    const gate = policyGate(() => set);
    await expect(gate.afterPreflight?.(ctx([deployment('w', {})]))).rejects.toThrow(/team-label/);
    set = [];
    await expect(gate.afterPreflight?.(ctx([deployment('w', {})]))).resolves.toBeUndefined();
  });

  it('a policy in the revision that does not compile is a violation naming it', () => {
    const [v] = violations([], [invalidDoc]);
    expect(v?.object).toBe('ClusterPolicy/broken');
    expect(v?.message).toMatch(/rule bad-range/);
  });
});

describe('webhook limited to namespaces', () => {
  it('onlyNamespaces adds an In expression next to the exemptions', () => {
    const vwc = webhookConfiguration({
      name: 'sluice-policy-test',
      caBundlePem: 'PEM',
      url: 'https://127.0.0.1:9443',
      failurePolicy: 'Ignore',
      onlyNamespaces: ['team-a'],
      kinds: ['Pod'],
    });
    const [hook] = vwc['webhooks'] as Array<Record<string, unknown>>;
    expect(hook?.['failurePolicy']).toBe('Ignore');
    expect(hook?.['namespaceSelector']).toEqual({
      matchExpressions: [
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease', 'sluice-system'],
        },
        { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a'] },
      ],
    });
    expect(hook?.['clientConfig']).toMatchObject({ url: 'https://127.0.0.1:9443/validate' });
  });
});

describe('webhook rules for kinds outside the built-in table', () => {
  it('are named once discovery resolved them; unresolved ones send everything', () => {
    expect(unknownKinds(['Pod', 'PodDisruptionBudget', '*'])).toEqual(['PodDisruptionBudget']);
    const named = webhookRules(['Pod', 'PodDisruptionBudget'], {
      PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
    });
    expect(named.map((r) => [r.apiGroups, r.resources])).toEqual([
      [[''], ['pods']],
      [['policy'], ['poddisruptionbudgets']],
      [
        ['sluice.dev', 'kyverno.io'],
        ['clusterpolicies', 'policies'],
      ],
    ]);
    const everything = webhookRules(['Pod', 'PodDisruptionBudget']);
    expect(everything.map((r) => [r.apiGroups, r.resources])).toEqual([[['*'], ['*']]]);
  });
});
