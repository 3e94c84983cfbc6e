/** The engine end to end: compile policies from YAML, evaluate resources, read the results. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SluiceError } from '../errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { compilePolicy } from './compile.ts';
import { blocks, evaluate } from './evaluate.ts';
import type { RequestContext } from './types.ts';

const latestPolicy = (extra = ''): unknown =>
  parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata:
  name: disallow-latest-tag
${extra}
spec:
  validationFailureAction: Enforce
  rules:
    - name: require-image-tag
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: "{{ request.object.metadata.name }}: an image tag is required"
        pattern:
          spec:
            containers:
              - image: "!*:latest"
`);

const podSpec = (image: string): Record<string, unknown> => ({
  containers: [{ name: 'app', image }],
});
const pod = (name: string, image: string, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: podSpec(image),
});
const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { template: { metadata: { labels: { app: 'web' } }, spec: podSpec(image) } },
});
const cronJob = (image: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'default' },
  spec: { schedule: '0 1 * * *', jobTemplate: { spec: { template: { spec: podSpec(image) } } } },
});

const one = (policy: unknown, obj: KubeObject, req: RequestContext = {}) => {
  const results = evaluate([compilePolicy(policy)], obj, req);
  expect(results).toHaveLength(1);
  return results[0];
};

describe('pattern rules', () => {
  it('passes and fails Pods with the message and path', () => {
    expect(one(latestPolicy(), pod('ok', 'nginx:1.27'))).toMatchObject({
      result: 'pass',
      action: 'Enforce',
    });
    const r = one(latestPolicy(), pod('bad', 'nginx:latest'));
    expect(r).toMatchObject({
      policy: 'disallow-latest-tag',
      rule: 'require-image-tag',
      result: 'fail',
      message: 'bad: an image tag is required',
      path: '/spec/containers/0/image',
      resource: { kind: 'Pod', name: 'bad', namespace: 'default' },
    });
    expect(r && blocks(r)).toBe(true);
  });

  it('skips resources the rule does not match, with the reason', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(one(latestPolicy(), cm)).toMatchObject({
      result: 'skip',
      message: 'not matched by the rule',
    });
  });
});

describe('autogen: Pod rules check pod templates', () => {
  it.each([
    ['Deployment', deployment('nginx:latest'), '/spec/template/spec/containers/0/image'],
    ['CronJob', cronJob('nginx:latest'), '/spec/jobTemplate/spec/template/spec/containers/0/image'],
  ])('%s fails under the same rule name', (_kind, obj, path) => {
    expect(one(latestPolicy(), obj)).toMatchObject({
      rule: 'require-image-tag',
      result: 'fail',
      path,
      autogen: true,
    });
  });

  it('a good Deployment passes; request.object.metadata is the template, request."object" the controller', () => {
    expect(one(latestPolicy(), deployment('nginx:1.27'))).toMatchObject({ result: 'pass' });
    // Kyverno rewrites the text `request.object.metadata` into the template: it has no name.
    expect(one(latestPolicy(), deployment('nginx:latest'))?.message).toBe(
      ': an image tag is required',
    );
    const quoted = JSON.parse(
      JSON.stringify(latestPolicy()).replace(
        'request.object.metadata.name',
        'request.\\"object\\".metadata.name',
      ),
    ) as unknown;
    expect(one(quoted, deployment('nginx:latest'))?.message).toBe('web: an image tag is required');
  });

  it('honours the autogen-controllers annotation (none, or a list)', () => {
    const none = latestPolicy(
      `  annotations:\n    pod-policies.kyverno.io/autogen-controllers: none`,
    );
    expect(one(none, deployment('nginx:latest'))).toMatchObject({ result: 'skip' });
    const onlyCron = latestPolicy(
      `  annotations:\n    pod-policies.kyverno.io/autogen-controllers: CronJob`,
    );
    expect(one(onlyCron, deployment('nginx:latest'))).toMatchObject({ result: 'skip' });
    expect(one(onlyCron, cronJob('nginx:latest'))).toMatchObject({ result: 'fail' });
  });

  it('does not apply to rules that select Pods by name', () => {
    const p = latestPolicy() as {
      spec: { rules: Array<{ match: { any: Array<{ resources: Record<string, unknown> }> } }> };
    };
    const rule = p.spec.rules[0];
    if (rule?.match.any[0]) rule.match.any[0].resources['names'] = ['web*'];
    expect(one(p, deployment('nginx:latest'))).toMatchObject({ result: 'skip' });
  });
});

const denyPolicy: unknown = parse(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: no-privileged }
spec:
  validationFailureAction: audit
  rules:
    - name: privileged
      match:
        any: [{ resources: { kinds: [Pod] } }]
      exclude:
        any: [{ resources: { namespaces: [kube-system] } }]
      preconditions:
        all:
          - key: "{{ request.operation }}"
            operator: AnyIn
            value: [CREATE, UPDATE]
      validate:
        message: "privileged containers: {{ request.object.spec.containers[?securityContext.privileged].name | join(', ', @) }}"
        deny:
          conditions:
            any:
              - key: "{{ request.object.spec.containers[].securityContext.privileged || \`[]\` }}"
                operator: AnyIn
                value: [true]
`);

describe('deny rules, preconditions, variables', () => {
  const priv: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'apps' },
    spec: { containers: [{ name: 'a', securityContext: { privileged: true } }, { name: 'b' }] },
  };
  it('denies with a JMESPath message; Audit from a lowercase action (kyverno.io/v1)', () => {
    expect(one(denyPolicy, priv)).toMatchObject({
      result: 'fail',
      action: 'Audit',
      message: 'privileged containers: a',
    });
  });
  it('autogen rewrites deny conditions onto the template', () => {
    const d: KubeObject = { ...deployment('x:1'), spec: { template: { spec: priv['spec'] } } };
    expect(one(denyPolicy, d)).toMatchObject({ result: 'fail', autogen: true });
  });
  it('passes when the conditions do not hold', () => {
    expect(one(denyPolicy, pod('q', 'x:1', 'apps'))).toMatchObject({ result: 'pass' });
  });
  it('skips when preconditions do not hold', () => {
    expect(one(denyPolicy, priv, { operation: 'DELETE' })).toMatchObject({
      result: 'skip',
      message: 'preconditions not met',
    });
  });
  it('skips excluded resources', () => {
    expect(
      one(denyPolicy, { ...priv, metadata: { name: 'p', namespace: 'kube-system' } }),
    ).toMatchObject({
      result: 'skip',
      message: 'excluded by the rule',
    });
  });
  it('a JMESPath that fails at run time is an error result', () => {
    const p: unknown = parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: bad-call }
spec:
  rules:
    - name: r
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate:
        deny:
          conditions:
            all: [{ key: "{{ length(request.object.metadata.name) }}", operator: GreaterThan, value: "{{ abs(request.object.metadata.name) }}" }]
`);
    expect(one(p, pod('x', 'a:1'))?.result).toBe('error');
  });
});

describe('actions, unsupported rules, Policy scope, anyPattern', () => {
  const base = (rules: string, spec = ''): unknown =>
    parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: p }
spec:
${spec}
  rules:
${rules}`);
  const rule = (name: string, body: string): string =>
    `    - name: ${name}\n      match: { any: [{ resources: { kinds: [Pod] } }] }\n${body}`;

  it('per-rule failureAction wins over the policy; overrides by namespace', () => {
    const p = base(
      rule(
        'a',
        `      validate: { failureAction: Enforce, pattern: { spec: { containers: [{ image: "x*" }] } } }`,
      ) +
        '\n' +
        rule('b', `      validate: { pattern: { spec: { containers: [{ image: "x*" }] } } }`),
      `  validationFailureAction: Audit\n  validationFailureActionOverrides: [{ action: Enforce, namespaces: [prod-*] }]`,
    );
    const rs = evaluate([compilePolicy(p)], pod('x', 'nginx', 'dev'));
    expect(rs.map((r) => r.action)).toEqual(['Enforce', 'Audit']);
    const prod = evaluate([compilePolicy(p)], pod('x', 'nginx', 'prod-eu'));
    expect(prod.map((r) => r.action)).toEqual(['Enforce', 'Enforce']);
  });

  it('mutate, generate and verifyImages rules are skipped with the reason, never passed', () => {
    const p = base(
      [
        rule('m', `      mutate: { patchStrategicMerge: { metadata: { labels: { a: b } } } }`),
        rule('g', `      generate: { kind: ConfigMap, name: x }`),
        rule('v', `      verifyImages: [{ imageReferences: ["*"] }]`),
        rule('f', `      validate: { cel: { expressions: [{ expression: "true" }] } }`),
      ].join('\n'),
    );
    const rs = evaluate([compilePolicy(p)], pod('x', 'nginx'));
    expect(rs.map((r) => r.result)).toEqual(['skip', 'skip', 'skip', 'skip']);
    expect(rs[0]?.message).toMatch(/mutate rules are not supported/);
    expect(rs[3]?.message).toMatch(/validate.cel is not supported/);
  });

  it('anyPattern passes when one pattern passes', () => {
    const p = base(
      rule(
        'nonroot',
        `      validate:
        anyPattern:
          - spec: { securityContext: { runAsNonRoot: true } }
          - spec: { containers: [{ securityContext: { runAsNonRoot: true } }] }`,
      ),
    );
    const c = compilePolicy(p);
    const good: KubeObject = {
      ...pod('a', 'x'),
      spec: { containers: [{ image: 'x', securityContext: { runAsNonRoot: true } }] },
    };
    expect(evaluate([c], good)[0]?.result).toBe('pass');
    expect(evaluate([c], pod('a', 'x'))[0]?.result).toBe('fail');
  });

  it('context variables feed conditions and messages; data from the cluster skips the rule', () => {
    const p = base(
      rule(
        'max-containers',
        `      context:
        - name: count
          variable:
            jmesPath: request.object.spec.containers | length(@)
        - name: limit
          variable:
            value: 1
      validate:
        message: "{{ count }} containers, at most {{ limit }}"
        deny:
          conditions:
            all: [{ key: "{{ count }}", operator: GreaterThan, value: "{{ limit }}" }]`,
      ) +
        '\n' +
        rule(
          'from-configmap',
          `      context: [{ name: allowed, configMap: { name: registries, namespace: platform } }]
      validate: { pattern: { spec: { containers: [{ image: "{{ allowed.data.prefix }}*" }] } } }`,
        ),
    );
    const two: KubeObject = {
      ...pod('x', 'a'),
      spec: { containers: [{ image: 'a' }, { image: 'b' }] },
    };
    const rs = evaluate([compilePolicy(p)], two);
    expect(rs[0]).toMatchObject({ result: 'fail', message: '2 containers, at most 1' });
    expect(evaluate([compilePolicy(p)], pod('x', 'a'))[0]?.result).toBe('pass');
    expect(rs[1]).toMatchObject({
      result: 'skip',
      message: expect.stringContaining("configMap 'allowed'") as unknown,
    });
  });

  it('foreach checks each element (pattern, deny with element, per-element preconditions)', () => {
    const p = base(
      [
        rule(
          'tags',
          `      validate:
        message: "{{ element.name }} needs a tag"
        foreach:
          - list: request.object.spec.containers
            pattern: { image: "*:*" }
          - list: request.object.spec.initContainers
            pattern: { image: "*:*" }`,
        ),
        rule(
          'drop-all',
          `      validate:
        message: "{{ element.name }} must drop ALL"
        foreach:
          - list: request.object.spec.containers[]
            preconditions: { all: [{ key: "{{ element.name }}", operator: NotEquals, value: istio-proxy }] }
            deny:
              conditions:
                all: [{ key: ALL, operator: AnyNotIn, value: "{{ element.securityContext.capabilities.drop[] || \`[]\` }}" }]`,
        ),
        rule(
          'nested',
          `      validate: { foreach: [{ list: request.object.spec.containers, foreach: [{ list: element.ports, pattern: {} }] }] }`,
        ),
      ].join('\n'),
    );
    const c = compilePolicy(p);
    const obj: KubeObject = {
      ...pod('x', 'a:1'),
      spec: {
        containers: [
          { name: 'app', image: 'a:1', securityContext: { capabilities: { drop: ['ALL'] } } },
          { name: 'istio-proxy', image: 'proxy' },
        ],
      },
    };
    const rs = evaluate([c], obj);
    expect(rs[0]).toMatchObject({
      result: 'fail',
      message: 'istio-proxy needs a tag',
      path: '/spec/containers/1/image',
    });
    expect(rs[1]).toMatchObject({ result: 'pass' });
    expect(rs[2]).toMatchObject({
      result: 'skip',
      message: expect.stringContaining('nested foreach') as unknown,
    });
    const d: KubeObject = {
      ...deployment('x:1'),
      spec: { template: { spec: { containers: [{ name: 'web', image: 'x:1' }] } } },
    };
    expect(evaluate([c], d)[1]).toMatchObject({
      result: 'fail',
      message: 'web must drop ALL',
      autogen: true,
    });
  });

  it('a namespaced Policy applies only in its namespace', () => {
    const p: unknown = parse(`
apiVersion: sluice.dev/v1alpha1
kind: Policy
metadata: { name: local, namespace: team-a }
spec:
  rules:
    - name: r
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate: { pattern: { metadata: { labels: { app: "?*" } } } }
`);
    expect(one(p, pod('x', 'a', 'team-b'))).toMatchObject({
      policy: 'team-a/local',
      result: 'skip',
    });
    expect(one(p, pod('x', 'a', 'team-a'))).toMatchObject({
      result: 'fail',
      path: '/metadata/labels',
    });
  });

  it('a conditional anchor that matches nothing is a skip', () => {
    const p = base(
      rule(
        'c',
        `      validate: { pattern: { spec: { containers: [{ "(name)": "sidecar", image: "corp/*" }] } } }`,
      ),
    );
    expect(one(p, pod('x', 'nginx'))).toMatchObject({ result: 'skip' });
  });
});

describe('invalid policies are refused at compile time, naming policy, rule and path', () => {
  const withRule = (validate: string): unknown =>
    parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: broken }
spec:
  rules:
    - name: ok
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate: { pattern: { spec: { containers: [{ image: "?*" }] } } }
    - name: bad
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate: ${validate}
`);
  it.each([
    [
      '{ pattern: { spec: { containers: [{ image: ">=abc" }] } } }',
      /rule bad: spec\.rules\[1\]\.validate\.pattern\/spec\/containers\/0\/image: operator '>='/,
    ],
    ['{ pattern: { spec: { "(hostPID": true } } }', /rule bad.*pattern\/spec\/\(hostPID: anchor/],
    ['{ pattern: { spec: { replicas: "5-1" } } }', /low to high/],
    [
      '{ message: "{{ request.object.metadata.name[ }}", pattern: { spec: {} } }',
      /validate\.message: JMESPath/,
    ],
    [
      '{ deny: { conditions: { any: [{ key: a, operator: Bigger, value: b }] } } }',
      /rule bad.*deny\.conditions\.any\[0\]\.operator: unknown operator 'Bigger'/,
    ],
    ['{ failureAction: Block, pattern: {} }', /failure action "Block"/],
    ['{ message: hi }', /needs a pattern, anyPattern, deny or foreach/],
  ])('%s', (validate, message) => {
    let err: unknown;
    try {
      compilePolicy(withRule(validate));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('PolicyInvalid');
    expect((err as SluiceError).message).toMatch(/^policy broken: /);
    expect((err as SluiceError).message).toMatch(message);
  });

  it('refuses duplicate rule names and unknown kinds', () => {
    expect(() =>
      compilePolicy({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
    ).toThrow(/not a policy/);
    const dup: unknown = parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: d }
spec:
  rules:
    - { name: a, match: { any: [{ resources: { kinds: [Pod] } }] }, validate: { pattern: {} } }
    - { name: a, match: { any: [{ resources: { kinds: [Pod] } }] }, validate: { pattern: {} } }
`);
    expect(() => compilePolicy(dup)).toThrow(/unique/);
  });
});
