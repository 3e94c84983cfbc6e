import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { parseImageRef } from './imageref.ts';
import { setKustomizeImages } from './kustomize.ts';

const set = (src: string, name: string, ref: string) =>
  setKustomizeImages(src, [{ name, ref: parseImageRef(ref) }]);

/** The changed lines of a diff, without headers: what a reviewer sees. */
function diffLines(a: string, b: string): string[] {
  return createTwoFilesPatch('a', 'b', a, b, '', '', { context: 0 })
    .split('\n')
    .filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---)/.test(l));
}

const BASE = `# dev overlay: owned by the web team
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # shared

images:
  # the web front end
  - name: web
    newName: localhost:5000/web   # our registry
    newTag: "1.2.0"
  - {name: worker, newTag: v3}
`;

describe('setKustomizeImages', () => {
  const cases: Array<{ what: string; src: string; name: string; ref: string; diff: string[] }> = [
    {
      what: 'replaces only the tag, keeping its double quotes and every comment',
      src: BASE,
      name: 'web',
      ref: 'localhost:5000/web:1.3.0',
      diff: ['-    newTag: "1.2.0"', '+    newTag: "1.3.0"'],
    },
    {
      what: 'edits a flow-style entry in place',
      src: BASE,
      name: 'worker',
      ref: 'worker:v4',
      diff: ['-  - {name: worker, newTag: v3}', '+  - {name: worker, newTag: v4}'],
    },
    {
      what: 'adds the digest next to the tag (tag@digest)',
      src: BASE,
      name: 'web',
      ref: `localhost:5000/web:1.3.0@sha256:${'a'.repeat(64)}`,
      diff: [
        '-    newTag: "1.2.0"',
        '+    newTag: "1.3.0"',
        `+    digest: sha256:${'a'.repeat(64)}`,
      ],
    },
    {
      what: 'appends a missing entry with the indentation of the others',
      src: BASE,
      name: 'api',
      ref: 'localhost:5000/api:0.1.0',
      diff: ['+  - name: api', '+    newName: localhost:5000/api', '+    newTag: 0.1.0'],
    },
    {
      what: 'adds an images list to a Kustomization without one',
      src: 'resources:\n- deploy.yaml\n',
      name: 'web',
      ref: 'web:v2',
      diff: ['+images:', '+- name: web', '+  newTag: v2'],
    },
    {
      what: 'quotes a tag that would read back as a number',
      src: 'images:\n- name: web\n  newTag: v1\n',
      name: 'web',
      ref: 'web:1.10',
      diff: ['-  newTag: v1', '+  newTag: "1.10"'],
    },
    {
      what: 'keeps single quotes',
      src: "images:\n- name: web\n  newTag: 'v1' # pinned\n",
      name: 'web',
      ref: 'web:v2',
      diff: ["-  newTag: 'v1' # pinned", "+  newTag: 'v2' # pinned"],
    },
    {
      what: 'a tag without a digest removes the old digest (kustomize renders the digest)',
      src: `images:\n- name: web\n  newTag: v1\n  digest: sha256:${'b'.repeat(64)}\n`,
      name: 'web',
      ref: 'web:v2',
      diff: ['-  newTag: v1', `-  digest: sha256:${'b'.repeat(64)}`, '+  newTag: v2'],
    },
    {
      what: 'a digest alone removes newTag, even as the first key of the entry',
      src: `images:\n- newTag: v1\n  name: web\n`,
      name: 'web',
      ref: `web@sha256:${'c'.repeat(64)}`,
      diff: [
        '-- newTag: v1',
        '-  name: web',
        '+- name: web',
        `+  digest: sha256:${'c'.repeat(64)}`,
      ],
    },
    {
      what: 'an empty file gets the list',
      src: '',
      name: 'web',
      ref: 'localhost:5000/web:v1',
      diff: ['+images:', '+- name: web', '+  newName: localhost:5000/web', '+  newTag: v1'],
    },
    {
      what: 'a file without a final newline keeps none',
      src: 'images:\n- name: web\n  newTag: v1',
      name: 'web',
      ref: 'web:v2',
      diff: [
        '-  newTag: v1',
        '\\ No newline at end of file',
        '+  newTag: v2',
        '\\ No newline at end of file',
      ].filter((l) => /^[+-]/.test(l)),
    },
    {
      what: 'a flow list gets a flow entry',
      src: 'images: [{name: a, newTag: "1"}]\n',
      name: 'web',
      ref: 'web:v2',
      diff: [
        '-images: [{name: a, newTag: "1"}]',
        '+images: [{name: a, newTag: "1"}, {name: web, newTag: v2}]',
      ],
    },
  ];
  it.each(cases)('$what', ({ src, name, ref, diff }) => {
    const r = set(src, name, ref);
    expect(diffLines(src, r.text)).toEqual(diff);
  });

  it('changes nothing, byte for byte, when the image is already there', () => {
    const r = set(BASE, 'web', 'localhost:5000/web:1.2.0');
    expect(r.text).toBe(BASE);
    expect(r.changes).toEqual([]);
  });

  it('says what changed from what', () => {
    const r = set(BASE, 'web', 'localhost:5000/web:1.3.0');
    expect(r.changes).toEqual([
      { path: 'images[name=web].newTag', oldValue: '1.2.0', newValue: '1.3.0' },
    ]);
  });

  it('writes newName when the repository changes, and the result renders as kustomize would', () => {
    const r = set(BASE, 'web', 'registry.example.com:5000/team/web:2.0.0');
    expect(diffLines(BASE, r.text)).toEqual([
      '-    newName: localhost:5000/web   # our registry',
      '-    newTag: "1.2.0"',
      '+    newName: registry.example.com:5000/team/web   # our registry',
      '+    newTag: "2.0.0"',
    ]);
  });

  it('refuses a file that is not YAML, naming the file and line', () => {
    expect(() =>
      setKustomizeImages(
        'images:\n  - name: [web\n',
        [{ name: 'web', ref: parseImageRef('web:v1') }],
        'dev/kustomization.yaml',
      ),
    ).toThrow(/dev\/kustomization.yaml: not valid YAML at line/);
  });

  it('refuses an images field that is not a list', () => {
    expect(() => set('images: web\n', 'web', 'web:v1')).toThrow(/`images` is not a list/);
  });
});
