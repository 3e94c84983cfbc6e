import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SluiceError } from '../../errors.ts';
import { flattenKubeconfig } from './kubeconfig.ts';

const source = `
apiVersion: v1
kind: Config
current-context: a
clusters:
  - name: ca
    cluster: { server: https://127.0.0.1:6443, certificate-authority: /pki/ca.crt }
  - name: cb
    cluster: { server: https://b.example.com, certificate-authority-data: Q0EtQg==, insecure-skip-tls-verify: false }
users:
  - name: ua
    user: { client-certificate: /pki/a.crt, client-key: /pki/a.key }
  - name: ub
    user: { token: tok-b }
contexts:
  - name: a
    context: { cluster: ca, user: ua, namespace: apps }
  - name: b
    context: { cluster: cb, user: ub }
  - name: broken
    context: { cluster: nowhere, user: ub }
`;

const files: Record<string, string> = {
  '/pki/ca.crt': 'CA-A',
  '/pki/a.crt': 'CERT-A',
  '/pki/a.key': 'KEY-A',
};
const read = (path: string): Promise<Buffer> => {
  const f = files[path];
  return f === undefined
    ? Promise.reject(new Error(`ENOENT: ${path}`))
    : Promise.resolve(Buffer.from(f));
};

function load(text = source): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return kc;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function usage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SluiceError && err.exitCode === 2) return err.describe();
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('flattenKubeconfig', () => {
  it('keeps one context and inlines its certificate files', async () => {
    const flat = await flattenKubeconfig(load(), { source: 'kc' }, read);
    expect(flat.context).toBe('a');
    expect(flat.server).toBe('https://127.0.0.1:6443');
    const back = load(flat.kubeconfig);
    expect(back.getContexts().map((c) => c.name)).toEqual(['a']);
    expect(back.getCurrentContext()).toBe('a');
    expect(back.getCurrentCluster()?.caData).toBe(b64('CA-A'));
    expect(back.getCurrentCluster()?.caFile).toBeUndefined();
    expect(back.getCurrentUser()?.certData).toBe(b64('CERT-A'));
    expect(back.getCurrentUser()?.keyData).toBe(b64('KEY-A'));
    expect(back.getContextObject('a')?.namespace).toBe('apps');
    expect(flat.kubeconfig).not.toContain('null');
  });

  it('selects --context and applies --server', async () => {
    const flat = await flattenKubeconfig(
      load(),
      { source: 'kc', context: 'b', server: 'https://b.internal:6443' },
      read,
    );
    const doc = parse(flat.kubeconfig) as {
      clusters: Array<{ cluster: Record<string, unknown> }>;
      users: Array<{ user: Record<string, unknown> }>;
    };
    expect(doc.clusters).toHaveLength(1);
    expect(doc.clusters[0]?.cluster).toEqual({
      server: 'https://b.internal:6443',
      'certificate-authority-data': 'Q0EtQg==',
    });
    expect(doc.users[0]?.user).toEqual({ token: 'tok-b' });
    expect(flat.server).toBe('https://b.internal:6443');
  });

  it.each<[string, { context?: string }, string, string]>([
    ['an unknown context', { context: 'zz' }, 'has no context "zz"', 'its contexts: a, b, broken'],
    ['a context naming no cluster', { context: 'broken' }, 'names cluster "nowhere"', ''],
  ])('refuses %s', async (_case, o, message, hint) => {
    const text = await usage(flattenKubeconfig(load(), { source: 'kc', ...o }, read));
    expect(text).toContain(message);
    expect(text).toContain(hint);
  });

  it('names a certificate file it cannot read', async () => {
    delete files['/pki/a.key'];
    expect(await usage(flattenKubeconfig(load(), { source: 'kc' }, read))).toContain(
      'cannot read the client key /pki/a.key',
    );
  });
});
