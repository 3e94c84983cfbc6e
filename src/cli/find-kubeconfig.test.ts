import { describe, expect, it } from 'vitest';
import { findKubeconfig, NoKubeconfigError, type KubeconfigEnv } from './find-kubeconfig.ts';

const env = (files: string[], vars: Partial<KubeconfigEnv> = {}): KubeconfigEnv => ({
  home: '/home/u',
  exists: (p) => files.includes(p),
  ...vars,
});
const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';

describe('findKubeconfig', () => {
  it.each<[string, string | undefined, KubeconfigEnv, string | undefined]>([
    ['--kubeconfig that exists', '/k', env(['/k']), '/k'],
    [
      '$KUBECONFIG that exists: default loading',
      undefined,
      env(['/a'], { KUBECONFIG: '/a' }),
      undefined,
    ],
    [
      '$KUBECONFIG with one of two files',
      undefined,
      env(['/b'], { KUBECONFIG: '/a:/b' }),
      undefined,
    ],
    ['~/.kube/config', undefined, env(['/home/u/.kube/config']), undefined],
    ['in a pod', undefined, env([token], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }), undefined],
  ])('%s', (_case, explicit, e, want) => {
    expect(findKubeconfig(explicit, e)).toBe(want);
  });

  it.each<[string, string | undefined, KubeconfigEnv, string]>([
    [
      'nothing at all',
      undefined,
      env([]),
      'no kubeconfig: set KUBECONFIG or run `sluice dev-cluster up`',
    ],
    ['a --kubeconfig that is not there', '/k', env([]), 'no kubeconfig: /k does not exist'],
    [
      'a $KUBECONFIG that is not there',
      undefined,
      env([], { KUBECONFIG: '/gone' }),
      'KUBECONFIG names /gone',
    ],
    [
      'a service host without a token',
      undefined,
      env([], { KUBERNETES_SERVICE_HOST: 'x' }),
      'set KUBECONFIG',
    ],
  ])('refuses %s', (_case, explicit, e, message) => {
    const err = (() => {
      try {
        findKubeconfig(explicit, e);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NoKubeconfigError);
    expect((err as NoKubeconfigError).message).toContain(message);
    expect((err as NoKubeconfigError).describe()).toContain('sluice dev-cluster up');
  });
});
