import { describe, expect, it } from 'vitest';
import { globToRegExp, matchGlob } from './glob.ts';

describe('glob (Argo CD directory include/exclude semantics)', () => {
  it('matches the whole relative path', () => {
    expect(matchGlob('deploy.yaml', 'deploy.yaml')).toBe(true);
    expect(matchGlob('deploy.yaml', 'x/deploy.yaml')).toBe(false);
    expect(matchGlob('deploy', 'deploy.yaml')).toBe(false);
  });

  it('lets * and ** cross directory separators, as gobwas/glob without separators does', () => {
    expect(matchGlob('*.yaml', 'a.yaml')).toBe(true);
    expect(matchGlob('*.yaml', 'nested/deeper/a.yaml')).toBe(true);
    expect(matchGlob('*.yaml', 'a.json')).toBe(false);
    expect(matchGlob('nested/**', 'nested/deeper/role.yaml')).toBe(true);
    expect(matchGlob('nested/*', 'nested/deeper/role.yaml')).toBe(true);
    expect(matchGlob('**/secret.yml', 'nested/secret.yml')).toBe(true);
    expect(matchGlob('other/**', 'nested/secret.yml')).toBe(false);
  });

  it('? matches exactly one character', () => {
    expect(matchGlob('app-?.yaml', 'app-1.yaml')).toBe(true);
    expect(matchGlob('app-?.yaml', 'app-10.yaml')).toBe(false);
  });

  it('brace alternatives, with wildcards and nesting', () => {
    const p = '{namespace.yaml,deployment.json}';
    expect(matchGlob(p, 'namespace.yaml')).toBe(true);
    expect(matchGlob(p, 'deployment.json')).toBe(true);
    expect(matchGlob(p, 'list.yaml')).toBe(false);
    expect(matchGlob('{config.json,env-usw2/*}', 'env-usw2/a.yaml')).toBe(true);
    expect(matchGlob('{a,b{c,d}}.yaml', 'bd.yaml')).toBe(true);
    expect(matchGlob('{a,b{c,d}}.yaml', 'b.yaml')).toBe(false);
  });

  it('character classes and escapes', () => {
    expect(matchGlob('v[12].yaml', 'v2.yaml')).toBe(true);
    expect(matchGlob('v[12].yaml', 'v3.yaml')).toBe(false);
    expect(matchGlob('v[!12].yaml', 'v3.yaml')).toBe(true);
    expect(matchGlob('v[a-c].yaml', 'vb.yaml')).toBe(true);
    expect(matchGlob('\\*.yaml', '*.yaml')).toBe(true);
    expect(matchGlob('\\*.yaml', 'a.yaml')).toBe(false);
  });

  it('treats RegExp metacharacters and unclosed groups literally', () => {
    expect(matchGlob('a+b(1).yaml', 'a+b(1).yaml')).toBe(true);
    expect(matchGlob('a.yaml', 'aXyaml')).toBe(false);
    expect(matchGlob('{a.yaml', '{a.yaml')).toBe(true);
    expect(matchGlob('[a.yaml', '[a.yaml')).toBe(true);
    expect(globToRegExp('$^|').test('$^|')).toBe(true);
  });
});
