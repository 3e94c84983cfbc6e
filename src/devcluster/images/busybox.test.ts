import { describe, expect, it } from 'vitest';
import { DevClusterError } from '../errors.ts';
import { busyboxVersion, isStaticElf, parseAppletList } from './busybox.ts';

describe('parseAppletList', () => {
  it('keeps each applet path once, sorted, without busybox itself', () => {
    const out = parseAppletList(
      'usr/bin/[\nusr/bin/[[\nbin/sh\nbin/busybox\n/sbin/acpid\nbin/sh\n\n',
    );
    expect(out).toEqual(['bin/sh', 'sbin/acpid', 'usr/bin/[', 'usr/bin/[[']);
  });

  it.each(['../etc/passwd', 'bin//sh', 'bin/s h', 'usr/bin/$(x)'])(
    'refuses the unexpected path %j',
    (bad) => {
      expect(() => parseAppletList(`bin/sh\n${bad}\n`)).toThrow(DevClusterError);
    },
  );
});

describe('busyboxVersion', () => {
  it.each([
    ['BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.', '1.35.0'],
    ['BusyBox v1.36.1 multi-call binary.', '1.36.1'],
    ['something else', undefined],
  ])('%j → %s', (banner, want) => {
    expect(busyboxVersion(banner)).toBe(want);
  });
});

/** A minimal ELF64 header with program headers of the given types. */
function elf(types: number[]): Buffer {
  const b = Buffer.alloc(64 + 56 * types.length);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // 64-bit
  b.writeBigUInt64LE(64n, 0x20);
  b.writeUInt16LE(56, 0x36);
  b.writeUInt16LE(types.length, 0x38);
  types.forEach((t, i) => b.writeUInt32LE(t, 64 + i * 56));
  return b;
}

describe('isStaticElf', () => {
  it('is true without a PT_INTERP program header', () => {
    expect(isStaticElf(elf([1, 1, 4]))).toBe(true);
  });

  it('is false for a dynamically linked binary (PT_INTERP)', () => {
    expect(isStaticElf(elf([6, 3, 1]))).toBe(false);
  });

  it('is false for what is not a 64-bit ELF file', () => {
    expect(isStaticElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80)))).toBe(false);
  });
});
