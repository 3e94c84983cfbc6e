import type { RequestOptions } from 'node:https';
import { describe, expect, it } from 'vitest';
import type { ArgoClusterConfig, ClusterSpec } from '../api/cluster.ts';
import { checkConnectable, kubeConfigOf } from './connect.ts';

const argo = (config: ArgoClusterConfig): ClusterSpec => ({
  secretName: 'cluster-prod',
  name: 'prod',
  server: 'https://prod.example.com:6443',
  auth: { config },
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function httpsOptions(spec: ClusterSpec): Promise<RequestOptions> {
  const opts: RequestOptions = {};
  await kubeConfigOf(spec).applyToHTTPSOptions(opts);
  return opts;
}

describe("kubeConfigOf: Argo CD's config", () => {
  it('a bearer token and a CA', async () => {
    const kc = kubeConfigOf(argo({ bearerToken: 't0k', tlsClientConfig: { caData: b64('CA') } }));
    expect(kc.getCurrentCluster()?.server).toBe('https://prod.example.com:6443');
    const o = await httpsOptions(
      argo({ bearerToken: 't0k', tlsClientConfig: { caData: b64('CA') } }),
    );
    expect(o.headers).toMatchObject({ Authorization: 'Bearer t0k' });
    expect(o.ca).toEqual(Buffer.from('CA'));
    expect(o.rejectUnauthorized).toBeUndefined();
  });

  it('insecure skips verification; serverName is the TLS name', async () => {
    const o = await httpsOptions(
      argo({ bearerToken: 't', tlsClientConfig: { insecure: true, serverName: 'api.internal' } }),
    );
    expect(o.rejectUnauthorized).toBe(false);
    expect(o.servername).toBe('api.internal');
  });

  it('basic auth', async () => {
    const o = await httpsOptions(argo({ username: 'admin', password: 'pw' }));
    expect(o.auth).toBe('admin:pw');
  });

  it('a client certificate', async () => {
    const o = await httpsOptions(
      argo({ tlsClientConfig: { certData: b64('CERT'), keyData: b64('KEY') } }),
    );
    expect(o.cert).toEqual(Buffer.from('CERT'));
    expect(o.key).toEqual(Buffer.from('KEY'));
  });
});

describe('kubeConfigOf: a kubeconfig', () => {
  const spec = (kubeconfig: string): ClusterSpec => ({
    secretName: 'cluster-b',
    name: 'b',
    server: 'https://127.0.0.1:7443',
    auth: { kubeconfig },
  });

  it('uses the current context', () => {
    const kc = kubeConfigOf(
      spec(`apiVersion: v1
kind: Config
clusters:
  - { name: one, cluster: { server: "https://one:6443" } }
  - { name: two, cluster: { server: "https://two:6443" } }
users: [{ name: u, user: { token: x } }]
contexts:
  - { name: one, context: { cluster: one, user: u } }
  - { name: two, context: { cluster: two, user: u } }
current-context: two
`),
    );
    expect(kc.getCurrentCluster()?.server).toBe('https://two:6443');
  });

  it('a kubeconfig without a current context cannot be used; the problem names the Secret', () => {
    const problem = checkConnectable(
      spec(`apiVersion: v1
kind: Config
clusters: [{ name: one, cluster: { server: "https://one:6443" } }]
`),
    );
    expect(problem).toMatch(/^Secret cluster-b: kubeconfig cannot be used \(.*current context/);
  });

  it('not YAML at all', () => {
    expect(checkConnectable(spec('{{{'))).toMatch(/^Secret cluster-b: kubeconfig cannot be used/);
  });
});
