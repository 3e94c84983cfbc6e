import { execFile as exec } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../api/application.ts';
import type { KubeObject } from '../../kube/types.ts';
import { commandExists } from '../../util/exec.ts';
import { GitMirrors } from '../mirrors.ts';
import { TestRepo, tempDir } from '../testing/fixtures.ts';
import { objectsToCheck } from './gate.ts';
import { keysFromSecret, type TrustedKeys } from './keys.ts';
import { commitFiles, pgpSigner, sshSigner, tag, type Signer } from './testing.ts';
import { checkSignature, parseVerifyOutput, type SignedObject, type Verdict } from './verify.ts';

const hasGpg = await commandExists('gpg');
if (!hasGpg && process.env.CI) throw new Error('gpg is required in CI (apt-get install gnupg)');

const secret = (data: Record<string, string>, name = 'signers'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { namespace: 'shop', name },
  data: Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
});

describe.skipIf(!hasGpg)('signature checks with real git, gpg and ssh-keygen', () => {
  let root: { path: string; remove: () => Promise<void> };
  let alice: Signer; // trusted PGP
  let mallory: Signer; // PGP, not in the Secret
  let bob: Signer; // trusted ssh
  let eve: Signer; // ssh, not in the Secret
  let keys: TrustedKeys;
  let mirrors: GitMirrors;
  let url: string;
  const sha: Record<string, string> = {};

  beforeAll(async () => {
    root = await tempDir('verify');
    [alice, mallory, bob, eve] = await Promise.all([
      pgpSigner(root.path, 'alice'),
      pgpSigner(root.path, 'mallory'),
      sshSigner(root.path, 'bob'),
      sshSigner(root.path, 'eve'),
    ]);
    keys = keysFromSecret(secret({ ...alice.secretData, ...bob.secretData, note: 'ignored' }));
    const repo = await TestRepo.init(join(root.path, 'work'));
    const dir = repo.dir;
    sha.alice = await commitFiles(dir, { 'a.yaml': '1' }, 'by alice', alice);
    await tag(dir, 'v1', { signer: alice });
    await tag(dir, 'light', 'lightweight');
    await tag(dir, 'annotated', 'annotated');
    sha.unsigned = await commitFiles(dir, { 'a.yaml': '2' }, 'unsigned');
    sha.mallory = await commitFiles(dir, { 'a.yaml': '3' }, 'by mallory', mallory);
    await tag(dir, 'm1', { signer: mallory });
    sha.bob = await commitFiles(dir, { 'a.yaml': '4' }, 'by bob (ssh)', bob);
    await tag(dir, 's1', { signer: bob });
    sha.eve = await commitFiles(dir, { 'a.yaml': '5' }, 'by eve (ssh)', eve);
    mirrors = new GitMirrors({ dir: join(root.path, 'mirrors') });
    url = repo.url;
    await mirrors.resolve(url, 'main');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice, mallory].map((s) => s?.stop()));
    await root?.remove();
  });

  const check = (object: SignedObject, k = keys): Promise<Verdict> =>
    mirrors.readMirror(url, (m) =>
      checkSignature(m, object, k, join(root.path, 'tmp'), 'shop/signers'),
    );
  const commit = (who: string): SignedObject => ({ kind: 'commit', sha: sha[who] ?? '' });

  it.each<[string, () => SignedObject, (v: Verdict) => void]>([
    [
      'a commit signed by a trusted PGP key',
      () => commit('alice'),
      (v) => {
        expect(v.ok).toBe(true);
        expect(v.ok && v.signer).toContain(alice.fingerprint);
      },
    ],
    [
      'a commit signed by an unknown PGP key: refused, naming its key id and fingerprint',
      () => commit('mallory'),
      (v) =>
        expect(v).toEqual({
          ok: false,
          why: 'UnknownKey',
          key: `PGP key ${mallory.keyId} (fingerprint ${mallory.fingerprint})`,
        }),
    ],
    [
      'an unsigned commit',
      () => commit('unsigned'),
      (v) => expect(v).toEqual({ ok: false, why: 'Unsigned' }),
    ],
    [
      'a commit signed by a trusted ssh key',
      () => commit('bob'),
      (v) => expect(v).toEqual({ ok: true, signer: `ssh key ${bob.fingerprint} (bob)` }),
    ],
    [
      'a commit signed by an ssh key no signer has: refused, naming its fingerprint',
      () => commit('eve'),
      (v) =>
        expect(v).toEqual({
          ok: false,
          why: 'UnknownKey',
          key: `ssh ED25519 key ${eve.fingerprint}`,
        }),
    ],
    [
      'an annotated tag signed by a trusted PGP key',
      () => ({ kind: 'tag', name: 'v1' }),
      (v) => expect(v).toMatchObject({ ok: true }),
    ],
    [
      'an annotated tag signed by a trusted ssh key',
      () => ({ kind: 'tag', name: 's1' }),
      (v) => expect(v).toEqual({ ok: true, signer: `ssh key ${bob.fingerprint} (bob)` }),
    ],
    [
      'a lightweight tag: no signature possible',
      () => ({ kind: 'tag', name: 'light' }),
      (v) => expect(v).toEqual({ ok: false, why: 'LightweightTag' }),
    ],
    [
      'an unsigned annotated tag',
      () => ({ kind: 'tag', name: 'annotated' }),
      (v) => expect(v).toEqual({ ok: false, why: 'Unsigned' }),
    ],
    [
      'a tag signed by an unknown PGP key',
      () => ({ kind: 'tag', name: 'm1' }),
      (v) => {
        expect(v).toMatchObject({ ok: false, why: 'UnknownKey' });
        expect(!v.ok && v.key).toContain(mallory.keyId);
      },
    ],
  ])('%s', async (_what, object, expectation) => {
    expectation(await check(object()));
  });

  it('trusts nothing the Secret does not hold: with only the ssh key, alice is unknown', async () => {
    const onlyBob = keysFromSecret(secret(bob.secretData));
    expect(await check(commit('alice'), onlyBob)).toMatchObject({ ok: false, why: 'UnknownKey' });
    expect(await check(commit('bob'), onlyBob)).toMatchObject({ ok: true });
  });

  it('accepts ssh allowed signers lines as they are', async () => {
    const line = `bob@example.com namespaces="git" ${(bob.secretData['bob.pub'] ?? '').trim()}`;
    const k = keysFromSecret(secret({ allowed_signers: `# team\n${line}\n` }));
    expect(await check(commit('bob'), k)).toEqual({
      ok: true,
      signer: `ssh key ${bob.fingerprint} (bob@example.com)`,
    });
  });

  it('a PGP entry gpg cannot import is an error naming the entry and the Secret', async () => {
    const broken = keysFromSecret(
      secret({
        'broken.asc':
          '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n',
      }),
    );
    await expect(check(commit('alice'), broken)).rejects.toThrow(
      /Secret shop\/signers: broken\.asc cannot be imported as a PGP public key/,
    );
  });

  it('leaves no keyring and no gpg-agent behind', async () => {
    await check(commit('alice'));
    const { stdout } = await promisify(exec)('ps', ['-eo', 'args']);
    expect(stdout).not.toContain(join(root.path, 'tmp'));
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(root.path, 'tmp'))).toEqual([]);
  });
});

