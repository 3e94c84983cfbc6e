import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../errors.ts';
import {
  imageName,
  parseHelmSet,
  parsePatch,
  parseResourceSelector,
  parseSeconds,
  parseSyncPolicy,
} from './flags.ts';

/** The usage error a call throws (exit code 2), or a failure naming the case. */
function usage(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError && err.exitCode === 2) return err;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('parseResourceSelector', () => {
  it.each([
    ['apps:Deployment:web', { group: 'apps', kind: 'Deployment', name: 'web' }],
    [':ConfigMap:settings', { group: '', kind: 'ConfigMap', name: 'settings' }],
    [
      'apps:Deployment:shop/web',
      { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' },
    ],
    [':Namespace:shop', { group: '', kind: 'Namespace', name: 'shop' }],
  ])('%s', (s, want) => {
    expect(parseResourceSelector(s)).toEqual(want);
  });

  it.each([
    ['Deployment:web', 'must look like GROUP:KIND:NAME'],
    ['apps:Deployment:web:x', 'must look like GROUP:KIND:NAME'],
    ['apps::web', 'names no KIND'],
    ['apps:Deployment:', 'names no NAME'],
    ['apps:Deployment:shop/', 'names no NAME'],
    ['apps:Deployment:a/b/c', 'too many "/"'],
    ['apps:Deployment:*', 'wildcards'],
    ['!apps:Deployment:web', 'exclusions'],
  ])('refuses %s', (s, message) => {
    expect(usage(() => parseResourceSelector(s)).message).toContain(message);
  });
});

describe('parseHelmSet', () => {
  it.each([
    ['--helm-set', 'replicas=3', { name: 'replicas', value: '3' }],
    ['--helm-set', 'a.b=x=y', { name: 'a.b', value: 'x=y' }],
    ['--helm-set', 'empty=', { name: 'empty', value: '' }],
    ['--helm-set-string', 'tag=1.0', { name: 'tag', value: '1.0', forceString: true }],
  ])('%s %s', (flag, s, want) => {
    expect(parseHelmSet(flag, s)).toEqual(want);
  });

  it.each(['replicas', '=3', ''])('refuses "%s"', (s) => {
    expect(usage(() => parseHelmSet('--helm-set', s)).message).toContain(
      `--helm-set "${s}" must look like name=value`,
    );
  });
});

describe('imageName', () => {
  it.each([
    ['nginx', 'nginx'],
    ['nginx:1.27', 'nginx'],
    ['ghcr.io/org/web:3f2a9c1', 'ghcr.io/org/web'],
    ['registry:5000/web', 'registry:5000/web'],
    ['registry:5000/web:2', 'registry:5000/web'],
    ['web@sha256:abcd', 'web'],
    ['web=ghcr.io/org/web:2', 'web'],
  ])('%s → %s', (image, name) => {
    expect(imageName(image)).toBe(name);
  });
});

describe('parseSyncPolicy', () => {
  it.each([
    ['automated', 'automated'],
    ['auto', 'automated'],
    ['automatic', 'automated'],
    ['none', 'none'],
    ['manual', 'none'],
  ])('%s', (s, want) => {
    expect(parseSyncPolicy(s)).toBe(want);
  });
  it('refuses anything else', () => {
    expect(usage(() => parseSyncPolicy('sometimes')).message).toContain('--sync-policy');
  });
});

describe('parseSeconds', () => {
  it('reads seconds', () => expect(parseSeconds('1.5')).toBe(1.5));
  it.each(['x', '0', '-3', ''])('refuses "%s"', (v) => {
    expect(usage(() => parseSeconds(v)).message).toContain('--timeout');
  });
});

describe('parsePatch', () => {
  it('reads a JSON patch and a merge patch', () => {
    const op = { op: 'replace', path: '/spec/source/targetRevision', value: 'v2' };
    expect(parsePatch(JSON.stringify([op]), 'json')).toEqual([op]);
    expect(parsePatch('{"spec":{"project":"x"}}', 'merge')).toEqual({ spec: { project: 'x' } });
  });

  it.each<[string, string, 'json' | 'merge', string]>([
    ['not JSON', '{spec:', 'json', '--patch is not valid JSON'],
    ['an object as a JSON patch', '{"spec":{}}', 'json', 'must be a JSON array'],
    ['an array as a merge patch', '[]', 'merge', 'must be a JSON object'],
    ['an unknown op', '[{"op":"set","path":"/spec"}]', 'json', 'operation 0 needs "op"'],
    ['a path without /', '[{"op":"remove","path":"spec"}]', 'json', 'operation 0 needs a "path"'],
    [
      'the second op wrong',
      '[{"op":"remove","path":"/a"},{"op":"add"}]',
      'json',
      'operation 1 needs a "path"',
    ],
  ])('refuses %s', (_case, text, type, message) => {
    expect(usage(() => parsePatch(text, type)).message).toContain(message);
  });
});
