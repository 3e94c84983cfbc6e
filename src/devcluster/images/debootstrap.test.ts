import { describe, expect, it } from 'vitest';
import { mountsUnder, segmentPattern } from './debootstrap.ts';

describe('mountsUnder', () => {
  const mountinfo = [
    '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '90 22 0:50 / /cache/rootfs.partial-1/proc rw - proc proc rw',
    '91 22 0:51 / /cache/rootfs.partial-1/sys rw - sysfs sysfs rw',
    '92 91 0:52 / /cache/rootfs.partial-1/sys/fs/cgroup rw - cgroup2 cgroup rw',
    '93 22 0:53 / /cache/rootfs.partial-10/proc rw - proc proc rw',
    '94 22 0:54 / /cache/with\\040space/proc rw - proc proc rw',
  ].join('\n');

  it('lists mounts inside the directory, deepest first, not those of a sibling prefix', () => {
    expect(mountsUnder(mountinfo, '/cache/rootfs.partial-1')).toEqual([
      '/cache/rootfs.partial-1/sys/fs/cgroup',
      '/cache/rootfs.partial-1/proc',
      '/cache/rootfs.partial-1/sys',
    ]);
  });

  it('decodes octal escapes in mount points', () => {
    expect(mountsUnder(mountinfo, '/cache/with space')).toEqual(['/cache/with space/proc']);
  });
});

describe('segmentPattern', () => {
  it.each([
    ['*.deb', 'apt_2.6.1_amd64.deb', true],
    ['*.deb', 'apt.deb.partial', false],
    ['*-old', 'status-old', true],
    ['*', 'anything', true],
    ['resolv.conf', 'resolv.conf', true],
    ['resolv.conf', 'resolvXconf', false],
  ])('%s matches %s: %s', (pattern, name, want) => {
    expect(segmentPattern(pattern).test(name)).toBe(want);
  });
});