describe('keysFromSecret', () => {
  it('refuses a Secret with no keys, naming it', () => {
    expect(() => keysFromSecret(secret({ token: 'x' }))).toThrow(
      /^Secret shop\/signers holds no signature keys \(no \*\.asc, \*\.pub or allowed_signers entry\)$/,
    );
  });

  it.each([
    ['alice.asc', 'ssh-ed25519 AAAA', /alice\.asc is not an armored PGP public key/],
    ['bob.pub', '-----BEGIN PGP PUBLIC KEY BLOCK-----', /bob\.pub is not an ssh public key/],
  ])('refuses a malformed %s', (name, text, message) => {
    expect(() => keysFromSecret(secret({ [name]: text }))).toThrow(message);
  });

  it('turns *.pub entries into allowed signers under the entry name; the hash follows the keys', () => {
    const a = keysFromSecret(secret({ 'bob.pub': 'ssh-ed25519 AAAAC3Nz bob@laptop\n' }));
    expect(a.allowedSigners).toEqual(['bob namespaces="git" ssh-ed25519 AAAAC3Nz']);
    const b = keysFromSecret(secret({ 'bob.pub': 'ssh-ed25519 AAAAC3Ny bob@laptop\n' }));
    expect(b.hash).not.toBe(a.hash);
  });
});

describe('the objects a mode checks', () => {
  const app = (targetRevision: string): Application =>
    ({
      metadata: { namespace: 'shop', name: 'web' },
      spec: { source: { repoURL: 'file:///r', targetRevision }, destination: {} },
    }) as Application;
  const ctx = (rev: string, ref?: string) => ({
    app: app(rev),
    revision: 'c'.repeat(40),
    ...(ref ? { ref } : {}),
    kube: undefined as never,
  });

  it.each<[string, 'HEAD' | 'Tag' | 'TagAndHEAD', SignedObject[]]>([
    ['HEAD', 'HEAD', [{ kind: 'commit', sha: 'c'.repeat(40) }]],
    ['Tag', 'Tag', [{ kind: 'tag', name: 'v1' }]],
    [
      'TagAndHEAD',
      'TagAndHEAD',
      [
        { kind: 'tag', name: 'v1' },
        { kind: 'commit', sha: 'c'.repeat(40) },
      ],
    ],
  ])('%s on a tag', (_name, mode, want) => {
    expect(objectsToCheck(ctx('v1', 'refs/tags/v1'), mode)).toEqual(want);
  });

  it('refuses Tag mode on a branch, naming the revision', () => {
    expect(() => objectsToCheck(ctx('main', 'refs/heads/main'), 'Tag')).toThrow(
      /verifies a tag, but revision "main" is the branch main/,
    );
    expect(() => objectsToCheck(ctx('HEAD'), 'TagAndHEAD')).toThrow(/revision "HEAD" is not a tag/);
  });

  it('reads gpg status lines and ssh-keygen lines', () => {
    expect(
      parseVerifyOutput(
        '[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 7F67F45B6D53FB7E 22 8 00 1796207136 9 F34642B8DE32B34ED9417CBC7F67F45B6D53FB7E\n[GNUPG:] NO_PUBKEY 7F67F45B6D53FB7E\n',
      ),
    ).toEqual({
      ok: false,
      why: 'UnknownKey',
      key: 'PGP key 7F67F45B6D53FB7E (fingerprint F34642B8DE32B34ED9417CBC7F67F45B6D53FB7E)',
    });
    expect(parseVerifyOutput('[GNUPG:] BADSIG 7D7AC2C7F96A38C4 Alice\n')).toMatchObject({
      ok: false,
      why: 'BadSignature',
    });
    expect(parseVerifyOutput('error: no signature found\n')).toBeUndefined();
  });
});
