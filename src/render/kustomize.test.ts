import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { detectTool, render } from './index.ts';
import {
  hasOverrides,
  overlayImages,
  overlayKustomization,
  parseImageOverride,
} from './kustomize.ts';
import { field, find, names, rejection, request } from './testutil.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The image of container `i` of the one Deployment. */
function image(objects: readonly KubeObject[], i: number): unknown {
  const deploy = objects.find((o) => o.kind === 'Deployment');
  return field(deploy, 'spec', 'template', 'spec', 'containers', i, 'image');
}

describe('parseImageOverride (kustomize edit set image formats)', () => {
  it.each([
    [
      'nginx=reg.example.com/nginx:1.27',
      { name: 'nginx', newName: 'reg.example.com/nginx', newTag: '1.27' },
    ],
    [
      `nginx=reg.example.com/nginx@${DIGEST}`,
      { name: 'nginx', newName: 'reg.example.com/nginx', digest: DIGEST },
    ],
    ['nginx:1.27', { name: 'nginx', newTag: '1.27' }],
    [`nginx@${DIGEST}`, { name: 'nginx', digest: DIGEST }],
    ['nginx=reg.example.com/nginx', { name: 'nginx', newName: 'reg.example.com/nginx' }],
    ['localhost:5000/app:v2', { name: 'localhost:5000/app', newTag: 'v2' }],
    ['app=localhost:5000/app', { name: 'app', newName: 'localhost:5000/app' }],
    [`app=reg/app:v2@${DIGEST}`, { name: 'app', newName: 'reg/app', newTag: 'v2', digest: DIGEST }],
    ['app=*:v3', { name: 'app', newTag: 'v3' }],
    ['  ghcr.io/org/guestbook:3f2a9c1 ', { name: 'ghcr.io/org/guestbook', newTag: '3f2a9c1' }],
  ])('%s', (input, expected) => {
    expect(parseImageOverride(input)).toEqual(expected);
  });

  it.each([
    ['nginx', 'no `=newName`, `:tag` or `@digest`'],
    ['=reg/nginx:1', 'empty image name'],
    ['nginx=', 'empty image name'],
    ['a=b=c', 'more than one `=`'],
    ['nginx@', 'empty digest'],
  ])('rejects %s', (input, why) => {
    let err: unknown;
    try {
      parseImageOverride(input);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'KustomizeFailed' });
    expect((err as Error).message).toContain(why);
    expect((err as { hint: string }).hint).toContain('name=newName:tag');
  });
});

describe('the overrides overlay', () => {
  it('is only built when there is something to override', () => {
    expect(hasOverrides(undefined)).toBe(false);
    expect(hasOverrides({})).toBe(false);
    expect(hasOverrides({ images: [], commonLabels: {} })).toBe(false);
    expect(hasOverrides({ namePrefix: 'x-' })).toBe(true);
  });

  it('refers to the app by relative path and carries every override', () => {
    const k = overlayKustomization('../../repo/apps/web', {
      images: ['web:2'],
      namePrefix: 'p-',
      nameSuffix: '-s',
      commonLabels: { team: 'y' },
      commonAnnotations: { owner: 'n' },
    });
    expect(k).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../../repo/apps/web'],
      namePrefix: 'p-',
      nameSuffix: '-s',
      labels: [{ pairs: { team: 'y' }, includeSelectors: true }],
      commonAnnotations: { owner: 'n' },
      images: [{ name: 'web', newTag: '2' }],
    });
  });

  it('also overrides an image under the name the app kustomization renamed it to', () => {
    const app = [{ name: 'shop', newName: 'registry.example.com/shop', newTag: '1.0.0' }];
    expect(overlayImages(['shop:2.0.0', 'other:1'], app)).toEqual([
      { name: 'shop', newTag: '2.0.0' },
      { name: 'other', newTag: '1' },
      { name: 'registry.example.com/shop', newTag: '2.0.0' },
    ]);
  });
});

