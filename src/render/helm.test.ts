import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { escapeSetValue, helmEnv, helmTemplateArgs, isTestHook } from './helm.ts';
import { detectTool, render } from './index.ts';
import { field, find, names, rejection, request } from './testutil.ts';

const web = (helm: NonNullable<Parameters<typeof request>[1]>['helm'] = {}, extra = {}) =>
  request('helm/web', { helm }, extra);

const config = (objects: KubeObject[], release = 'shop') =>
  find(objects, 'ConfigMap', `${release}-web-config`)['data'] as Record<string, string>;

describe('helm arguments', () => {
  it('orders flags like Argo CD: value files, inline values, then parameters', () => {
    const args = helmTemplateArgs({
      release: 'shop',
      chartDir: '/repo/charts/web',
      namespace: 'shop-prod',
      helm: {
        parameters: [
          { name: 'image.tag', value: 'v1,2' },
          { name: 'replicas', value: '3', forceString: true },
        ],
      },
      valueFiles: ['/repo/charts/web/values-prod.yaml'],
      inlineValuesFile: '/tmp/x/inline-values.yaml',
      kubeVersion: '1.36.3',
      apiVersions: ['monitoring.coreos.com/v1', 'batch/v1'],
    });
    expect(args).toEqual([
      'template',
      'shop',
      '/repo/charts/web',
      '--namespace',
      'shop-prod',
      '--include-crds',
      '-f',
      '/repo/charts/web/values-prod.yaml',
      '-f',
      '/tmp/x/inline-values.yaml',
      '--set',
      'image.tag=v1\\,2',
      '--set-string',
      'replicas=3',
      '--kube-version',
      '1.36.3',
      '--api-versions',
      'monitoring.coreos.com/v1',
      '--api-versions',
      'batch/v1',
    ]);
    const bare = helmTemplateArgs({
      release: 'r',
      chartDir: '/c',
      namespace: '',
      helm: { skipCrds: true },
      valueFiles: [],
    });
    expect(bare).toEqual(['template', 'r', '/c']);
  });

  it('escapes commas in --set values except in {a,b} lists', () => {
    expect(escapeSetValue('a,b')).toBe('a\\,b');
    expect(escapeSetValue('a\\,b')).toBe('a\\,b');
    expect(escapeSetValue('{a,b}')).toBe('{a,b}');
    expect(escapeSetValue('plain')).toBe('plain');
  });

  it("isolates helm from the host user's home and Helm settings", () => {
    const env = helmEnv('/tmp/h', {
      PATH: '/usr/bin',
      HOME: '/root',
      HELM_REPOSITORY_CONFIG: '/root/repos.yaml',
      HELM_DRIVER: 'sql',
      KUBECONFIG: '/root/.kube/config',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/tmp/h',
      HELM_CACHE_HOME: '/tmp/h/cache',
      HELM_CONFIG_HOME: '/tmp/h/config',
      HELM_DATA_HOME: '/tmp/h/data',
      KUBECONFIG: '/tmp/h/no-kubeconfig',
    });
  });

  it('recognizes test hooks only when every hook is a test hook', () => {
    const obj = (hook?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        ...(hook === undefined ? {} : { annotations: { 'helm.sh/hook': hook } }),
      },
    });
    expect(isTestHook(obj('test'))).toBe(true);
    expect(isTestHook(obj('test-success'))).toBe(true);
    expect(isTestHook(obj('test-failure, test'))).toBe(true);
    expect(isTestHook(obj('pre-install,test'))).toBe(false);
    expect(isTestHook(obj('pre-install'))).toBe(false);
    expect(isTestHook(obj(''))).toBe(false);
    expect(isTestHook(obj())).toBe(false);
  });
});

