/** Masking: whole strings, params, and streams written in pieces (a secret split anywhere). */
import { describe, expect, it } from 'vitest';
import { MASK, SecretSet } from './secrets.ts';

/** Streams `parts` through a fresh masker. */
function streamed(secrets: SecretSet, parts: readonly string[]): string {
  const m = secrets.stream();
  return parts.map((p) => m.push(p)).join('') + m.end();
}

describe('SecretSet.mask', () => {
  it.each([
    ['one value', ['hunter2'], 'pw=hunter2;', 'pw=***;'],
    ['every occurrence', ['ab'], 'ab-ab-ab', '***-***-***'],
    ['the longest at one position', ['abc', 'abcdef'], 'xabcdefx', 'x***x'],
    ['regex characters literally', ['a.b*c'], 'a.b*c axbbc', '*** axbbc'],
    ['a trailing newline of a Secret file', ['s3cr3t\n'], 'token s3cr3t end', 'token *** end'],
    ['a value, keeping the line break after it', ['s3cr3t\n'], 's3cr3t\nnext', '***\nnext'],
    ['a multi-line value whole', ['BEGIN\nkey\nEND'], 'x BEGIN\nkey\nEND y', 'x *** y'],
    ['each line of a multi-line value', ['line-one\nline-two'], 'x line-two y', 'x *** y'],
    ['nothing for whitespace-only values', [' ', '\n'], 'a b\nc', 'a b\nc'],
    ['nothing without values', [], 'plain', 'plain'],
  ])('masks %s', (_, values, text, want) => {
    expect(new SecretSet(values).mask(text)).toBe(want);
  });
});

describe('StreamMasker', () => {
  const secrets = new SecretSet(['hunter2', 'topsecret-token']);

  it('masks a value split across two chunks', () => {
    expect(streamed(secrets, ['password: hun', 'ter2\n'])).toBe(`password: ${MASK}\n`);
  });

  it('masks a value split into single characters', () => {
    expect(streamed(secrets, [...'a topsecret-token b'])).toBe(`a ${MASK} b`);
  });

  it('holds back only a possible start, and releases it when it is not a secret', () => {
    const m = secrets.stream();
    expect(m.push('ok hun')).toBe('ok ');
    expect(m.pending).toBe('hun');
    expect(m.push('gry\n')).toBe('hungry\n');
    expect(m.pending).toBe('');
  });

  it('releases a held-back start at the end of the stream', () => {
    const m = secrets.stream();
    expect(m.push('last word: hunte')).toBe('last word: ');
    expect(m.end()).toBe('hunte');
  });

  it('waits for a longer value that shares a shorter one’s start', () => {
    const s = new SecretSet(['ab', 'abcd']);
    expect(streamed(s, ['xab', 'cdy'])).toBe('x***y');
    expect(streamed(s, ['xab', 'zy'])).toBe('x***zy');
  });

  it('passes text through unchanged when there are no secrets', () => {
    expect(streamed(SecretSet.none, ['a', 'b'])).toBe('ab');
  });

  it('equals masking the whole text, however it is split (random cases)', () => {
    // A small alphabet makes overlaps, shared prefixes and near misses frequent.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const word = (n: number): string => Array.from({ length: n }, () => 'abc'[rand(3)]).join('');
    for (let i = 0; i < 2000; i++) {
      const s = new SecretSet(Array.from({ length: 1 + rand(3) }, () => word(1 + rand(5))));
      const text = word(rand(40));
      const parts: string[] = [];
      for (let at = 0; at < text.length;) {
        const n = 1 + rand(6);
        parts.push(text.slice(at, at + n));
        at += n;
      }
      expect(streamed(s, parts), `${JSON.stringify(s.values)} ${JSON.stringify(parts)}`).toBe(
        s.mask(text),
      );
    }
  });
});

describe('SecretSet.maskParams', () => {
  const secrets = new SecretSet(['s3cr3t'], ['token', 'keys', 'creds']);

  it('records secret params as *** and masks values inside the others', () => {
    expect(
      secrets.maskParams([
        { name: 'token', value: 'anything' },
        { name: 'keys', value: ['a', 'b'] },
        { name: 'creds', value: { user: 'u', pass: 'p' } },
        { name: 'url', value: 'https://x:s3cr3t@git' },
        { name: 'list', value: ['s3cr3t', 'ok'] },
      ]),
    ).toEqual([
      { name: 'token', value: MASK },
      { name: 'keys', value: [MASK, MASK] },
      { name: 'creds', value: { user: MASK, pass: MASK } },
      { name: 'url', value: `https://x:${MASK}@git` },
      { name: 'list', value: [MASK, 'ok'] },
    ]);
  });
});
