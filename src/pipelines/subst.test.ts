import { describe, expect, it } from 'vitest';
import type { ParamValue } from '../api/pipeline.ts';
import {
  references,
  substitute,
  substituteArray,
  substituteDeep,
  SubstitutionError,
} from './subst.ts';

const values: Record<string, ParamValue> = {
  'params.msg': 'hello',
  'params.a.b': 'dotted',
  'params.flags[*]': ['-v', '--fast'],
  'params.flags': ['-v', '--fast'],
  'params.img.repo': 'localhost:5000/app',
  'params.obj': { repo: 'x' },
};
const lookup = (ref: string) => values[ref];

describe('substitution', () => {
  it.each([
    ['echo $(params.msg)', 'echo hello'],
    ['$(params["a.b"]) and $(params[\'a.b\'])', 'dotted and dotted'],
    ['$(params.img.repo):v1', 'localhost:5000/app:v1'],
    ['no refs', 'no refs'],
  ])('%s → %s', (text, want) => expect(substitute(text, lookup)).toBe(want));

  it('finds references in canonical form', () => {
    expect(references('$(params["a.b"]) $(tasks.build.results.digest)')).toEqual([
      'params.a.b',
      'tasks.build.results.digest',
    ]);
  });

  it('expands a whole-array element in array fields only', () => {
    expect(substituteArray(['run', '$(params.flags[*])', '$(params.msg)'], lookup)).toEqual([
      'run',
      '-v',
      '--fast',
      'hello',
    ]);
    expect(() => substitute('x $(params.flags[*])', lookup)).toThrow(/is an array/);
  });

  it('an unknown reference is an error naming it, unless kept', () => {
    expect(() => substitute('$(params.nope)', lookup)).toThrow(SubstitutionError);
    expect(() => substitute('$(params.nope)', lookup)).toThrow(
      '$(params.nope) does not resolve to anything',
    );
    expect(substitute('$(params.nope)', lookup, { keepUnknown: true })).toBe('$(params.nope)');
  });

  it('substitutes deep inside steps', () => {
    const step = { args: ['$(params.flags[*])'], env: [{ name: 'M', value: '$(params.msg)' }] };
    expect(substituteDeep(step, lookup)).toEqual({
      args: ['-v', '--fast'],
      env: [{ name: 'M', value: 'hello' }],
    });
  });
});
