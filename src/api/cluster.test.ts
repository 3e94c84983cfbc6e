import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { clusterSecret, parseClusterSecret } from './cluster.ts';

const secret = (fields: Record<string, string>, encoded = false): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'cluster-prod', namespace: 'sluice-system' },
  ...(encoded
    ? {
        data: Object.fromEntries(
          Object.entries(fields).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      }
    : { stringData: fields }),
});
const SERVER = 'https://prod.example.com:6443';

describe('parseClusterSecret', () => {
  it.each([
    {
      name: 'kubeconfig → connects with it',
      secret: secret({ name: 'prod', server: SERVER, kubeconfig: 'apiVersion: v1' }),
      expected: {
        secretName: 'cluster-prod',
        name: 'prod',
        server: SERVER,
        auth: { kubeconfig: 'apiVersion: v1' },
      },
    },
    {
      name: "Argo CD's JSON config, base64 in data → connects with it",
      secret: secret({ name: 'prod', server: SERVER, config: '{"bearerToken":"t"}' }, true),
      expected: {
        secretName: 'cluster-prod',
        name: 'prod',
        server: SERVER,
        auth: { config: { bearerToken: 't' } },
      },
    },
    {
      name: 'no name → named by its server',
      secret: secret({ server: SERVER, kubeconfig: 'k' }),
      expected: {
        secretName: 'cluster-prod',
        name: SERVER,
        server: SERVER,
        auth: { kubeconfig: 'k' },
      },
    },
    {
      name: 'no server → problem with server',
      secret: secret({ name: 'prod', kubeconfig: 'k' }),
      expected: {
        secretName: 'cluster-prod',
        field: 'server',
        message: 'Secret cluster-prod has no server',
      },
    },
    {
      name: 'neither kubeconfig nor config → problem with kubeconfig',
      secret: secret({ name: 'prod', server: SERVER, kubeconfig: '  ' }),
      expected: {
        secretName: 'cluster-prod',
        field: 'kubeconfig',
        message: 'Secret cluster-prod has neither kubeconfig nor config: nothing to connect with',
      },
    },
    {
      name: 'config that is a JSON array → problem with config',
      secret: secret({ name: 'prod', server: SERVER, config: '[]' }),
      expected: {
        secretName: 'cluster-prod',
        field: 'config',
        message: 'Secret cluster-prod: config is not valid JSON (not a JSON object)',
      },
    },
  ])('$name', ({ secret: s, expected }) => {
    expect(parseClusterSecret(s)).toEqual(expected);
  });

  it('says why a config is not JSON', () => {
    const problem = parseClusterSecret(secret({ name: 'prod', server: SERVER, config: '{token' }));
    expect(problem).toHaveProperty('field', 'config');
    expect(problem).toHaveProperty(
      'message',
      expect.stringMatching(/^Secret cluster-prod: config is not valid JSON \(.+\)$/),
    );
  });

  it('reads back what `sluice cluster add` writes', () => {
    const written = clusterSecret({
      namespace: 'sluice-system',
      name: 'prod',
      server: SERVER,
      kubeconfig: 'apiVersion: v1',
    });
    expect(parseClusterSecret(written)).toEqual({
      secretName: 'cluster-prod',
      name: 'prod',
      server: SERVER,
      auth: { kubeconfig: 'apiVersion: v1' },
    });
  });
});
