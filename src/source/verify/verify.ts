/**
 * Checking the signature of one commit or annotated tag in a bare mirror with the real tools:
 * `git verify-commit` / `git verify-tag --raw`, which run gpg for PGP signatures and
 * `ssh-keygen -Y` for ssh ones (git tells them apart from the signature's armor).
 *
 * Only the given keys are trusted: PGP keys are imported into a throw-away GNUPGHOME (no agent
 * is started, nothing is fetched from a keyserver) and ssh keys written to an allowed signers
 * file, both in a private temp directory removed afterwards. The verdict is decided from the
 * tools' machine-readable output (gpg's status lines, ssh-keygen's "Good ... signature for"),
 * never from the exit code alone: git accepts a valid ssh signature by an unknown key with
 * some settings, and a PGP signature by an imported key with unknown owner trust.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from '../../util/exec.ts';
import { runGit } from '../git.ts';
import type { MirrorContext } from '../revision.ts';
import { KeysError, type TrustedKeys } from './keys.ts';

/** What a signature check found. */
export type Verdict =
  | {
      ok: true;
      /** Who signed: `PGP key <fingerprint> (<user id>)` or `ssh key <fingerprint> (<principal>)`. */
      signer: string;
    }
  | {
      ok: false;
      why: 'Unsigned' | 'UnknownKey' | 'BadSignature' | 'LightweightTag';
      /** The signing key, when the signature names it: `PGP key 7D7A... (fingerprint 4E0C...)`. */
      key?: string;
      /** What the tool said, for BadSignature. */
      detail?: string;
    };

/** A commit (full SHA) or a tag (its name, without refs/tags/). */
export type SignedObject = { kind: 'commit'; sha: string } | { kind: 'tag'; name: string };

const SIGNATURE_ARMOR = /-----BEGIN (PGP|SSH) SIGNATURE-----/;

/** Whether the raw object carries a signature at all (a commit's gpgsig header, a tag's armor). */
function isSigned(kind: 'commit' | 'tag', raw: string): boolean {
  if (kind === 'commit') {
    const header = raw.split('\n\n', 1)[0] ?? '';
    return /^gpgsig(-sha256)? /m.test(header);
  }
  return SIGNATURE_ARMOR.test(raw);
}

/** gpg's status lines (`[GNUPG:] GOODSIG <key id> <uid>`), by keyword. */
function gpgStatus(output: string): Map<string, string[]> {
  const status = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const m = /^\[GNUPG:\] (\S+)(?: (.*))?$/.exec(line.trim());
    if (m?.[1]) status.set(m[1], (m[2] ?? '').split(' '));
  }
  return status;
}

const GPG_BAD: Record<string, string> = {
  BADSIG: 'the signature does not match the content',
  EXPKEYSIG: 'the key has expired',
  REVKEYSIG: 'the key was revoked',
  EXPSIG: 'the signature has expired',
};

/** gpg's verdict, or undefined when gpg did not check a signature. */
function gpgVerdict(status: Map<string, string[]>): Verdict | undefined {
  const good = status.get('GOODSIG');
  const valid = status.get('VALIDSIG');
  if (good && valid && !status.has('BADSIG') && !status.has('ERRSIG'))
    return { ok: true, signer: `PGP key ${valid[0] ?? ''} (${good.slice(1).join(' ')})` };
  const err = status.get('ERRSIG');
  if (err) {
    // ERRSIG <long key id> <pk algo> <hash algo> <class> <time> <rc> [<fingerprint>]; rc 9: no key.
    const [keyId, , , , , rc, fpr] = err;
    const key = `PGP key ${keyId ?? '?'}${fpr ? ` (fingerprint ${fpr})` : ''}`;
    if (rc === '9' || status.has('NO_PUBKEY')) return { ok: false, why: 'UnknownKey', key };
    return { ok: false, why: 'BadSignature', key, detail: `gpg could not check it (code ${rc})` };
  }
  for (const [word, detail] of Object.entries(GPG_BAD)) {
    const s = status.get(word);
    if (s) return { ok: false, why: 'BadSignature', key: `PGP key ${s[0] ?? '?'}`, detail };
  }
  return undefined;
}

