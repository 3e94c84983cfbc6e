/** dpkg and apk databases and os-release read as data. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dependencyNames, parseApk, parseDpkg, parseOsRelease } from './packages.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const debian = parseOsRelease(fixture('os-release-debian'));

describe('parseOsRelease', () => {
  it('reads quoted and bare values', () => {
    expect(debian).toEqual({
      id: 'debian',
      versionId: '12',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
  });
});

describe('parseDpkg', () => {
  const lists = new Map([['libc6:amd64', '/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n']]);
  const pkgs = parseDpkg([fixture('dpkg-status')], lists, debian);

  it('reads installed packages only, sorted, with purls', () => {
    expect(pkgs.map((p) => [p.name, p.version, p.purl])).toEqual([
      [
        'base-files',
        '12.4+deb12u6',
        'pkg:deb/debian/base-files@12.4%2Bdeb12u6?arch=amd64&distro=debian-12',
      ],
      [
        'libc6',
        '2.36-9+deb12u9',
        'pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12',
      ],
      ['libgcc-s1', '12.2.0-14', 'pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12'],
      [
        'zlib1g',
        '1:1.2.13.dfsg-1',
        'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12',
      ],
    ]);
  });

  it('keeps source, maintainer, first description line, dependencies and files', () => {
    const libc = pkgs.find((p) => p.name === 'libc6');
    expect(libc).toMatchObject({
      source: 'glibc',
      maintainer: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>',
      description: 'GNU C Library: Shared libraries',
      depends: ['libgcc-s1'],
      files: ['lib', 'lib/x86_64-linux-gnu/libc.so.6'],
    });
    expect(pkgs.find((p) => p.name === 'libgcc-s1')).toMatchObject({
      source: 'gcc-12',
      depends: ['gcc-12-base', 'libc6'],
    });
    expect(pkgs.find((p) => p.name === 'base-files')?.depends).toEqual(['awk']);
    expect(pkgs.find((p) => p.name === 'zlib1g')?.source).toBe('zlib');
  });

  it.each([
    ['libc6 (>= 2.36), debconf | debconf-2.0, perl:any', ['libc6', 'debconf', 'perl']],
    ['', []],
    [undefined, []],
  ])('dependencyNames(%j)', (field, names) => {
    expect(dependencyNames(field)).toEqual(names);
  });
});

describe('parseApk', () => {
  const alpine = parseOsRelease('ID=alpine\nVERSION_ID=3.20.3\n');
  const pkgs = parseApk(fixture('apk-installed'), alpine);

  it('reads packages with licenses, files and package dependencies', () => {
    expect(pkgs.map((p) => p.purl)).toEqual([
      'pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3',
      'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3',
    ]);
    expect(pkgs[0]).toMatchObject({
      license: 'GPL-2.0-only',
      depends: ['musl'],
      files: ['bin/busybox', 'bin/sh', 'etc/securetty'],
    });
    expect(pkgs[1]?.files).toEqual(['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1']);
  });
});
