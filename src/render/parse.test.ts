import { describe, expect, it } from 'vitest';
import { RenderError } from './errors.ts';
import { objectProblems, parseJson, parseYaml } from './parse.ts';
import { names, rejection } from './testutil.ts';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

function parseError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
  throw new Error('expected a RenderError');
}

describe('parseYaml', () => {
  it('reads every document, skipping empty, null and comment-only ones', () => {
    const text = `${cm('a')}---\n---\n~\n---\n# nothing\n---\n${cm('b')}`;
    expect(names(parseYaml(text, { origin: 'x.yaml' }))).toEqual(['ConfigMap/a', 'ConfigMap/b']);
  });

  it('flattens List and *List kinds, nested', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}',
      '  - apiVersion: v1',
      '    kind: SecretList',
      '    items: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]',
      '---',
      'apiVersion: v1',
      'kind: ConfigMapList',
      'items: []',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items: null',
    ].join('\n');
    expect(names(parseYaml(text, { origin: 'x.yaml' }))).toEqual(['ConfigMap/a', 'Secret/s']);
  });

  it('keeps a kind that ends in List but has no items array (a CRD kind)', () => {
    const text =
      'apiVersion: todo.example.com/v1\nkind: TodoList\nmetadata: {name: mine}\nspec: {}\n';
    expect(names(parseYaml(text, { origin: 'x.yaml' }))).toEqual(['TodoList/mine']);
  });

  it('accepts generateName instead of name, and leaves duplicates alone', () => {
    const text = `apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: run-}\n---\n${cm('a')}---\n${cm('a')}`;
    expect(names(parseYaml(text, { origin: 'x.yaml' }))).toEqual([
      'Job/run-',
      'ConfigMap/a',
      'ConfigMap/a',
    ]);
  });

  it('reads YAML 1.2: yes/on and dates stay strings; merge keys work', () => {
    const text = `${cm('a')}data:\n  a: yes\n  b: on\n  c: 2024-01-02\n  d: "1"\n`;
    expect(parseYaml(text, { origin: 'x.yaml' })[0]?.['data']).toEqual({
      a: 'yes',
      b: 'on',
      c: '2024-01-02',
      d: '1',
    });
    const merged =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  labels: &l {team: a}\n  annotations:\n    <<: *l\n    x: y\n';
    expect(parseYaml(merged, { origin: 'x.yaml' })[0]?.metadata.annotations).toEqual({
      team: 'a',
      x: 'y',
    });
  });

  it('reports YAML syntax errors with file, document and line:col', () => {
    const err = parseError(() =>
      parseYaml(
        `${cm('ok')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n    bad: 1\n`,
        {
          origin: 'apps/web/cm.yaml',
          file: 'apps/web/cm.yaml',
        },
      ),
    );
    expect(err.code).toBe('MalformedManifest');
    expect(err.file).toBe('apps/web/cm.yaml');
    expect(err.message).toMatch(
      /^apps\/web\/cm\.yaml document 2, line 9:9: invalid YAML: Nested mappings/,
    );
    expect(err.hint).toMatch(/YAML syntax/);
  });

  it('names what is missing, with the document, its line and what was found', () => {
    const text = `${cm('ok')}---\n# second\napiVersion: v1\nmetadata:\n  name: kindless\n`;
    const err = parseError(() => parseYaml(text, { origin: 'a.yaml', file: 'a.yaml' }));
    expect(err.message).toBe(
      'a.yaml document 2 (line 7) (found kindless): `kind` is missing or not a string',
    );
    const all = parseError(() => parseYaml('foo: bar\n', { origin: 'a.yaml' }));
    expect(all.message).toContain('`apiVersion` is missing');
    expect(all.message).toContain('`kind` is missing');
    expect(all.message).toContain('`metadata` is missing');
    const scalar = parseError(() => parseYaml('just text\n', { origin: 'a.yaml' }));
    expect(scalar.message).toContain('is string, not a mapping');
  });

  it('names a bad List item by its index and line', () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {}\n';
    const err = parseError(() => parseYaml(text, { origin: 'l.yaml', file: 'l.yaml' }));
    expect(err.message).toContain('l.yaml document 1 (line 1), item 1 (line 4)');
    expect(err.message).toContain('`metadata.name` (or `metadata.generateName`) is missing');
  });

  it('names Helm documents after their # Source: template', () => {
    const text = `---\n# Source: web/templates/ok.yaml\n${cm('ok')}---\n# Source: web/templates/bad.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`;
    const err = parseError(() =>
      parseYaml(text, {
        origin: 'helm template charts/web output',
        sourceToFile: (s) => `charts/${s}`,
      }),
    );
    expect(err.file).toBe('charts/web/templates/bad.yaml');
    expect(err.message).toContain(
      'charts/web/templates/bad.yaml (helm template charts/web output, document 2)',
    );
  });
});

describe('parseJson', () => {
  it('reads one object or one List; null is nothing', () => {
    expect(
      names(
        parseJson('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}', {
          origin: 'a.json',
        }),
      ),
    ).toEqual(['ConfigMap/a']);
    const list =
      '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}]}';
    expect(names(parseJson(list, { origin: 'a.json' }))).toEqual(['Secret/s']);
    expect(parseJson('null', { origin: 'a.json' })).toEqual([]);
  });

  it('reports syntax errors with line:col', async () => {
    const err = await rejection(
      Promise.resolve().then(() =>
        parseJson('{\n  "a": 1,\n}\n', { origin: 'x.json', file: 'x.json' }),
      ),
    );
    expect(err['code']).toBe('MalformedManifest');
    expect(err.message).toMatch(/^x\.json, line 3:1: invalid JSON: /);
  });

  it('rejects arrays and objects without the envelope', () => {
    expect(() => parseJson('[]', { origin: 'x.json' })).toThrow(/is a sequence, not a mapping/);
    expect(objectProblems({ apiVersion: 'v1', kind: 'X', metadata: { name: '' } })).toEqual([
      '`metadata.name` (or `metadata.generateName`) is missing or not a string',
    ]);
    expect(objectProblems({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a' } })).toEqual([]);
  });
});

describe('parseYaml safety', () => {
  it('refuses an alias bomb by its expansions, with a hint about the limit (not apiVersion/kind)', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    const err = parseError(() => parseYaml(bomb, { origin: 'bomb.yaml', file: 'bomb.yaml' }));
    expect(err.code).toBe('RenderLimitExceeded');
    expect(err.message).toContain('bomb.yaml document 1 expands 12340 YAML aliases');
    expect(err.hint).toContain('spec.source.limits.maxAliases');
    expect(err.hint).not.toMatch(/apiVersion|kind/);
  });

  it.each([
    ['a cyclic alias', 'a: &a [1, *a]\n', 'the alias *a refers to the node it is part of'],
    ['an alias before its anchor', 'a: *x\nb: &x 1\n', 'cannot expand YAML aliases'],
  ])('refuses %s with a hint about anchors and aliases', (_name, text, says) => {
    const err = parseError(() => parseYaml(text, { origin: 'a.yaml', file: 'a.yaml' }));
    expect(err.code).toBe('MalformedManifest');
    expect(err.message).toContain(`a.yaml document 1: ${says}`);
    expect(err.hint).toMatch(/anchor \(&name\)/);
    expect(err.hint).not.toMatch(/apiVersion/);
  });
});
