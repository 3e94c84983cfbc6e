import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { setValues } from './helm.ts';

function diffLines(a: string, b: string): string[] {
  return createTwoFilesPatch('a', 'b', a, b, '', '', { context: 0 })
    .split('\n')
    .filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---)/.test(l));
}

const VALUES = `# Default values for web.
replicaCount: 2

image:
  repository: localhost:5000/web
  # bump me through set-image
  tag: "1.2.0"   # managed by CI
  pullPolicy: IfNotPresent

sidecars: [{name: proxy, image: {repository: envoy, tag: v1}}]
podAnnotations:
  prometheus.io/scrape: "true"
`;

describe('setValues', () => {
  const cases: Array<{ what: string; src: string; key: string; value: string; diff: string[] }> = [
    {
      what: 'replaces the value, keeping quotes, comments and blank lines',
      src: VALUES,
      key: 'image.tag',
      value: '1.3.0',
      diff: ['-  tag: "1.2.0"   # managed by CI', '+  tag: "1.3.0"   # managed by CI'],
    },
    {
      what: 'adds a missing key after its siblings',
      src: VALUES,
      key: 'image.digest',
      value: `sha256:${'d'.repeat(64)}`,
      diff: [`+  digest: sha256:${'d'.repeat(64)}`],
    },
    {
      what: 'adds the missing parents too, at the root',
      src: VALUES,
      key: 'worker.image.tag',
      value: 'v9',
      diff: ['+worker:', '+  image:', '+    tag: v9'],
    },
    {
      what: 'reaches into lists and flow maps',
      src: VALUES,
      key: 'sidecars[0].image.tag',
      value: 'v2',
      diff: [
        '-sidecars: [{name: proxy, image: {repository: envoy, tag: v1}}]',
        '+sidecars: [{name: proxy, image: {repository: envoy, tag: v2}}]',
      ],
    },
    {
      what: 'adds a key to a flow map',
      src: VALUES,
      key: 'sidecars[0].image.digest',
      value: 'sha256:' + 'e'.repeat(64),
      diff: [
        '-sidecars: [{name: proxy, image: {repository: envoy, tag: v1}}]',
        `+sidecars: [{name: proxy, image: {repository: envoy, tag: v1, digest: sha256:${'e'.repeat(64)}}}]`,
      ],
    },
    {
      what: 'takes escaped dots as part of a key',
      src: VALUES,
      key: 'podAnnotations.prometheus\\.io/scrape',
      value: 'false',
      diff: ['-  prometheus.io/scrape: "true"', '+  prometheus.io/scrape: "false"'],
    },
    {
      what: 'fills a key written without a value',
      src: 'image:\n  tag:\n  pullPolicy: Always\n',
      key: 'image.tag',
      value: 'v1',
      diff: ['-  tag:', '+  tag: v1'],
    },
    {
      what: 'keeps a four-space indentation',
      src: 'image:\n    repository: web\n',
      key: 'image.tag',
      value: 'v1',
      diff: ['+    tag: v1'],
    },
    {
      what: 'starts an empty values file',
      src: '# nothing yet\n',
      key: 'image.tag',
      value: 'v1',
      diff: ['+image:', '+  tag: v1'],
    },
    {
      what: 'quotes what YAML 1.1 (Helm) would read as a boolean',
      src: 'flag: x\n',
      key: 'flag',
      value: 'yes',
      diff: ['-flag: x', '+flag: "yes"'],
    },
  ];
  it.each(cases)('$what', ({ src, key, value, diff }) => {
    expect(diffLines(src, setValues(src, [{ key, value }]).text)).toEqual(diff);
  });

  it('is a no-op, byte for byte, when the value is there (numbers as written)', () => {
    const src = 'image:\n  tag: 1.10\n';
    const r = setValues(src, [{ key: 'image.tag', value: '1.10' }]);
    expect(r).toEqual({ text: src, changes: [] });
  });

  it('sets several keys, each seeing the ones before', () => {
    const r = setValues('app: {}\n', [
      { key: 'app.image.tag', value: 'v2' },
      { key: 'app.image.digest', value: `sha256:${'f'.repeat(64)}` },
    ]);
    expect(r.text).toBe(`app: {image: {tag: v2, digest: sha256:${'f'.repeat(64)}}}\n`);
    expect(r.changes.map((c) => c.path)).toEqual(['app.image.tag', 'app.image.digest']);
  });

  it('reports the old and new value', () => {
    expect(setValues(VALUES, [{ key: 'image.tag', value: '2.0.0' }]).changes).toEqual([
      { path: 'image.tag', oldValue: '1.2.0', newValue: '2.0.0' },
    ]);
  });

  const conflicts: Array<[string, string, RegExp]> = [
    [
      'replicaCount.tag',
      VALUES,
      /replicaCount is a single value, so replicaCount\.tag cannot be set/,
    ],
    ['image', VALUES, /image is a map, so image cannot be set/],
    ['sidecars[3].tag', VALUES, /sidecars\[3\] is missing/],
    ['image..tag', VALUES, /key path "image\.\.tag": an empty key/],
    ['tag', 'tag: |\n  v1\n', /multi-line block scalar/],
  ];
  it.each(conflicts)('refuses %s with a message naming the path', (key, src, message) => {
    expect(() => setValues(src, [{ key, value: 'v' }], 'charts/web/values.yaml')).toThrow(message);
  });
});
