import { describe, expect, it } from 'vitest';
import { formatObjects, parseDocuments, parseFromFile } from './input.ts';

describe('parseDocuments', () => {
  it.each([
    ['one YAML document', 'kind: Secret\n', [{ kind: 'Secret' }]],
    ['JSON', '{"kind":"Secret"}', [{ kind: 'Secret' }]],
    ['several documents', 'kind: A\n---\nkind: B\n', [{ kind: 'A' }, { kind: 'B' }]],
    ['a List', 'kind: List\nitems: [{kind: A}, {kind: B}]\n', [{ kind: 'A' }, { kind: 'B' }]],
    ['empty documents skipped', '---\nkind: A\n---\n', [{ kind: 'A' }]],
  ])('%s', (_n, text, want) => {
    expect(parseDocuments(text, 'stdin')).toEqual(want);
  });

  it.each([
    ['nothing', ''],
    ['broken YAML', 'kind: [unclosed'],
  ])('refuses %s with exit code 2', (_n, text) => {
    expect(() => parseDocuments(text, 'stdin')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('parseFromFile', () => {
  it.each([
    ['password=/tmp/pw.txt', { key: 'password', path: '/tmp/pw.txt' }],
    ['/tmp/tls.crt', { key: 'tls.crt', path: '/tmp/tls.crt' }],
    ['a=b=c', { key: 'a', path: 'b=c' }],
  ])('%s', (spec, want) => {
    expect(parseFromFile(spec)).toEqual(want);
  });

  it('refuses a key a Secret cannot have', () => {
    expect(() => parseFromFile('bad key=/x')).toThrow(/not a valid Secret key/);
  });
});

describe('formatObjects', () => {
  it('prints JSON objects one after another and YAML as documents', () => {
    expect(formatObjects([{ a: 1 }, { b: 2 }], 'json')).toBe('{\n  "a": 1\n}\n{\n  "b": 2\n}\n');
    expect(formatObjects([{ a: 1 }, { b: 2 }], 'yaml')).toBe('a: 1\n---\nb: 2\n');
  });
});
