/** Patterns with anchors: a table of (pattern, resource, outcome, path). */
import { describe, expect, it } from 'vitest';
import { compilePattern } from './pattern.ts';

const pod = (containers: unknown[], extra: Record<string, unknown> = {}): unknown => ({
  metadata: { name: 'p', labels: { app: 'web' } },
  spec: { containers, ...extra },
});

const cases: Array<{
  name: string;
  pattern: unknown;
  resource: unknown;
  kind: string;
  path?: string;
}> = [
  {
    name: 'plain key present and matching',
    pattern: { spec: { containers: [{ image: '!*:latest' }] } },
    resource: pod([{ image: 'nginx:1.27' }]),
    kind: 'pass',
  },
  {
    name: 'fails at the element that mismatches',
    pattern: { spec: { containers: [{ image: '!*:latest' }] } },
    resource: pod([{ image: 'nginx:1.27' }, { image: 'redis:latest' }]),
    kind: 'fail',
    path: '/spec/containers/1/image',
  },
  {
    name: 'a missing plain key fails',
    pattern: { spec: { containers: [{ resources: { limits: { memory: '?*' } } }] } },
    resource: pod([{ image: 'a', resources: {} }]),
    kind: 'fail',
    path: '/spec/containers/0/resources/limits',
  },
  {
    name: 'null pattern accepts a missing key',
    pattern: { spec: { hostNetwork: null } },
    resource: pod([]),
    kind: 'pass',
  },
  {
    name: 'equality anchor ignores an absent key',
    pattern: { spec: { '=(hostNetwork)': false } },
    resource: pod([]),
    kind: 'pass',
  },
  {
    name: 'equality anchor checks a present key',
    pattern: { spec: { '=(hostNetwork)': false } },
    resource: pod([], { hostNetwork: true }),
    kind: 'fail',
    path: '/spec/hostNetwork',
  },
  {
    name: 'nested equality anchors (privileged)',
    pattern: { spec: { containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }] } },
    resource: pod([{ name: 'a' }, { name: 'b', securityContext: { privileged: true } }]),
    kind: 'fail',
    path: '/spec/containers/1/securityContext/privileged',
  },
  {
    name: 'conditional anchor skips elements that do not meet it',
    pattern: { spec: { containers: [{ '(image)': '*:latest', imagePullPolicy: 'Always' }] } },
    resource: pod([
      { image: 'a:1', imagePullPolicy: 'IfNotPresent' },
      { image: 'b:latest', imagePullPolicy: 'Always' },
    ]),
    kind: 'pass',
  },
  {
    name: 'conditional anchor met, rest checked',
    pattern: { spec: { containers: [{ '(image)': '*:latest', imagePullPolicy: 'Always' }] } },
    resource: pod([{ image: 'b:latest', imagePullPolicy: 'IfNotPresent' }]),
    kind: 'fail',
    path: '/spec/containers/0/imagePullPolicy',
  },
  {
    name: 'conditional anchor met by no element skips',
    pattern: { spec: { containers: [{ '(image)': '*:latest', imagePullPolicy: 'Always' }] } },
    resource: pod([{ image: 'a:1' }]),
    kind: 'skip',
  },
  {
    name: 'conditional anchor on a map skips the rule',
    pattern: { metadata: { labels: { '(app)': 'db', tier: 'data' } } },
    resource: pod([]),
    kind: 'skip',
  },
  {
    name: 'global anchor mismatch anywhere skips the whole rule',
    pattern: {
      spec: {
        containers: [{ '<(image)': 'corp.example/*' }],
        imagePullSecrets: [{ name: 'corp' }],
      },
    },
    resource: pod([{ image: 'docker.io/nginx' }]),
    kind: 'skip',
  },
  {
    name: 'global anchor met: the rest applies',
    pattern: {
      spec: {
        containers: [{ '<(image)': 'corp.example/*' }],
        imagePullSecrets: [{ name: 'corp' }],
      },
    },
    resource: pod([{ image: 'corp.example/app' }]),
    kind: 'fail',
    path: '/spec/imagePullSecrets',
  },
  {
    name: 'negation anchor: key must be absent',
    pattern: { spec: { 'X(hostPID)': 'null' } },
    resource: pod([], { hostPID: true }),
    kind: 'fail',
    path: '/spec/hostPID',
  },
  {
    name: 'negation anchor with a wildcard key',
    pattern: { metadata: { '=(annotations)': { 'X(fluxcd.io/*)': '*?' } } },
    resource: { metadata: { annotations: { 'fluxcd.io/automated': 'true' } } },
    kind: 'fail',
    path: '/metadata/annotations/fluxcd.io/automated',
  },
  {
    name: 'existence anchor: one element matches',
    pattern: { spec: { '^(containers)': [{ image: 'nginx*' }] } },
    resource: pod([{ image: 'redis' }, { image: 'nginx:1' }]),
    kind: 'pass',
  },
  {
    name: 'existence anchor: none matches',
    pattern: { spec: { '^(containers)': [{ image: 'nginx*' }] } },
    resource: pod([{ image: 'redis' }]),
    kind: 'fail',
    path: '/spec/containers',
  },
  {
    name: 'scalar list pattern: every element',
    pattern: { spec: { args: ['--safe*'] } },
    resource: { spec: { args: ['--safe', '--unsafe'] } },
    kind: 'fail',
    path: '/spec/args/1',
  },
  {
    name: 'quantities compare as quantities',
    pattern: { spec: { containers: [{ resources: { requests: { memory: '<=1Gi' } } }] } },
    resource: pod([{ resources: { requests: { memory: '512Mi' } } }]),
    kind: 'pass',
  },
  {
    name: 'an object where a string is expected fails',
    pattern: { spec: 'x' },
    resource: pod([]),
    kind: 'fail',
    path: '/spec',
  },
  {
    name: 'variables in a pattern leaf',
    pattern: { metadata: { labels: { app: '{{request.object.metadata.name}}' } } },
    resource: { metadata: { name: 'web', labels: { app: 'web' } } },
    kind: 'pass',
  },
];

describe('patterns', () => {
  it.each(cases)('$name', ({ pattern, resource, kind, path }) => {
    const ctx = { request: { object: resource } };
    const out = compilePattern(pattern)(resource, '', ctx);
    expect(out.kind).toBe(kind);
    if (path !== undefined && out.kind !== 'pass') expect(out.path).toBe(path);
  });

  it.each([
    [{ spec: { '(image': 'x' } }, '/spec/(image', /not closed/],
    [{ spec: { '+(image)': 'x' } }, '/spec/+(image)', /mutate/],
    [{ spec: { 'Y(image)': 'x' } }, '/spec/Y(image)', /not an anchor/],
    [{ spec: { '^(containers)': { image: 'x' } } }, '/spec/^(containers)', /needs a list/],
    [{ spec: { containers: [{ image: '>latest' }] } }, '/spec/containers/0/image', /operator '>'/],
    [{ metadata: { name: '{{ request.object.metadata.name[ }}' } }, '/metadata/name', /JMESPath/],
  ])('rejects %j at %s', (pattern, path, message) => {
    expect(() => compilePattern(pattern)).toThrow(message);
    try {
      compilePattern(pattern);
    } catch (err) {
      expect((err as { path: string }).path).toBe(path);
    }
  });
});