describe('helm charts (real helm)', () => {
  it('is detected from Chart.yaml', async () => {
    expect(await detectTool(request('helm/web'))).toBe('helm');
  });

  it('renders the chart with CRDs, the vendored dependency and hooks; drops the test pod', async () => {
    const { tool, objects } = await render(request('helm/web'));
    expect(tool).toBe('helm');
    expect(names(objects).sort()).toEqual([
      'ConfigMap/shop-cache', // charts/cache, vendored
      'ConfigMap/shop-web-config',
      'CustomResourceDefinition/widgets.example.com', // crds/
      'Deployment/shop-web',
      'Job/shop-web-migrate', // pre-install/pre-upgrade hook
      'Service/shop-web',
    ]);
    expect(names(objects)).not.toContain('Pod/shop-web-test-connection');
    expect(field(find(objects, 'Deployment', 'shop-web'), 'spec', 'replicas')).toBe(1);
    expect(config(objects)).toMatchObject({ greeting: 'hello', namespace: 'shop-prod' });
  });

  it('keeps hook annotations for the sync engine and leaves namespaces unset', async () => {
    const { objects } = await render(request('helm/web'));
    expect(find(objects, 'Job', 'shop-web-migrate').metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(objects.every((o) => o.metadata.namespace === undefined)).toBe(true);
  });

  it('applies valueFiles (relative to the chart), then inline values, then parameters', async () => {
    const prod = await render(web({ valueFiles: ['values-prod.yaml'] }));
    const deploy = find(prod.objects, 'Deployment', 'shop-web');
    expect(field(deploy, 'spec', 'replicas')).toBe(4);
    expect(field(deploy, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(
      'nginx:1.27.3',
    );
    expect(config(prod.objects)['greeting']).toBe('hello from prod');

    const inline = await render(
      web({ valueFiles: ['values-prod.yaml'], values: 'greeting: from inline\nreplicaCount: 6\n' }),
    );
    expect(config(inline.objects)['greeting']).toBe('from inline');
    expect(field(find(inline.objects, 'Deployment', 'shop-web'), 'spec', 'replicas')).toBe(6);

    const params = await render(
      web({
        valueFiles: ['values-prod.yaml'],
        values: 'replicaCount: 6\n',
        parameters: [
          { name: 'replicaCount', value: '7' },
          { name: 'greeting', value: 'a,b' },
          { name: 'features', value: '{x,y}' },
        ],
      }),
    );
    expect(field(find(params.objects, 'Deployment', 'shop-web'), 'spec', 'replicas')).toBe(7);
    expect(config(params.objects)).toMatchObject({ greeting: 'a,b', features: 'x,y' });
  });

  it('forceString sets a string where --set would infer a type', async () => {
    const typed = await render(web({ parameters: [{ name: 'greeting', value: 'true' }] }));
    expect(config(typed.objects)['greetingKind']).toBe('bool');
    const forced = await render(
      web({ parameters: [{ name: 'greeting', value: 'true', forceString: true }] }),
    );
    expect(config(forced.objects)['greetingKind']).toBe('string');
  });

  it('uses releaseName, skipCrds, --kube-version and --api-versions', async () => {
    const { objects } = await render(
      web(
        { releaseName: 'blue', skipCrds: true },
        {
          kubeVersion: '1.33.0',
          apiVersions: ['monitoring.coreos.com/v1'],
        },
      ),
    );
    expect(names(objects)).not.toContain('CustomResourceDefinition/widgets.example.com');
    expect(config(objects, 'blue')).toMatchObject({
      kubeVersion: 'v1.33.0',
      monitoring: 'enabled',
    });
    const plain = await render(request('helm/web'));
    expect(config(plain.objects)['monitoring']).toBeUndefined();
  });
});

describe('helm errors', () => {
  it('ChartNotFound when helm is asked for and there is no Chart.yaml', async () => {
    const err = await rejection(render(request('directory/app', { helm: {} })));
    expect(err['code']).toBe('ChartNotFound');
    expect(err.message).toBe('directory/app has no Chart.yaml: it is not a Helm chart');
    expect(err['hint']).toMatch(/spec\.source\.path/);
  });

  it('ValuesFileNotFound naming the missing file from the repository root', async () => {
    const err = await rejection(
      render(web({ valueFiles: ['values-prod.yaml', 'values-staging.yaml'] })),
    );
    expect(err['code']).toBe('ValuesFileNotFound');
    expect(err['file']).toBe('helm/web/values-staging.yaml');
    expect(err.message).toBe(
      'helm values file "helm/web/values-staging.yaml" does not exist (listed as "values-staging.yaml")',
    );
    expect(err['hint']).toContain('relative to the chart directory (helm/web)');
  });

  it('value files may name other files of the repository, never files outside it or URLs', async () => {
    const shared = await render(web({ valueFiles: ['/helm/web/values-prod.yaml'] }));
    expect(config(shared.objects)['greeting']).toBe('hello from prod');
    const outside = await rejection(render(web({ valueFiles: ['../../../../../../etc/passwd'] })));
    expect(outside['code']).toBe('ValuesFileNotFound');
    expect(outside.message).toContain('is outside the repository');
    const url = await rejection(render(web({ valueFiles: ['https://example.com/values.yaml'] })));
    expect(url['code']).toBe('ValuesFileNotFound');
    expect(url['hint']).toMatch(/offline/);
  });

  it("HelmFailed quotes helm's own message for a template error", async () => {
    const err = await rejection(render(request('helm/bad-template')));
    expect(err['code']).toBe('HelmFailed');
    expect(err.message).toBe(
      'helm template helm/bad-template failed (exit 1):\n' +
        '  Error: parse error at (bad-template/templates/configmap.yaml:6): function "nosuchfunction" not defined',
    );
  });

  it('HelmFailed for dependencies that are not vendored, with a hint to vendor them', async () => {
    const err = await rejection(render(request('helm/unvendored')));
    expect(err['code']).toBe('HelmFailed');
    expect(err.message).toContain('missing in charts/ directory: postgresql');
    expect(err['hint']).toBe(
      "the chart's dependencies postgresql are not vendored and Sluice renders offline: run `helm dependency build helm/unvendored` and commit helm/unvendored/charts/",
    );
  });

  it('HelmFailed names inline values, not a temporary file, when they do not parse', async () => {
    const err = await rejection(render(web({ values: 'a: [' })));
    expect(err['code']).toBe('HelmFailed');
    expect(err.message).toContain('spec.source.helm.values');
    expect(err.message).not.toContain('sluice-helm-');
  });

  it('MalformedManifest names the template that rendered a bad object', async () => {
    const err = await rejection(
      render(web({ parameters: [{ name: 'brokenObject', value: 'true' }] })),
    );
    expect(err['code']).toBe('MalformedManifest');
    expect(err['file']).toBe('helm/web/templates/broken.yaml');
    expect(err.message).toMatch(
      /^helm\/web\/templates\/broken\.yaml \(helm template helm\/web output, document \d+\) \(found shop-broken\): `kind` is missing/,
    );
  });
});
