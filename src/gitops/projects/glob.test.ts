/** Globs of AppProject rules: a table of patterns and texts. */
import { describe, expect, it } from 'vitest';
import { denyPattern, globMatch } from './glob.ts';

const cases: Array<[glob: string, text: string, matches: boolean]> = [
  ['team-a', 'team-a', true],
  ['team-a', 'team-a-web', false],
  ['team-a-*', 'team-a-web', true],
  ['team-a-*', 'team-a-', true],
  ['team-a-*', 'team-b-web', false],
  ['*', '', true],
  ['*', 'anything/at/all', true],
  ['', '', true],
  ['', 'x', false],
  ['https://git.example.com/team-a/*', 'https://git.example.com/team-a/web.git', true],
  ['https://git.example.com/team-a/*', 'https://git.example.com/team-a/sub/web.git', true],
  ['https://git.example.com/team-a/*', 'https://git.example.com/team-b/web.git', false],
  ['team-?', 'team-a', true],
  ['team-?', 'team-ab', false],
  ['team-[ab]', 'team-b', true],
  ['team-[ab]', 'team-c', false],
  ['team-[a-c]', 'team-c', true],
  ['team-[!a]', 'team-a', false],
  ['team-[!a]', 'team-b', true],
  ['{dev,prod}-*', 'prod-web', true],
  ['{dev,prod}-*', 'qa-web', false],
  ['a.b', 'axb', false],
  ['a+b', 'a+b', true],
  ['(x)', '(x)', true],
  ['{unclosed', '{unclosed', true],
  ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', true],
  ['*.k8s.io', 'rbac.authorization.k8s.io', true],
];

describe('globMatch', () => {
  it.each(cases)('%j against %j: %s', (glob, text, matches) => {
    expect(globMatch(glob, text)).toBe(matches);
  });
});

describe('denyPattern', () => {
  it('tells deny rules from allow rules', () => {
    expect(denyPattern('!kube-*')).toBe('kube-*');
    expect(denyPattern('kube-*')).toBeUndefined();
  });
});
