import { describe, expect, it } from 'vitest';
import { clusterSecret } from '../api/cluster.ts';
import type { KubeObject } from '../kube/types.ts';
import { registeredCluster } from './connect.ts';
import {
  DestinationError,
  normalizeServer,
  resolveDestination,
  type Destination,
  type DestinationProblem,
  type RegisteredCluster,
} from './destination.ts';

const LOCAL_SERVER = 'https://127.0.0.1:6443';

const kubeconfig = (server: string): string => `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

const secret = (name: string, server: string): KubeObject =>
  clusterSecret({ namespace: 'sluice-system', name, server, kubeconfig: kubeconfig(server) });

const registered: RegisteredCluster[] = [
  registeredCluster(secret('prod', 'https://prod.example.com:6443')),
  registeredCluster(secret('staging', 'https://staging.example.com')),
  // Two names for one server (different credentials, say).
  registeredCluster(secret('edge-a', 'https://edge.example.com')),
  registeredCluster(secret('edge-b', 'https://edge.example.com/')),
  // Registered twice under one name.
  registeredCluster(secret('twice', 'https://twice-1.example.com')),
  {
    ...registeredCluster(secret('twice', 'https://twice-2.example.com')),
    secretName: 'cluster-twice-2',
  },
  // A Secret that cannot be used.
  {
    secretName: 'cluster-broken',
    name: 'broken',
    server: 'https://broken.example.com',
    problem: 'Secret cluster-broken has neither kubeconfig nor config: nothing to connect with',
  },
];

type Expected = { local: true } | { cluster: string } | { problem: DestinationProblem };

const cases: Array<[string, Destination, Expected]> = [
  ['nothing set: the local cluster', {}, { local: true }],
  ['only a namespace: the local cluster', { namespace: 'shop' }, { local: true }],
  ['in-cluster server', { server: 'https://kubernetes.default.svc' }, { local: true }],
  [
    'in-cluster server, trailing slash',
    { server: 'https://kubernetes.default.svc/' },
    { local: true },
  ],
  ['in-cluster name', { name: 'in-cluster' }, { local: true }],
  [
    'in-cluster name and server',
    { name: 'in-cluster', server: 'https://kubernetes.default.svc' },
    { local: true },
  ],
  ["the local kubeconfig's server", { server: 'https://127.0.0.1:6443' }, { local: true }],
  ['in-cluster name, local server', { name: 'in-cluster', server: LOCAL_SERVER }, { local: true }],
  ['empty strings are unset', { name: ' ', server: '' }, { local: true }],
  ['by name', { name: 'prod' }, { cluster: 'prod' }],
  ['by server', { server: 'https://prod.example.com:6443' }, { cluster: 'prod' }],
  [
    'by server, default port spelled out',
    { server: 'https://staging.example.com:443' },
    { cluster: 'staging' },
  ],
  [
    'by server, host in capitals',
    { server: 'https://STAGING.example.com' },
    { cluster: 'staging' },
  ],
  [
    'name and server agree',
    { name: 'prod', server: 'https://prod.example.com:6443/' },
    { cluster: 'prod' },
  ],
  [
    'name and server disagree',
    { name: 'prod', server: 'https://staging.example.com' },
    { problem: 'conflict' },
  ],
  [
    'in-cluster name, remote server',
    { name: 'in-cluster', server: 'https://prod.example.com:6443' },
    { problem: 'conflict' },
  ],
  [
    'remote name, in-cluster server',
    { name: 'prod', server: 'https://kubernetes.default.svc' },
    { problem: 'conflict' },
  ],
  ['unknown name', { name: 'nope' }, { problem: 'unknown' }],
  ['unknown server', { server: 'https://nope.example.com' }, { problem: 'unknown' }],
  ['name is case-sensitive', { name: 'Prod' }, { problem: 'unknown' }],
  [
    'one server, two names: by server is ambiguous',
    { server: 'https://edge.example.com' },
    { problem: 'ambiguous' },
  ],
  ['one server, two names: by name is fine', { name: 'edge-b' }, { cluster: 'edge-b' }],
  ['one name, two Secrets', { name: 'twice' }, { problem: 'ambiguous' }],
  ['a broken Secret', { name: 'broken' }, { problem: 'unusable' }],
  ['a broken Secret, by server', { server: 'https://broken.example.com' }, { problem: 'unusable' }],
];

describe('resolveDestination', () => {
  it.each(cases)('%s', (_, destination, expected) => {
    const got = resolveDestination('Application shop/web', destination, registered, LOCAL_SERVER);
    if ('problem' in expected) {
      expect(got).toBeInstanceOf(DestinationError);
      expect((got as DestinationError).problem).toBe(expected.problem);
      expect((got as DestinationError).code).toBe('InvalidDestination');
    } else if ('local' in expected) {
      expect(got).toEqual({ local: true, name: 'in-cluster' });
    } else {
      expect(got).not.toBeInstanceOf(DestinationError);
      expect(got).toMatchObject({ local: false, name: expected.cluster });
    }
  });

  it('an unknown cluster: the message names the app and the cluster, the hint what to run', () => {
    const err = resolveDestination('Application shop/web', { name: 'nope' }, [], LOCAL_SERVER);
    expect(err).toBeInstanceOf(DestinationError);
    const e = err as DestinationError;
    expect(e.message).toBe('Application shop/web: destination cluster "nope" is not registered');
    expect(e.cluster).toBe('nope');
    expect(e.hint).toContain('sluice cluster add nope --kubeconfig FILE');
    expect(e.hint).toContain('sluice cluster list');
  });

  it('an unknown server: the hint asks for a name', () => {
    const e = resolveDestination(
      'Application shop/web',
      { server: 'https://x.example.com' },
      [],
      LOCAL_SERVER,
    ) as DestinationError;
    expect(e.cluster).toBe('https://x.example.com');
    expect(e.hint).toContain('sluice cluster add NAME --kubeconfig FILE');
  });

  it('a broken Secret: the message says which Secret and what is wrong', () => {
    const e = resolveDestination(
      'Application shop/web',
      { name: 'broken' },
      registered,
      LOCAL_SERVER,
    ) as DestinationError;
    expect(e.message).toContain('cluster-broken has neither kubeconfig nor config');
  });
});

describe('registeredCluster', () => {
  it('reads a Secret written by `sluice cluster add`', () => {
    const r = registeredCluster(secret('prod', 'https://prod:6443'));
    expect(r).toMatchObject({
      secretName: 'cluster-prod',
      name: 'prod',
      server: 'https://prod:6443',
    });
    expect(r.spec).toBeDefined();
    expect(r.problem).toBeUndefined();
  });

  it('a Secret without credentials keeps its name, so the error can name it', () => {
    const s = secret('prod', 'https://prod:6443');
    delete (s['stringData'] as Record<string, string>)['kubeconfig'];
    const r = registeredCluster(s);
    expect(r).toMatchObject({ name: 'prod', server: 'https://prod:6443' });
    expect(r.spec).toBeUndefined();
    expect(r.problem).toContain('neither kubeconfig nor config');
  });

  it('a kubeconfig that does not load is a problem, not a crash later', () => {
    const s = secret('prod', 'https://prod:6443');
    (s['stringData'] as Record<string, string>)['kubeconfig'] = 'clusters: [{ name: c }]\n';
    const r = registeredCluster(s);
    expect(r.spec).toBeUndefined();
    expect(r.problem).toContain('Secret cluster-prod: kubeconfig cannot be used');
  });

  it('reads base64 data as well as stringData', () => {
    const s = secret('prod', 'https://prod:6443');
    const plain = s['stringData'] as Record<string, string>;
    s['data'] = Object.fromEntries(
      Object.entries(plain).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    delete s['stringData'];
    expect(registeredCluster(s).spec).toBeDefined();
  });
});

describe('normalizeServer', () => {
  it.each([
    ['https://a.example.com/', 'https://a.example.com'],
    ['https://A.example.com:443', 'https://a.example.com'],
    ['https://a.example.com:6443/', 'https://a.example.com:6443'],
    [' https://a.example.com/k8s/ ', 'https://a.example.com/k8s'],
  ])('%s -> %s', (input, want) => {
    expect(normalizeServer(input)).toBe(want);
  });
});
