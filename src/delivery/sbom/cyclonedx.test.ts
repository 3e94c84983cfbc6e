/** The CycloneDX document of a small Debian-like root filesystem on disk. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyclonedx, inventory, type BomOptions } from './cyclonedx.ts';
import { RootfsIndex } from './rootfs.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sluice-cdx-'));
const index = new RootfsIndex();
const OPTS: BomOptions = {
  files: 'unowned',
  timestamp: '2026-12-01T00:00:00.000Z',
  serialNumber: 'urn:uuid:00000000-0000-4000-8000-000000000000',
  toolVersion: '0.1.0',
};

beforeAll(async () => {
  const put = (path: string, content: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  copyFileSync(fixture('os-release-debian'), join(root, 'etc/os-release'));
  copyFileSync(fixture('dpkg-status'), join(root, 'var/lib/dpkg/status'));
  put('var/lib/dpkg/info/libc6:amd64.list', '/.\n/lib/x86_64-linux-gnu/libc.so.6\n');
  put('lib/x86_64-linux-gnu/libc.so.6', 'ELF');
  put('app/server.js', 'console.log("hi")\n');
  await index.addDirectory(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cyclonedx', () => {
  it('describes the OS, the packages with purls and the files no package owns', () => {
    const inv = inventory(index);
    const bom = cyclonedx(
      { type: 'container', name: 'localhost:5000/demo/app', digest: 'sha256:abc' },
      inv,
      index,
      OPTS,
    );
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: OPTS.serialNumber,
      version: 1,
      metadata: {
        timestamp: OPTS.timestamp,
        component: { type: 'container', name: 'localhost:5000/demo/app', version: 'sha256:abc' },
      },
    });
    expect(bom.components.map((c) => `${c.type} ${c.name}`)).toEqual([
      'operating-system debian',
      'library base-files',
      'library libc6',
      'library libgcc-s1',
      'library zlib1g',
      'file /app/server.js',
      // Package databases are nobody's files either.
      'file /etc/os-release',
      'file /var/lib/dpkg/info/libc6:amd64.list',
      'file /var/lib/dpkg/status',
    ]);
    expect(bom.components.find((c) => c.name === '/app/server.js')?.hashes).toEqual([
      {
        alg: 'SHA-256',
        content: '8e8ee1febc14d8614e1f8bf6384a3641de3017fa43ad0600d643d291b14a42b1',
      },
    ]);
    const libc = bom.components.find((c) => c.name === 'libc6');
    expect(libc).toMatchObject({
      'bom-ref': 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12',
      publisher: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>',
    });
    expect(libc?.properties).toContainEqual({ name: 'sluice:package:source', value: 'glibc' });
    const libgcc = bom.dependencies.find((d) => d.ref.includes('/libgcc-s1@'));
    expect(libgcc?.dependsOn).toEqual([libc?.['bom-ref']]);
    expect(bom.dependencies[0]?.ref).toBe('localhost:5000/demo/app@sha256:abc');
  });

  it('lists every file with files=all and none with files=none', () => {
    const inv = inventory(index);
    const count = (files: BomOptions['files']) =>
      cyclonedx({ type: 'file', name: root }, inv, index, { ...OPTS, files }).components.filter(
        (c) => c.type === 'file',
      ).length;
    expect(count('all')).toBe(5);
    expect(count('none')).toBe(0);
  });
});
