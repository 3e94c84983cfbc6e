/** `sluice seal` end to end in the process, offline: files in, files out, keys made here. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SealedSecret, Secret } from '../../api/sealedsecret.ts';
import { generateSealingKey, keyPem, type SealingKey } from '../../sealed/keys.ts';
import { decodeBlob, openBlob, unsealSecret } from '../../sealed/unseal.ts';
import { testKey } from '../../sealed/testkeys.ts';
import { main } from '../main.ts';

let dir = '';
let key: SealingKey;
let stderr = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-seal-'));
  key = await testKey('cli');
  await writeFile(join(dir, 'cert.pem'), key.certificatePem);
  await writeFile(join(dir, 'key.pem'), keyPem(key).key);
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop' },
    stringData: { password: 'hunter2' },
  };
  await writeFile(join(dir, 'secret.yaml'), stringify(secret));
  await writeFile(join(dir, 'value.txt'), 's3cret');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const seal = (...args: string[]): Promise<number> => main(['node', 'sluice', 'seal', ...args]);
const f = (name: string) => join(dir, name);

describe('sluice seal', () => {
  it('seals a Secret file for a certificate file, as YAML', async () => {
    expect(
      await seal(
        '--cert',
        f('cert.pem'),
        '-f',
        f('secret.yaml'),
        '-w',
        f('out.yaml'),
        '-o',
        'yaml',
      ),
    ).toBe(0);
    const ss = parse(await readFile(f('out.yaml'), 'utf8')) as SealedSecret;
    expect(ss.apiVersion).toBe('sluice.dev/v1alpha1');
    const secret = unsealSecret(ss, [key]);
    expect(Buffer.from(secret.data?.['password'] ?? '', 'base64').toString()).toBe('hunter2');
  });

  it('seals one raw value for namespace/name', async () => {
    const args = ['--raw', '--cert', f('cert.pem'), '--namespace', 'shop', '--name', 'db'];
    expect(await seal(...args, '--from-file', `pw=${f('value.txt')}`, '-w', f('raw.txt'))).toBe(0);
    const text = await readFile(f('raw.txt'), 'utf8');
    const ctx = { scope: 'strict' as const, namespace: 'shop', name: 'db', object: 'the value' };
    expect(openBlob(decodeBlob(text, ctx), [key], ctx).value.toString()).toBe('s3cret');
  });

  it('unseals for recovery with a PEM key or a key Secret backup, and validates', async () => {
    await seal('--cert', f('cert.pem'), '-f', f('secret.yaml'), '-w', f('sealed.json'));
    expect(
      await seal(
        '--recovery-unseal',
        '--recovery-private-key',
        f('key.pem'),
        '-f',
        f('sealed.json'),
        '-w',
        f('plain.json'),
      ),
    ).toBe(0);
    const plain = JSON.parse(await readFile(f('plain.json'), 'utf8')) as Secret;
    expect(plain.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });

    const pem = keyPem(key);
    const backup = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'sealed-secrets-keyabcde' },
          type: 'kubernetes.io/tls',
          data: {
            'tls.crt': Buffer.from(pem.cert).toString('base64'),
            'tls.key': Buffer.from(pem.key).toString('base64'),
          },
        },
      ],
    };
    await writeFile(f('backup.yaml'), stringify(backup));
    expect(
      await seal('--validate', '--recovery-private-key', f('backup.yaml'), '-f', f('sealed.json')),
    ).toBe(0);
  });

  it('refuses an expired certificate, naming when it expired', async () => {
    const old = await generateSealingKey({
      bits: 2048,
      now: new Date('2001-01-01T00:00:00Z'),
      validityDays: 30,
    });
    await writeFile(f('expired.pem'), old.certificatePem);
    expect(
      await seal('--cert', f('expired.pem'), '-f', f('secret.yaml'), '-w', f('never.json')),
    ).toBe(1);
    expect(stderr).toMatch(/expired on 2001-01-31.*nothing was sealed/);
  });

  it('fails --validate (exit 1) for a SealedSecret sealed for another name', async () => {
    await seal('--cert', f('cert.pem'), '-f', f('secret.yaml'), '-w', f('v.json'));
    const ss = JSON.parse(await readFile(f('v.json'), 'utf8')) as SealedSecret;
    await writeFile(
      f('renamed.json'),
      JSON.stringify({ ...ss, metadata: { ...ss.metadata, name: 'other' } }),
    );
    expect(
      await seal('--validate', '--recovery-private-key', f('key.pem'), '-f', f('renamed.json')),
    ).toBe(1);
    expect(stderr).toContain(
      'SealedSecret/shop/other: encryptedData.password was not sealed for shop/other',
    );
  });

  it.each([
    [
      '--raw without --namespace',
      ['--raw', '--cert', 'c.pem', '--from-file', 'v.txt'],
      '--raw with --scope strict needs --namespace',
    ],
    [
      '--from-file without --raw',
      ['--cert', 'c.pem', '--from-file', 'v.txt', '-f', 'secret.yaml'],
      '--from-file needs --raw',
    ],
    [
      '--recovery-unseal without a key',
      ['--recovery-unseal', '-f', 'x'],
      'needs --recovery-private-key',
    ],
    [
      'an unknown scope',
      ['--scope', 'galaxy-wide'],
      'Allowed choices are strict, namespace-wide, cluster-wide',
    ],
  ])('exits 2 for %s', async (_n, args, message) => {
    const fixed = args.map((a) =>
      /\.(pem|txt|yaml)$/.test(a)
        ? f(a === 'c.pem' ? 'cert.pem' : a === 'v.txt' ? 'value.txt' : a)
        : a,
    );
    expect(await seal(...fixed)).toBe(2);
    expect(stderr).toContain(message);
  });
});
