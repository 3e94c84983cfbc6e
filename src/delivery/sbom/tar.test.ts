/** The tar reader against archives written by GNU tar, fed in chunks of awkward sizes. */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  linkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanPath, paxRecords, TarReader, type TarEntry } from './tar.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-tar-'));
const tree = join(dir, 'tree');
const longDir = `deep/${'d'.repeat(90)}/${'e'.repeat(60)}`;
mkdirSync(join(tree, longDir), { recursive: true });
writeFileSync(join(tree, longDir, 'file-with-a-long-path.txt'), 'long\n');
writeFileSync(join(tree, 'big.bin'), Buffer.alloc(70_000, 7));
writeFileSync(join(tree, 'empty'), '');
symlinkSync('big.bin', join(tree, 'link'));
linkSync(join(tree, 'big.bin'), join(tree, 'hard'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function archive(format: string): Buffer {
  return execFileSync('tar', [`--format=${format}`, '-C', tree, '-cf', '-', '.']);
}

function read(tar: Buffer, chunk: number): { entries: TarEntry[]; sums: Record<string, string> } {
  const entries: TarEntry[] = [];
  const sums: Record<string, string> = {};
  const reader = new TarReader((e) => {
    entries.push(e);
    const h = createHash('sha256');
    return { data: (b) => h.update(b), end: () => (sums[e.path] = h.digest('hex')) };
  });
  for (let at = 0; at < tar.length; at += chunk) reader.write(tar.subarray(at, at + chunk));
  reader.end();
  return { entries, sums };
}

const sha = (path: string): string =>
  createHash('sha256')
    .update(readFileSync(join(tree, path)))
    .digest('hex');

describe('TarReader', () => {
  it.each([
    ['gnu', 1],
    ['gnu', 511],
    ['pax', 7],
    ['pax', 65536],
    ['ustar', 4096],
  ])('reads a %s archive fed %i bytes at a time', (format, chunk) => {
    const long = `${longDir}/file-with-a-long-path.txt`;
    if (format === 'ustar') rmSync(join(tree, 'deep'), { recursive: true, force: true });
    const { entries, sums } = read(archive(format), chunk);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    // big.bin and hard are one inode: tar stores the first it meets, the other links to it.
    const stored = ['big.bin', 'hard'].find((p) => byPath.get(p)?.type === 'file') ?? '';
    expect(byPath.get(stored)).toMatchObject({ size: 70_000, mode: 0o644 });
    expect(sums[stored]).toBe(sha('big.bin'));
    expect(sums['empty']).toBe(sha('empty'));
    expect(byPath.get('link')).toMatchObject({ type: 'symlink', linkname: 'big.bin' });
    const other = stored === 'big.bin' ? 'hard' : 'big.bin';
    expect(byPath.get(other)).toMatchObject({ type: 'hardlink', linkname: `./${stored}` });
    if (format !== 'ustar') {
      expect(byPath.get(long)).toMatchObject({ type: 'file', size: 5 });
      expect(sums[long]).toBe(sha(long));
      expect(byPath.get('deep')?.type).toBe('dir');
    }
  });

  it('refuses an archive cut in the middle of a file', () => {
    const tar = archive('gnu');
    const reader = new TarReader(() => undefined, 'layer sha256:abc');
    reader.write(tar.subarray(0, 2048));
    expect(() => reader.end()).toThrow('layer sha256:abc ends in the middle of an entry');
  });

  it.each([
    ['./usr/bin/', 'usr/bin'],
    ['/etc/passwd', 'etc/passwd'],
    ['.', '.'],
  ])('cleans %s to %s', (path, clean) => {
    expect(cleanPath(path)).toBe(clean);
  });

  it('reads PAX records', () => {
    const rec = (k: string, v: string): string => {
      const body = Buffer.byteLength(` ${k}=${v}\n`);
      const len = body + String(body + 2).length; // fits for records under 98 bytes
      return `${len} ${k}=${v}\n`;
    };
    const body = Buffer.from(rec('path', 'a/é/b') + rec('size', '12'));
    expect(paxRecords(body)).toEqual({ path: 'a/é/b', size: '12' });
  });
});
