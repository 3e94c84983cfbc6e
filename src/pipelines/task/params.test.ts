import { describe, expect, it } from 'vitest';
import type { Param, ParamSpec, ParamValue } from '../../api/pipeline.ts';
import { TaskError, type TaskErrorCode } from './errors.ts';
import { paramTypeOf, resolveParams } from './params.ts';

describe('param types', () => {
  it.each<[string, ParamSpec, string]>([
    ['declared', { name: 'p', type: 'array' }, 'array'],
    ['no type, no default', { name: 'p' }, 'string'],
    ['inferred from an array default', { name: 'p', default: ['a'] }, 'array'],
    ['inferred from an object default', { name: 'p', default: { k: 'v' } }, 'object'],
    ['inferred from properties', { name: 'p', properties: { k: { type: 'string' } } }, 'object'],
  ])('%s', (_, spec, want) => expect(paramTypeOf(spec)).toBe(want));
});

describe('resolveParams: values', () => {
  it.each<[string, ParamSpec[], Param[], Record<string, ParamValue>]>([
    ['the run’s value', [{ name: 'a' }], [{ name: 'a', value: 'x' }], { a: 'x' }],
    ['the default', [{ name: 'a', default: 'd' }], [], { a: 'd' }],
    [
      'an empty string is a value',
      [{ name: 'a', default: 'd' }],
      [{ name: 'a', value: '' }],
      { a: '' },
    ],
    [
      'a number from YAML is a string',
      [{ name: 'a' }],
      [{ name: 'a', value: 3 as unknown as string }],
      { a: '3' },
    ],
    [
      'an array',
      [{ name: 'a', type: 'array' }],
      [{ name: 'a', value: ['x', 'y'] }],
      { a: ['x', 'y'] },
    ],
    [
      'an object merged over its default, key by key',
      [
        {
          name: 'o',
          type: 'object',
          properties: { url: {}, rev: {} },
          default: { url: 'u', rev: 'main' },
        },
      ],
      [{ name: 'o', value: { rev: 'v1' } }],
      { o: { url: 'u', rev: 'v1' } },
    ],
    [
      'extra params are ignored',
      [{ name: 'a', default: 'd' }],
      [{ name: 'zzz', value: 'x' }],
      { a: 'd' },
    ],
    [
      'an allowed enum value',
      [{ name: 'e', enum: ['a', 'b'] }],
      [{ name: 'e', value: 'b' }],
      { e: 'b' },
    ],
  ])('%s', (_, specs, provided, want) => {
    expect(Object.fromEntries(resolveParams(specs, provided))).toEqual(want);
  });
});

describe('resolveParams: errors name the param', () => {
  it.each<[string, ParamSpec[], Param[], TaskErrorCode, string, RegExp]>([
    [
      'missing without default',
      [{ name: 'url' }],
      [],
      'MissingParam',
      'url',
      /missing value for param "url", which has no default/,
    ],
    ['several missing', [{ name: 'a' }, { name: 'b' }], [], 'MissingParam', 'a', /params "a", "b"/],
    [
      'string given to an array',
      [{ name: 'f', type: 'array' }],
      [{ name: 'f', value: 'x' }],
      'ParamTypeMismatch',
      'f',
      /"f" is declared as an array but its value is a string/,
    ],
    [
      'array given to a string',
      [{ name: 's' }],
      [{ name: 's', value: ['x'] }],
      'ParamTypeMismatch',
      's',
      /declared as a string but its value is an array/,
    ],
    [
      'a default of the wrong type',
      [{ name: 's', type: 'string', default: ['x'] }],
      [],
      'ParamTypeMismatch',
      's',
      /its default is an array/,
    ],
    [
      'object missing a key',
      [{ name: 'o', type: 'object', properties: { url: {}, rev: {} } }],
      [{ name: 'o', value: { url: 'u' } }],
      'MissingObjectKeys',
      'o',
      /missing the key "rev"/,
    ],
    [
      'a value outside the enum',
      [{ name: 'e', enum: ['a', 'b'] }],
      [{ name: 'e', value: 'c' }],
      'InvalidParamValue',
      'e',
      /"c", which is not one of its allowed values "a", "b"/,
    ],
  ])('%s', (_, specs, provided, code, param, message) => {
    let err: unknown;
    try {
      resolveParams(specs, provided);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaskError);
    const te = err as TaskError;
    expect(te.reason).toBe(code);
    expect(te.subject.param).toBe(param);
    expect(te.message).toMatch(message);
  });
});
