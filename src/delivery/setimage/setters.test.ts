import { describe, expect, it } from 'vitest';
import { applySetters, markerValue, parseMarker, type PolicyImage } from './setters.ts';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const policies = new Map<string, PolicyImage>([
  ['apps:web', { image: 'localhost:5000/web', tag: '1.3.0' }],
  ['apps:pinned', { image: 'localhost:5000/api', tag: '2.0.0', digest: DIGEST }],
]);

describe('parseMarker', () => {
  const cases: Array<[string, ReturnType<typeof parseMarker>]> = [
    [' # {"$imagepolicy": "apps:web"}', { policy: 'apps:web' }],
    ['   #{"$imagepolicy":"apps:web:tag"}  ', { policy: 'apps:web', field: 'tag' }],
    [' # {"$imagepolicy": "apps:web:name"}', { policy: 'apps:web', field: 'name' }],
    [' # {"$imagepolicy": "apps:web:digest"}', { policy: 'apps:web', field: 'digest' }],
    [' # {"$imagepolicy": "web"}', undefined],
    [' # {"$imagepolicy": "apps:web:other"}', undefined],
    [' # {"$imagepolicy": apps:web}', undefined],
    [' # a comment', undefined],
  ];
  it.each(cases)('%j', (text, want) => expect(parseMarker(text)).toEqual(want));
});

describe('markerValue', () => {
  it('gives the whole reference, with the digest when the policy has one', () => {
    expect(markerValue({ image: 'r/web', tag: 'v1' }, undefined)).toBe('r/web:v1');
    expect(markerValue({ image: 'r/web', tag: 'v1', digest: DIGEST }, undefined)).toBe(
      `r/web:v1@${DIGEST}`,
    );
    expect(markerValue({ image: 'r/web', tag: 'v1' }, 'digest')).toBeUndefined();
  });
});

describe('applySetters', () => {
  const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the front end
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: localhost:5000/web:1.2.0 # {"$imagepolicy": "apps:web"}
        - name: api
          image: "localhost:5000/api:1.0.0" # {"$imagepolicy": "apps:unknown"}
---
# helm values inside a HelmRelease
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: api}
spec:
  values:
    image:
      repository: old/api # {"$imagepolicy": "apps:pinned:name"}
      tag: '1.0.0' # {"$imagepolicy": "apps:pinned:tag"}
      digest: none # {"$imagepolicy": "apps:pinned:digest"}
    args: [--image, x:1 # {"$imagepolicy": "apps:web"}
      ]
`;

  it('sets every marked value and leaves everything else byte for byte', () => {
    const r = applySetters(DEPLOY, policies, 'apps/web.yaml');
    const want = DEPLOY.replace('web:1.2.0 #', 'web:1.3.0 #')
      .replace('repository: old/api #', 'repository: localhost:5000/api #')
      .replace("tag: '1.0.0'", "tag: '2.0.0'")
      .replace('digest: none', `digest: ${DIGEST}`)
      .replace('x:1 #', 'localhost:5000/web:1.3.0 #');
    expect(r.text).toBe(want);
  });

  it('lists each change with its setter, path and object', () => {
    const r = applySetters(DEPLOY, policies);
    expect(r.changes[0]).toEqual({
      path: 'spec.template.spec.containers[0].image',
      oldValue: 'localhost:5000/web:1.2.0',
      newValue: 'localhost:5000/web:1.3.0',
      setter: 'apps:web',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
    });
    expect(r.changes.map((c) => c.setter)).toEqual([
      'apps:web',
      'apps:pinned:name',
      'apps:pinned:tag',
      'apps:pinned:digest',
      'apps:web',
    ]);
  });

  it('changes nothing when the values are current', () => {
    const once = applySetters(DEPLOY, policies).text;
    expect(applySetters(once, policies)).toEqual({ text: once, changes: [] });
  });

  it('ignores a marker on the next line, and files without markers are not parsed', () => {
    const src = 'image: web:1\n# {"$imagepolicy": "apps:web"}\n';
    expect(applySetters(src, policies).changes).toEqual([]);
    expect(applySetters('not: [valid', policies).changes).toEqual([]);
  });
});
