import { describe, expect, it } from 'vitest';
import { bundleCrdNames, parseBundle } from './gateway-api.ts';
import { GATEWAY_API_VERSION, TOOLS } from './tools.ts';

describe('the Gateway API CRD bundle', () => {
  it('is the standard channel of the pinned Go module, one file in the tool cache', () => {
    const tool = TOOLS.find((t) => t.name === 'gateway-api');
    expect(tool).toMatchObject({
      version: GATEWAY_API_VERSION,
      packages: [],
      binaries: ['gateway-api-crds.yaml'],
      assets: {
        module: `sigs.k8s.io/gateway-api@v${GATEWAY_API_VERSION}`,
        dirs: ['config/crd/standard'],
        file: 'gateway-api-crds.yaml',
      },
    });
    expect(GATEWAY_API_VERSION).toMatch(/^1\.6\./);
  });

  it('parses the concatenated files: comments, separators and empty documents are dropped', () => {
    const text = [
      '# from sigs.k8s.io/gateway-api@v1.6.3/config/crd/standard/a.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a\n',
      '---',
      '# from b.yaml',
      'kind: ValidatingAdmissionPolicy\napiVersion: admissionregistration.k8s.io/v1\nmetadata:\n  name: p\n',
      '',
      '---',
      '',
      '---',
      'kind: ValidatingAdmissionPolicyBinding\napiVersion: admissionregistration.k8s.io/v1\nmetadata:\n  name: b\n',
    ].join('\n');
    expect(parseBundle(text).map((o) => `${o.kind}/${o.metadata.name ?? ''}`)).toEqual([
      'CustomResourceDefinition/a',
      'ValidatingAdmissionPolicy/p',
      'ValidatingAdmissionPolicyBinding/b',
    ]);
  });

  it('finds the CRD names without parsing, as parsing would', () => {
    const crd = (name: string) =>
      [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata:',
        '  annotations:',
        '    gateway.networking.k8s.io/bundle-version: v1.6.3',
        '    name: not-this-one',
        `  name: ${name}`,
        'spec:',
        '  names:',
        '    kind: HTTPRoute',
        '  name: nor-this',
        '',
      ].join('\n');
    const vap = 'apiVersion: v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: p\n';
    const text = [crd('httproutes.gateway.networking.k8s.io'), vap, crd('gateways.x')].join(
      '---\n',
    );
    const parsed = parseBundle(text)
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata.name);
    expect(bundleCrdNames(text)).toEqual(parsed);
    expect(parsed).toEqual(['httproutes.gateway.networking.k8s.io', 'gateways.x']);
  });
});