describe('kustomize apps (real kustomize)', () => {
  it('is detected from kustomization.yaml', async () => {
    expect(await detectTool(request('kustomize/base'))).toBe('kustomize');
  });

  it('builds the base', async () => {
    const { tool, objects } = await render(request('kustomize/base'));
    expect(tool).toBe('kustomize');
    expect(names(objects)).toEqual(['Service/shop', 'Deployment/shop']);
    expect(image(objects, 0)).toBe('registry.example.com/shop:1.0.0');
    expect(field(find(objects, 'Deployment', 'shop'), 'spec', 'replicas')).toBe(1);
  });

  it('builds overlays: dev adds a prefix, prod changes replicas and adds a label', async () => {
    const dev = await render(request('kustomize/overlays/dev'));
    expect(names(dev.objects)).toEqual(['Service/dev-shop', 'Deployment/dev-shop']);
    const prod = await render(request('kustomize/overlays/prod'));
    const deploy = find(prod.objects, 'Deployment', 'shop');
    expect(field(deploy, 'spec', 'replicas')).toBe(5);
    expect(deploy.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'shop', env: 'prod' });
    expect(find(prod.objects, 'Service', 'shop').metadata.labels?.['env']).toBe('prod');
  });

  it('applies spec.source.kustomize overrides through a temporary overlay', async () => {
    const { objects } = await render(
      request('kustomize/base', {
        kustomize: {
          images: [
            'shop=registry.example.com/shop:2.0.0',
            `envoyproxy/envoy=mirror.example.com/envoy@${DIGEST}`,
          ],
          namePrefix: 'blue-',
          nameSuffix: '-v2',
          commonLabels: { team: 'payments', canary: 'y' },
          commonAnnotations: { 'sluice.dev/owner': 'on' },
        },
      }),
    );
    expect(names(objects)).toEqual(['Service/blue-shop-v2', 'Deployment/blue-shop-v2']);
    const deploy = find(objects, 'Deployment', 'blue-shop-v2');
    // The base's own images entry renamed `shop`; the override still wins.
    expect(image(objects, 0)).toBe('registry.example.com/shop:2.0.0');
    expect(image(objects, 1)).toBe(`mirror.example.com/envoy@${DIGEST}`);
    // YAML 1.1 words (`y`, `on`) stay strings: the overlay is written as JSON.
    expect(deploy.metadata.labels).toMatchObject({ team: 'payments', canary: 'y' });
    expect(deploy.metadata.annotations).toEqual({ 'sluice.dev/owner': 'on' });
    // commonLabels semantics: selectors and templates get the labels too.
    expect(field(deploy, 'spec', 'selector', 'matchLabels', 'team')).toBe('payments');
    expect(field(deploy, 'spec', 'template', 'metadata', 'labels', 'team')).toBe('payments');
  });

  it('layers overrides over an overlay (prefixes add up)', async () => {
    const { objects } = await render(
      request('kustomize/overlays/dev', {
        kustomize: { namePrefix: 'x-', images: ['registry.example.com/shop:3.1.0'] },
      }),
    );
    expect(names(objects)).toEqual(['Service/x-dev-shop', 'Deployment/x-dev-shop']);
    expect(image(objects, 0)).toBe('registry.example.com/shop:3.1.0');
  });

  it('renders explicitly requested kustomize without overrides the same as detected', async () => {
    const a = await render(request('kustomize/overlays/prod', { kustomize: {} }));
    const b = await render(request('kustomize/overlays/prod'));
    expect(a).toEqual(b);
  });
});

describe('kustomize errors', () => {
  it("KustomizeFailed quotes kustomize's stderr, with paths relative to the repository", async () => {
    const err = await rejection(render(request('kustomize/broken')));
    expect(err['code']).toBe('KustomizeFailed');
    expect(err.message).toMatch(
      /^kustomize build kustomize\/broken failed \(exit 1\):\n {2}Error: /,
    );
    expect(err.message).toContain('kustomize/broken/does-not-exist.yaml');
    expect(err.message).not.toContain(process.cwd());
    expect(err['hint']).toContain('kustomize build kustomize/broken');
    expect(err['file']).toBe('kustomize/broken');
  });

  it('KustomizeFailed through the overrides overlay names the app, not temporary paths', async () => {
    const err = await rejection(
      render(request('kustomize/broken', { kustomize: { namePrefix: 'x-' } })),
    );
    expect(err['code']).toBe('KustomizeFailed');
    expect(err.message).toContain('does-not-exist.yaml');
    expect(err.message).not.toMatch(/sluice-kustomize-/);
  });

  it('KustomizeFailed when kustomize is asked for and there is no kustomization', async () => {
    const err = await rejection(render(request('directory/app', { kustomize: {} })));
    expect(err['code']).toBe('KustomizeFailed');
    expect(err.message).toContain('kustomization');
  });

  it('KustomizeFailed for an unparseable image override, before running anything', async () => {
    const err = await rejection(
      render(request('kustomize/base', { kustomize: { images: ['shop'] } })),
    );
    expect(err['code']).toBe('KustomizeFailed');
    expect(err.message).toContain('invalid image override "shop"');
  });
});
