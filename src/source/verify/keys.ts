/**
 * The trusted signers of `spec.source.verify`, read from a Secret in the Application's
 * namespace. Data keys (Flux's convention for PGP, ssh's own formats for ssh):
 *
 * - `*.asc`: armored PGP public keys (`gpg --armor --export <id>`), one or more per key;
 * - `*.pub`: ssh public keys (`ssh-ed25519 AAAA... comment` lines); the principal a signature is
 *   reported under is the data key's name without `.pub`;
 * - `allowed_signers` (or `*.allowed_signers`): lines in ssh's allowed signers format, as-is.
 *
 * Other data keys are ignored. A Secret with none of these is an error naming it.
 */
import { createHash } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import type { KubeObject } from '../../kube/types.ts';

/** Keys a Secret trusts. `hash` changes whenever any of them does (the verdict cache's key). */
export interface TrustedKeys {
  /** Armored PGP public key blocks, with the data key each came from. */
  pgp: Array<{ name: string; armored: string }>;
  /** ssh allowed signers lines (`principal namespaces="git" ssh-ed25519 AAAA...`). */
  allowedSigners: string[];
  hash: string;
}

/** A Secret that cannot serve as a set of trusted keys; `secret` is `namespace/name`. */
export class KeysError extends SluiceError {
  readonly secret: string;
  constructor(secret: string, message: string, hint: string) {
    super('InvalidVerifyKeys', message, { hint });
    this.name = 'KeysError';
    this.secret = secret;
  }
}

const SSH_KEY_LINE =
  /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+([A-Za-z0-9+/=]+)(\s.*)?$/;

/** The Secret's data, decoded (stringData too, for objects not yet stored). */
function secretData(secret: KubeObject): Map<string, string> {
  const out = new Map<string, string>();
  const data = (secret['data'] as Record<string, string> | undefined) ?? {};
  for (const [k, v] of Object.entries(data)) out.set(k, Buffer.from(v, 'base64').toString('utf8'));
  const stringData = (secret['stringData'] as Record<string, string> | undefined) ?? {};
  for (const [k, v] of Object.entries(stringData)) out.set(k, v);
  return out;
}

const HINT =
  'put armored PGP public keys in *.asc entries (gpg --armor --export <key id>), ssh public keys in *.pub entries, or ssh allowed signers lines in allowed_signers';

/** The allowed signers lines of one `*.pub` entry (principal: its name without `.pub`). */
function sshPublicKeys(id: string, name: string, text: string): string[] {
  const principal = name.slice(0, -'.pub'.length);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = SSH_KEY_LINE.exec(line.trim());
    if (!m || principal === '')
      throw new KeysError(id, `Secret ${id}: ${name} is not an ssh public key`, HINT);
    out.push(`${principal} namespaces="git" ${m[1] ?? ''} ${m[2] ?? ''}`);
  }
  return out;
}

const nonEmptyLines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** The trusted keys of `secret`; KeysError when it holds none, or one that is malformed. */
export function keysFromSecret(secret: KubeObject): TrustedKeys {
  const id = `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
  const pgp: TrustedKeys['pgp'] = [];
  const allowedSigners: string[] = [];
  const entries = [...secretData(secret)].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, text] of entries) {
    if (name.endsWith('.asc')) {
      if (!text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'))
        throw new KeysError(
          id,
          `Secret ${id}: ${name} is not an armored PGP public key (no BEGIN PGP PUBLIC KEY BLOCK)`,
          HINT,
        );
      pgp.push({ name, armored: text });
    } else if (name.endsWith('.pub')) {
      allowedSigners.push(...sshPublicKeys(id, name, text));
    } else if (name === 'allowed_signers' || name.endsWith('.allowed_signers')) {
      allowedSigners.push(...nonEmptyLines(text));
    }
  }
  if (pgp.length === 0 && allowedSigners.length === 0)
    throw new KeysError(
      id,
      `Secret ${id} holds no signature keys (no *.asc, *.pub or allowed_signers entry)`,
      HINT,
    );
  const h = createHash('sha256');
  for (const k of pgp) h.update(`pgp\0${k.name}\0${k.armored}\0`);
  for (const l of allowedSigners) h.update(`ssh\0${l}\0`);
  return { pgp, allowedSigners, hash: h.digest('hex') };
}
