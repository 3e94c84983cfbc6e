/** Layers merged by the OCI rules (whiteouts, opaque directories, hardlinks), and directories. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDescriptor, RootfsIndex } from './rootfs.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-rootfs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A layer tarball of `files` (path → content), as GNU tar writes it. */
function layer(name: string, files: Record<string, string>, hardlinks: string[][] = []): Buffer {
  const root = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [link, target] of hardlinks) {
    mkdirSync(dirname(join(root, link ?? '')), { recursive: true });
    execFileSync('ln', [join(root, target ?? ''), join(root, link ?? '')]);
  }
  return execFileSync('tar', ['-C', root, '-cf', '-', '.']);
}

async function* chunks(buf: Buffer): AsyncIterable<Buffer> {
  for (let at = 0; at < buf.length; at += 1000) yield buf.subarray(at, at + 1000);
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('RootfsIndex', () => {
  it('merges layers: whiteouts remove, opaque directories empty, later files win', async () => {
    const fs = new RootfsIndex();
    const base = layer('l1', {
      'etc/os-release': 'ID=debian\n',
      'var/lib/dpkg/status': 'Package: a\n',
      'usr/bin/tool': 'v1',
      'opt/app/old.js': 'old',
      'opt/app/lib/util.js': 'util',
      'srv/data/x': 'x',
    });
    await fs.addLayer(chunks(base), 'l1');
    const top = layer(
      'l2',
      {
        'usr/bin/.wh.tool': '',
        'opt/app/.wh..wh..opq': '',
        'opt/app/new.js': 'new',
        'srv/.wh.data': '',
        'var/lib/dpkg/status': 'Package: b\n',
      },
      [['usr/local/bin/copy', 'opt/app/new.js']],
    );
    await fs.addLayer(chunks(top), 'l2');
    expect([...fs.files.keys()].sort()).toEqual([
      'etc/os-release',
      'opt/app/new.js',
      'usr/local/bin/copy',
      'var/lib/dpkg/status',
    ]);
    expect(fs.files.get('usr/local/bin/copy')?.sha256).toBe(sha('new'));
    expect(fs.text('var/lib/dpkg/status')).toBe('Package: b\n');
    expect(fs.text('etc/os-release')).toBe('ID=debian\n');
    expect(fs.text('opt/app/new.js')).toBeUndefined(); // only descriptors are kept
  });

  it('indexes a directory', async () => {
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'os-release'), 'ID=alpine\n');
    writeFileSync(join(root, 'hello'), 'hi');
    const fs = new RootfsIndex();
    await fs.addDirectory(root);
    expect(fs.files.get('hello')).toMatchObject({ size: 2, sha256: sha('hi') });
    expect(fs.text('etc/os-release')).toBe('ID=alpine\n');
  });

  it.each([
    ['var/lib/dpkg/status', true],
    ['var/lib/dpkg/status.d/base', true],
    ['var/lib/dpkg/status.d/base.md5sums', false],
    ['var/lib/dpkg/info/libc6:amd64.list', true],
    ['var/lib/dpkg/info/libc6:amd64.md5sums', false],
    ['lib/apk/db/installed', true],
    ['usr/lib/os-release', true],
    ['etc/passwd', false],
  ])('%s is a descriptor: %s', (path, yes) => {
    expect(isDescriptor(path)).toBe(yes);
  });
});
