/**
 * Test signers: real PGP keys (gpg, no passphrase, in their own GNUPGHOME) and ssh keys
 * (ssh-keygen), and git commits and tags signed with them. For the unit and e2e tests of
 * spec.source.verify; call `stop()` to end the gpg-agent a PGP signer started.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execFile } from '../../util/exec.ts';

export interface Signer {
  /** `alice` */
  name: string;
  kind: 'pgp' | 'ssh';
  /** PGP: the long key id (16 hex digits); ssh: the SHA256 fingerprint. */
  keyId: string;
  /** PGP: the full fingerprint; ssh: the SHA256 fingerprint. */
  fingerprint: string;
  /** What a verify Secret holds: `{ 'alice.asc': armored }` or `{ 'alice.pub': line }`. */
  secretData: Record<string, string>;
  /** git arguments and environment that sign with this key (`commit -S`, `tag -s`). */
  gitArgs: string[];
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string) {
  const r = await execFile(cmd, args, {
    ...(env ? { env: { ...process.env, ...env } } : {}),
    ...(cwd ? { cwd } : {}),
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A new ed25519 PGP key for `name <name@example.com>` in `dir/<name>-gnupg`. */
export async function pgpSigner(dir: string, name: string): Promise<Signer> {
  const home = join(dir, `${name}-gnupg`);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const env = { GNUPGHOME: home };
  const uid = `${name} <${name}@example.com>`;
  await run(
    'gpg',
    ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'],
    env,
  );
  const colons = await run('gpg', ['--batch', '--with-colons', '--list-keys', uid], env);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1] ?? '';
  const armored = await run('gpg', ['--batch', '--armor', '--export', fingerprint], env);
  return {
    name,
    kind: 'pgp',
    keyId: fingerprint.slice(-16),
    fingerprint,
    secretData: { [`${name}.asc`]: armored },
    gitArgs: ['-c', 'gpg.format=openpgp', '-c', `user.signingkey=${fingerprint}`],
    env,
    stop: async () => {
      await execFile('gpgconf', ['--kill', 'all'], { env: { ...process.env, ...env } });
    },
  };
}

/** A new ssh ed25519 key in `dir/<name>-ssh`. */
export async function sshSigner(dir: string, name: string): Promise<Signer> {
  const key = join(dir, `${name}-ssh`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  const pub = (await readFile(`${key}.pub`, 'utf8')).trim();
  const fingerprint = (await run('ssh-keygen', ['-l', '-f', `${key}.pub`])).split(' ')[1] ?? '';
  return {
    name,
    kind: 'ssh',
    keyId: fingerprint,
    fingerprint,
    secretData: { [`${name}.pub`]: `${pub}\n` },
    gitArgs: ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`],
    env: {},
    stop: () => Promise.resolve(),
  };
}

const IDENTITY = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];

/** Writes `files` in the work tree `repo` and commits them, signed by `signer` (or not). */
export async function commitFiles(
  repo: string,
  files: Record<string, string>,
  message: string,
  signer?: Signer,
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  const sign = signer ? [...signer.gitArgs] : ['-c', 'commit.gpgsign=false'];
  await run('git', [...IDENTITY, 'add', '-A'], undefined, repo);
  await run(
    'git',
    [
      ...IDENTITY,
      ...sign,
      'commit',
      '-q',
      '--allow-empty',
      ...(signer ? ['-S'] : []),
      '-m',
      message,
    ],
    signer?.env,
    repo,
  );
  return (await run('git', ['rev-parse', 'HEAD'], undefined, repo)).trim();
}

/** Tags HEAD of `repo`: signed annotated (`signer`), unsigned annotated, or lightweight. */
export async function tag(
  repo: string,
  name: string,
  how: { signer: Signer } | 'annotated' | 'lightweight',
): Promise<void> {
  const args =
    how === 'lightweight'
      ? ['tag', name]
      : how === 'annotated'
        ? ['-c', 'tag.gpgSign=false', 'tag', '-a', '-m', name, name]
        : [...how.signer.gitArgs, 'tag', '-s', '-m', name, name];
  await run(
    'git',
    [...IDENTITY, ...args],
    how instanceof Object ? how.signer.env : undefined,
    repo,
  );
}
