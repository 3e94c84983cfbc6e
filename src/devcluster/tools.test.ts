import { describe, expect, it } from 'vitest';
import { kubernetesGoMod, kubernetesLdflags, TOOLS } from './tools.ts';

describe('kubernetes wrapper module', () => {
  const goMod = kubernetesGoMod('1.36.3');

  it('requires k8s.io/kubernetes at the tag and replaces staging modules with v0.<minor>.<patch>', () => {
    expect(goMod).toContain('require k8s.io/kubernetes v1.36.3');
    expect(goMod).toContain('k8s.io/api => k8s.io/api v0.36.3');
    expect(goMod).toContain('k8s.io/client-go => k8s.io/client-go v0.36.3');
    expect(goMod).not.toContain('./staging');
  });

  it('stamps the version into both version packages', () => {
    const flags = kubernetesLdflags('1.36.3');
    expect(flags).toContain('-X k8s.io/component-base/version.gitVersion=v1.36.3');
    expect(flags).toContain('-X k8s.io/client-go/pkg/version.gitVersion=v1.36.3');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMinor=36');
  });

  it('pins every tool the dev cluster and the renderers need', () => {
    const binaries = TOOLS.flatMap((t) => t.binaries);
    for (const b of [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubectl',
      'kwok',
      'helm',
      'kustomize',
    ]) {
      expect(binaries).toContain(b);
    }
    for (const t of TOOLS) expect(t.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
