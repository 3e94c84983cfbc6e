/** Value patterns and scalars: a table of (pattern, value, matches). */
import { describe, expect, it } from 'vitest';
import { compareScalars, parseDuration, parseQuantity } from './scalars.ts';
import { matchValue, parseValuePattern } from './value.ts';

const cases: Array<[string, unknown, boolean]> = [
  ['nginx', 'nginx', true],
  ['nginx', 'nginx2', false],
  ['*', 'anything', true],
  ['*', '', true],
  ['*', undefined, false],
  ['?*', '', false],
  ['?*', 'x', true],
  ['?*', 5, true],
  ['n?inx', 'nginx', true],
  ['n?inx', 'ngginx', false],
  ['!*:latest', 'nginx:latest', false],
  ['!*:latest', 'nginx:1.27', true],
  ['!*:latest', undefined, false],
  ['*:*', 'nginx', false],
  ['>1', 2, true],
  ['>1', 1, false],
  ['>=1', 1, true],
  ['<10', '9', true],
  ['<=10', 11, false],
  ['>100Mi', '1Gi', true],
  ['<100Mi', '1Gi', false],
  ['<=1', '500m', true],
  ['>=1Gi', '1024Mi', true],
  ['1Gi', '1024Mi', true],
  ['>30s', '1m', true],
  ['<30s', '1h', false],
  ['<=1h', '59m59s', true],
  ['1-10', 5, true],
  ['1-10', 10, true],
  ['1-10', 11, false],
  ['!1-10', 11, true],
  ['!1-10', 3, false],
  ['1Gi-2Gi', '1536Mi', true],
  ['a|b', 'b', true],
  ['a|b', 'c', false],
  ['>1&<5', 3, true],
  ['>1&<5', 6, false],
  ['registry.example/*|ghcr.io/sluice/*', 'ghcr.io/sluice/app:1', true],
  ['true', true, true],
  ['false', true, false],
  ['3', 3, true],
  ['*', { a: 1 }, false],
  ['>1.2.0', '1.10.0', true],
];

describe('value patterns', () => {
  it.each(cases)('%s against %j → %s', (pattern, value, expected) => {
    expect(matchValue(parseValuePattern(pattern), value)).toBe(expected);
  });

  it.each([
    ['>abc', /operator '>'/],
    ['<=', /operator '<='/],
    ['10-1', /low to high/],
    ['a||b', /empty alternative/],
    ['>1&', /empty alternative/],
  ])('rejects %s at parse time', (pattern, message) => {
    expect(() => parseValuePattern(pattern)).toThrow(message);
  });
});

describe('scalars', () => {
  it('parses quantities', () => {
    expect(parseQuantity('100Mi')).toBe(100 * 2 ** 20);
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('abc')).toBeUndefined();
  });
  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('300ms')).toBe(300);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeUndefined();
  });
  it('compares durations before quantities and versions last', () => {
    expect(compareScalars('1m', '30s')).toBe(1);
    expect(compareScalars('500m', '1')).toBe(-1);
    expect(compareScalars('v1.10.0', 'v1.9.3')).toBe(1);
    expect(compareScalars('abc', 'abd')).toBeUndefined();
  });
});
