import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashInputs, hashTag, treeInputs } from './hash.ts';

describe('hashInputs', () => {
  it('is stable and changes with any input', () => {
    const a = hashInputs([
      ['recipe', '1'],
      ['busybox', Buffer.from('bytes')],
    ]);
    expect(a).toBe(
      hashInputs([
        ['recipe', '1'],
        ['busybox', 'bytes'],
      ]),
    );
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(
      hashInputs([
        ['recipe', '2'],
        ['busybox', 'bytes'],
      ]),
    ).not.toBe(a);
  });

  it('frames each input, so moving bytes between inputs changes the hash', () => {
    expect(
      hashInputs([
        ['a', 'bc'],
        ['d', ''],
      ]),
    ).not.toBe(
      hashInputs([
        ['a', 'b'],
        ['d', 'c'],
      ]),
    );
  });
});

describe('hashTag', () => {
  it.each([
    ['1.35.0', '1.35.0-0123456789ab'],
    ['bookworm', 'bookworm-0123456789ab'],
    ['v1+local', 'v1_local-0123456789ab'],
  ])('%s → %s', (prefix, want) => {
    const tag = hashTag(prefix, '0123456789abcdef'.repeat(4));
    expect(tag).toBe(want);
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
  });
});

describe('treeInputs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('lists files by relative path with their content hash, executable bit and symlinks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-hash-'));
    dirs.push(dir);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'b.go'), 'package main\n');
    await writeFile(join(dir, 'sub', 'run.sh'), 'echo\n', { mode: 0o755 });
    await writeFile(join(dir, 'a_test.go'), 'package main\n');
    await symlink('b.go', join(dir, 'link'));
    const inputs = await treeInputs(dir, (rel) => !rel.endsWith('_test.go'));
    expect(inputs.map(([n]) => n)).toEqual(['b.go', 'link', 'sub/run.sh']);
    expect(inputs[1]?.[1]).toBe('-> b.go');
    expect(String(inputs[2]?.[1])).toMatch(/^x [0-9a-f]{64}$/);
    const before = hashInputs(inputs);
    await writeFile(join(dir, 'b.go'), 'package main // changed\n');
    expect(hashInputs(await treeInputs(dir))).not.toBe(before);
  });
});