/** ssh-keygen's verdict (as git prints it), or undefined. */
function sshVerdict(output: string): Verdict | undefined {
  const good = /^Good "git" signature for (\S+) with (\S+) key (\S+)/m.exec(output);
  if (good) return { ok: true, signer: `ssh key ${good[3] ?? ''} (${good[1] ?? ''})` };
  const unknown = /^Good "git" signature with (\S+) key (\S+)/m.exec(output);
  if (unknown)
    return { ok: false, why: 'UnknownKey', key: `ssh ${unknown[1] ?? ''} key ${unknown[2] ?? ''}` };
  return undefined;
}

/** Reads gpg's status lines and ssh-keygen's verdict lines; undefined when neither says. */
export function parseVerifyOutput(output: string): Verdict | undefined {
  return gpgVerdict(gpgStatus(output)) ?? sshVerdict(output);
}

/**
 * Checks `object`'s signature in the mirror against `keys`. `tmpDir` is a private directory
 * where the throw-away keyring is made. Throws KeysError for a PGP key gpg cannot import, and
 * an Error when git or gpg cannot run.
 */
export async function checkSignature(
  mirror: MirrorContext,
  object: SignedObject,
  keys: TrustedKeys,
  tmpDir: string,
  secret: string,
): Promise<Verdict> {
  const rev = object.kind === 'commit' ? object.sha : `refs/tags/${object.name}`;
  const git = (args: string[], env = mirror.env) =>
    runGit(['--git-dir', mirror.gitDir, ...args], {
      repoURL: mirror.repoURL,
      env,
      timeoutMs: 30_000,
    });
  if (object.kind === 'tag') {
    const type = await git(['cat-file', '-t', rev]);
    if (type.code !== 0) throw new Error(`tag ${object.name} not found in the mirror`);
    if (type.stdout.trim() !== 'tag') return { ok: false, why: 'LightweightTag' };
  }
  const raw = await git(['cat-file', object.kind, rev]);
  if (raw.code !== 0) throw new Error(`cannot read ${object.kind} ${rev}: ${raw.stderr.trim()}`);
  if (!isSigned(object.kind, raw.stdout)) return { ok: false, why: 'Unsigned' };

  await mkdir(tmpDir, { recursive: true });
  const dir = await mkdtemp(join(tmpDir, 'verify-'));
  try {
    const gnupg = await keyring(dir, keys, mirror.env, secret);
    const signers = join(dir, 'allowed_signers');
    await writeFile(signers, keys.allowedSigners.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    const verb = object.kind === 'commit' ? 'verify-commit' : 'verify-tag';
    const r = await git(
      ['-c', `gpg.ssh.allowedSignersFile=${signers}`, '-c', 'gpg.program=gpg', verb, '--raw', rev],
      { ...mirror.env, GNUPGHOME: gnupg },
    );
    const verdict = parseVerifyOutput(`${r.stdout}\n${r.stderr}`);
    if (verdict && (!verdict.ok || r.code === 0)) return verdict;
    const detail = r.code === 0 ? 'no signer could be read' : lastLine(r.stderr);
    return { ok: false, why: 'BadSignature', detail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A throw-away GNUPGHOME under `dir` holding only the Secret's PGP keys. */
async function keyring(
  dir: string,
  keys: TrustedKeys,
  env: NodeJS.ProcessEnv,
  secret: string,
): Promise<string> {
  const gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  // No agent (public keys need none), no keyserver lookups: only these keys, only here.
  await writeFile(join(gnupg, 'gpg.conf'), 'no-autostart\n', { mode: 0o600 });
  for (const k of keys.pgp) {
    const r = await execFile('gpg', ['--batch', '--no-autostart', '--homedir', gnupg, '--import'], {
      input: k.armored,
      env: { ...env, GNUPGHOME: gnupg },
      timeoutMs: 30_000,
    }).catch((err: unknown) => {
      throw new Error(`gpg cannot run (is gnupg installed?): ${String(err)}`);
    });
    if (r.code !== 0 && !/imported: [1-9]|unchanged: [1-9]/.test(r.stderr)) {
      const said = r.stderr.trim().split('\n').slice(-1)[0] ?? '';
      throw new KeysError(
        secret,
        `Secret ${secret}: ${k.name} cannot be imported as a PGP public key: gpg said: ${said}`,
        'export the key again with gpg --armor --export <key id>',
      );
    }
  }
  return gnupg;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.slice(-2).join(' | ');
}
