/**
 * The condition language, as tables: what Argo Rollouts' users write evaluates as they expect;
 * bad syntax names its position; results a condition cannot judge are evaluation errors;
 * hostile input (deep nesting, huge numbers, prototype keys, exponential predicates) is refused.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from './ast.ts';
import { ExprEvalError, ExprSyntaxError } from './errors.ts';
import { compileCondition, evaluateExpression, formatValue, toValue } from './index.ts';

const ok: Array<[string, Value, Value]> = [
  // What Argo Rollouts' templates say
  ['result[0] >= 0.99', [0.995], true],
  ['result[0] >= 0.99', [0.91], false],
  ['result > 0.5', 0.7, true],
  ['result == true', true, true],
  ['result == true', false, false],
  ['len(result) > 0 && result[0] < 5', [3], true],
  ['len(result) > 0 && result[0] < 5', [], false],
  ['result.ok', { ok: true }, true],
  ['result["status"] == "ok"', { status: 'ok' }, true],
  ["result['status'] == 'ok'", { status: 'down' }, false],
  ['!(result > 1)', 0, true],
  ['not (result > 1)', 2, false],
  ['not result.ok', { ok: false }, true],
  ['result > 1 and result < 3', 2, true],
  ['result < 1 or result > 3', 2, false],
  ['result < 1 || result > 3', 4, true],
  ['isNaN(result[0])', [NaN], true],
  ['isNaN(result[0])', [1], false],
  ['isInf(result)', Infinity, true],
  ['isInf(result)', -Infinity, true],
  ['isInf(result)', 1e308, false],
  ['abs(result - 1) < 0.01', 1.005, true],
  ['len(result) == 3', 'abc', true],
  ['len(result) == 2', { a: 1, b: 2 }, true],
  ['default(result, 0) == 0', null, true],
  ['default(result, 0) == 5', 5, true],
  ['default(result[0], 1) >= 0.99', [], true],
  ['(result[0] ?? 1) >= 0.99', [], true],
  ['result.missing ?? "x" == "x"', {}, true],
  ['asInt(result) == 3', '3', true],
  ['asInt(result) == 3', 3.7, true],
  ['asFloat(result) > 0.5', '0.75', true],
  ['isNaN(asFloat(result))', 'NaN', true],
  ['isNil(result)', null, true],
  ['result == nil', null, true],
  ['all(result, {# > 1})', [2, 3], true],
  ['all(result, {# > 1})', [2, 1], false],
  ['all(result, # > 1)', [], true],
  ['any(result, {# > 1})', [0, 5], true],
  ['none(result, {# > 10})', [0, 5], true],
  ['one(result, {# > 1})', [0, 5, 6], false],
  ['len(filter(result, {# > 1})) == 2', [0, 5, 6], true],
  ['map(result, {# * 2}) == [2, 4]', [1, 2], true],
  ['count(result, {.ok}) == 1', [{ ok: true }, { ok: false }], true],
  ['find(result, {#.n > 1}).n == 2', [{ n: 1 }, { n: 2 }], true],
  ['sum(result) == 6 && mean(result) == 2', [1, 2, 3], true],
  ['min(result) == 1 && max(result) == 3', [3, 1, 2], true],
  ['max(1, result) == 4', 4, true],
  ['first(result) == 1 && last(result) == 3', [1, 2, 3], true],
  ['first(result) == nil', [], true],
  ['floor(result) == 1 && ceil(result) == 2 && round(result) == 2', 1.5, true],
  ['lower(result) == "ok" && upper(result) == "OK"', 'Ok', true],
  ['trim(result) == "ok"', '  ok ', true],
  // Arithmetic and precedence
  ['1 + 2 * 3 == 7', null, true],
  ['(1 + 2) * 3 == 9', null, true],
  ['2 ** 3 ** 2 == 512', null, true],
  ['2 ^ 10 == 1024', null, true],
  ['-2 ** 2 == -4', null, true],
  ['10 % 3 == 1', null, true],
  ['7 / 2 == 3.5', null, true],
  ['1 / 0 == result', Infinity, true],
  ['- -1 == 1', null, true],
  ['+1 == 1', null, true],
  ['1_000 == 1000 && 0x1F == 31 && 1e3 == 1000 && .5 == 0.5', null, true],
  ['"a" + "b" == "ab"', null, true],
  ['result ? 1 : 2', true, 1],
  ['result ? 1 : result2 ?? 2', false, 2],
  ['true ? false ? 1 : 2 : 3', null, 2],
  ['!result.ok == false', { ok: true }, true],
  // Equality is strict and deep
  ['result == "1"', 1, false],
  ['result == [1, [2]]', [1, [2]], true],
  ['result != nil', 0, true],
  ['result[0] == result[0]', [NaN], false],
  // Membership and strings
  ['"ok" in result', ['ok', 'down'], true],
  ['"x" not in result', ['ok'], true],
  ['"a" in result', { a: 1 }, true],
  ['result contains "err"', 'an eror', false],
  ['result contains "err"', 'errors', true],
  ['result startsWith "ok" && result endsWith "!"', 'ok!', true],
  // Indexes
  ['result[-1] == 3', [1, 2, 3], true],
  ['result[0][1] == 2', [[1, 2]], true],
  ['result.a.b[0].c == "x"', { a: { b: [{ c: 'x' }] } }, true],
  ['result?.a?.b == nil', null, true],
  ['result?.[0] == nil', null, true],
  ['result[1] == "b"', 'abc', true],
  // Strings with escapes and raw strings
  ['result == "a\\"b"', 'a"b', true],
  ["result == 'it\\'s'", "it's", true],
  ['result == "\\u00e9\\n"', 'é\n', true],
  ['result == `raw\\n`', 'raw\\n', true],
  // Whitespace and newlines (YAML block scalars)
  ['\n  len(result) > 0\n  && result[0] > 0\n', [1], true],
];

describe('condition language: evaluates what templates write', () => {
  it.each(ok)('%s with result %j is %j', (source, result, expected) => {
    const names: Record<string, Value> = { result, result2: null };
    expect(evaluateExpression(source, names)).toEqual(expected);
  });
});

const syntax: Array<[string, string, number, string]> = [
  ['result[0] >= 0.99)', 'UnexpectedToken', 18, "unexpected ')' at 18"],
  ['(result > 1', 'UnexpectedEnd', 12, "expected ')'"],
  ['result >', 'UnexpectedEnd', 9, 'unexpected end of condition'],
  ['result >= = 1', 'UnexpectedToken', 11, "unexpected '='"],
  ['result = 1', 'UnexpectedToken', 8, "unexpected '='"],
  ['resut > 1', 'UnknownName', 1, "unknown name 'resut' (conditions can use result)"],
  ['sqrt(result)', 'UnknownFunction', 1, "unknown function 'sqrt'"],
  ['len(result, 1)', 'WrongArguments', 1, 'len() takes 1 argument, got 2'],
  ['default(result)', 'WrongArguments', 1, 'default() takes 2 arguments, got 1'],
  ['# > 1', 'UnexpectedToken', 1, "'#' is only allowed in a predicate"],
  ['result.len()', 'UnexpectedToken', 11, 'only built-in functions can be called'],
  ['"open', 'BadString', 1, 'string is not closed'],
  ['"\\q"', 'BadString', 2, 'unknown escape \\q'],
  ['1e999 > result', 'BadNumber', 1, 'not a finite number'],
  ['12abc', 'BadNumber', 3, "unexpected 'a' after number 12"],
  ['result @ 1', 'UnexpectedToken', 8, "unexpected '@'"],
  ['result > 1 result', 'UnexpectedToken', 12, "unexpected 'result'"],
  ['result[0', 'UnexpectedEnd', 9, "expected ']'"],
  ['result.', 'UnexpectedEnd', 8, 'expected a field name'],
  ['all(result)', 'UnexpectedToken', 11, "expected ','"],
  ['result ? 1', 'UnexpectedEnd', 11, "expected ':'"],
  ['', 'UnexpectedEnd', 1, 'unexpected end'],
  ['{# > 1}', 'UnexpectedToken', 1, "unexpected '{'"],
];

describe('condition language: syntax errors name the position', () => {
  it.each(syntax)('%j: %s at %i', (source, reason, position, message) => {
    let err: unknown;
    try {
      compileCondition(source);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprSyntaxError);
    const e = err as ExprSyntaxError;
    expect({ reason: e.reason, position: e.position }).toEqual({ reason, position });
    expect(e.message).toContain(message);
    expect(e.message).toMatch(new RegExp(`at ${position}$`));
  });
});

const evalErrors: Array<[string, Value, string, string]> = [
  ['result[0] >= 0.99', [], 'IndexOutOfRange', 'index 0 is out of range (length 0) at 7'],
  ['result[3] > 0', [1], 'IndexOutOfRange', 'index 3 is out of range'],
  ['result >= 0.99', null, 'TypeMismatch', 'cannot compare nil >= number'],
  ['result > 0.5', '0.7', 'TypeMismatch', 'cannot compare string > number'],
  ['result.ok', { ok: 'yes' }, 'NotBoolean', 'condition must be true or false, got string'],
  ['result', [1], 'NotBoolean', 'got array'],
  ['result.ok == true', null, 'NilAccess', "cannot read field 'ok' of nil"],
  ['result.ok', 5, 'TypeMismatch', "cannot read field 'ok' of number"],
  ['result[0] > 1', 5, 'TypeMismatch', 'cannot index number'],
  ['result[0.5] > 1', [1], 'TypeMismatch', 'an index must be an integer'],
  ['result["a"] > 1', [1], 'TypeMismatch', 'an index must be an integer, got string'],
  ['result[0] == 1', { 0: 1 }, 'TypeMismatch', "a map's key must be a string"],
  ['result && true', 1, 'TypeMismatch', '&& needs true or false, got number'],
  ['!result', 'x', 'TypeMismatch', '! needs true or false, got string'],
  ['result + 1 > 0', 'a', 'TypeMismatch', 'cannot compute string + number'],
  ['result % 0 == 0', 5, 'DivisionByZero', 'modulo by zero'],
  ['len(result) > 0', 5, 'BadArgument', 'len() needs an array, a map or a string, got number'],
  ['asInt(result) > 0', '1.5', 'BadArgument', 'asInt(): "1.5" is not an integer'],
  ['asFloat(result) > 0', 'abc', 'BadArgument', 'asFloat(): "abc" is not a number'],
  ['all(result, {# > 1})', 5, 'BadArgument', 'all() needs an array, got number'],
  ['all(result, {#})', [1], 'NotBoolean', 'the predicate of all() must be true or false'],
  ['sum(result) > 0', [1, 'a'], 'BadArgument', 'sum() needs a number, got string'],
  ['max(result) > 0', [], 'BadArgument', 'max() of no numbers'],
  ['1 in result', 5, 'TypeMismatch', 'cannot look for number in number'],
  ['result ? true : false', 1, 'TypeMismatch', '? : needs true or false'],
];

describe('condition language: results it cannot judge are evaluation errors', () => {
  it.each(evalErrors)('%s with result %j: %s', (source, result, reason, message) => {
    const c = compileCondition(source);
    let err: unknown;
    try {
      c.test(result);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprEvalError);
    expect((err as ExprEvalError).reason).toBe(reason);
    expect((err as ExprEvalError).message).toContain(message);
  });
});

describe('condition language: hostile input', () => {
  it('refuses deep nesting before it can exhaust the stack', () => {
    for (const source of [
      `${'('.repeat(500)}result${')'.repeat(500)} > 1`,
      `${'!'.repeat(500)}result`,
      `${'-'.repeat(500)}result > 1`,
      `result${'[0]'.repeat(500)} > 1`,
      `${'1 + '.repeat(500)}1 > result`,
      `${'result ? '.repeat(300)}1${' : 2'.repeat(300)}`,
    ]) {
      expect(() => compileCondition(source), source.slice(0, 20)).toThrow(
        expect.objectContaining({ reason: 'TooDeep' }) as Error,
      );
    }
  });

  it('refuses conditions longer than 4096 characters', () => {
    expect(() => compileCondition(`result > ${'1'.repeat(5000)}`)).toThrow(
      expect.objectContaining({ reason: 'TooLong' }) as Error,
    );
  });

  it('handles huge and tiny numbers as numbers', () => {
    expect(evaluateExpression('1e308 * 10 == result', { result: Infinity })).toBe(true);
    expect(evaluateExpression('99999999999999999999999 > 1e22', {})).toBe(true);
    expect(evaluateExpression('1e-320 > 0', {})).toBe(true);
  });

  it('never reaches JavaScript prototypes through prototype keys', () => {
    const result = toValue(JSON.parse('{"a": 1, "__proto__": {"polluted": true}}'));
    for (const source of [
      'result.constructor == nil',
      'result["constructor"] == nil',
      'result.toString == nil',
      'result.hasOwnProperty == nil',
      'result.__proto__.polluted == true', // the data's own key, kept as data
      '"constructor" not in result',
      '"__proto__" in result',
    ]) {
      expect(evaluateExpression(source, { result }), source).toBe(true);
    }
    expect(() => evaluateExpression('result.constructor.name', { result: {} })).toThrow(
      expect.objectContaining({ reason: 'NilAccess' }) as Error,
    );
    expect(() => evaluateExpression('result[0].constructor', { result: [1] })).toThrow(
      expect.objectContaining({ reason: 'TypeMismatch' }) as Error,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(evaluateExpression('len(result)', { result: 'x' })).toBe(1);
    expect(() => compileCondition('constructor')).toThrow(ExprSyntaxError);
    expect(() => compileCondition('__proto__')).toThrow(ExprSyntaxError);
    expect(() => compileCondition('toString(result)')).toThrow(ExprSyntaxError);
  });

  it('stops predicates that would run for too long', () => {
    const result = Array.from({ length: 1000 }, (_, i) => i);
    const c = compileCondition('all(result, {all(result, {# >= 0})})');
    expect(() => c.test(result)).toThrow(
      expect.objectContaining({ reason: 'TooExpensive' }) as Error,
    );
  });

  it('takes only data from providers', () => {
    expect(toValue({ f: () => 1, u: undefined, n: 1 })).toEqual({ f: null, u: null, n: 1 });
  });
});

describe('formatValue', () => {
  it.each([
    [[0.91], '[0.91]'],
    [[NaN, Infinity, -Infinity], '[NaN,+Inf,-Inf]'],
    [{ ok: true, n: null }, '{"ok":true,"n":null}'],
    ['x'.repeat(300), `"${'x'.repeat(196)}...`],
  ] as Array<[Value, string]>)('%j prints as %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });
});
