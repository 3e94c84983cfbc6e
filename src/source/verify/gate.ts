/**
 * The signed-commits gate: for an Application with `spec.source.verify`, the revision's commit
 * (mode HEAD, the default), its annotated tag (Tag) or both (TagAndHEAD) must be signed by a key
 * of the Secret `verify.secretRef` in the app's namespace, or nothing of the revision is
 * applied. An app without `verify` is not checked.
 *
 * Verdicts are cached per (object, keys): a reconcile of an already checked revision spawns no
 * git or gpg; a changed Secret (new keys hash) checks again. The Secret itself is read on every
 * check (one GET), so a key removed from it stops being trusted at the next reconcile.
 *
 * @example
 * const gate = signedCommitsGate({ mirrors, kube });
 * new ApplicationController(manager, { kube, gates: [gate] });
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Application } from '../../api/application.ts';
import { errorMessage } from '../../errors.ts';
import type { GateContext, RevisionGate } from '../../gitops/gates.ts';
import { GateError } from '../../gitops/gates.ts';
import type { Kube } from '../../kube/api.ts';
import type { GitMirrors } from '../mirrors.ts';
import { KeysError, keysFromSecret, type TrustedKeys } from './keys.ts';
import { checkSignature, type SignedObject, type Verdict } from './verify.ts';

export interface SignedCommitsOptions {
  mirrors: GitMirrors;
  /** The controller's own client: it reads the Secret (never the app's ServiceAccount). */
  kube: Kube;
  /** Private directory for throw-away keyrings; default the system temp directory. */
  tmpDir?: string;
  /** Verdicts kept; default 10,000. */
  cacheSize?: number;
}

export interface SignedCommitsGate extends RevisionGate {
  /** Signature checks run (git and gpg/ssh-keygen spawned), for tests and metrics. */
  readonly stats: { checks: number; cached: number };
}

export function signedCommitsGate(o: SignedCommitsOptions): SignedCommitsGate {
  const cache = new Map<string, Verdict>();
  const max = o.cacheSize ?? 10_000;
  const tmp = o.tmpDir ?? join(tmpdir(), 'sluice-verify');
  const stats = { checks: 0, cached: 0 };

  async function verdictOf(
    app: Application,
    object: SignedObject,
    commit: string,
    keys: TrustedKeys,
    secret: string,
  ): Promise<Verdict> {
    // A tag is cached with the commit it points to: a tag moved to another commit is checked again.
    const id = object.kind === 'commit' ? object.sha : `${object.name}@${commit}`;
    const key = `${object.kind}:${app.spec.source.repoURL}:${id}:${keys.hash}`;
    const hit = cache.get(key);
    if (hit) {
      stats.cached++;
      return hit;
    }
    stats.checks++;
    const verdict = await o.mirrors.readMirror(app.spec.source.repoURL, (m) =>
      checkSignature(m, object, keys, tmp, secret),
    );
    if (cache.size >= max) cache.delete(cache.keys().next().value ?? '');
    cache.set(key, verdict);
    return verdict;
  }

  return {
    name: 'signed commits',
    stats,
    async beforeRender(ctx: GateContext): Promise<void> {
      const verify = ctx.app.spec.source.verify;
      if (!verify) return;
      const mode = verify.mode ?? 'HEAD';
      const ns = ctx.app.metadata.namespace ?? '';
      const secret = `${ns}/${verify.secretRef.name}`;
      const keys = await readKeys(o.kube, ns, verify.secretRef.name, ctx.revision);
      for (const object of objectsToCheck(ctx, mode)) {
        let verdict: Verdict;
        try {
          verdict = await verdictOf(ctx.app, object, ctx.revision, keys, secret);
        } catch (err) {
          if (err instanceof KeysError)
            throw new GateError('GateFailed', `spec.source.verify: ${err.message}`, false, {
              hint: err.hint ?? '',
              cause: err,
            });
          throw err;
        }
        if (!verdict.ok) throw refusal(object, ctx.revision, mode, secret, verdict);
      }
    },
  };
}

/** What a mode checks: the tag targetRevision names (Tag), the commit (HEAD), or both (in order). */
export function objectsToCheck(
  ctx: GateContext,
  mode: 'HEAD' | 'Tag' | 'TagAndHEAD',
): SignedObject[] {
  const objects: SignedObject[] = [];
  if (mode === 'Tag' || mode === 'TagAndHEAD') {
    const tag = ctx.ref?.startsWith('refs/tags/') ? ctx.ref.slice('refs/tags/'.length) : '';
    if (tag === '') {
      const asked =
        ctx.app.operation?.sync?.revision ?? ctx.app.spec.source.targetRevision ?? 'HEAD';
      const is = ctx.ref ? `the branch ${ctx.ref.replace(/^refs\/heads\//, '')}` : 'not a tag';
      throw new GateError(
        'UnverifiedTag',
        `spec.source.verify.mode ${mode} verifies a tag, but revision "${asked}" is ${is}; nothing of commit ${ctx.revision} is applied`,
        true,
        { hint: 'set targetRevision to a signed annotated tag (git tag -s), or use mode HEAD' },
      );
    }
    objects.push({ kind: 'tag', name: tag });
  }
  if (mode !== 'Tag') objects.push({ kind: 'commit', sha: ctx.revision });
  return objects;
}

/** The Secret's keys; a missing or unusable Secret is a GateFailed that is retried. */
async function readKeys(
  kube: Kube,
  ns: string,
  name: string,
  revision: string,
): Promise<TrustedKeys> {
  const id = `${ns}/${name}`;
  let secret;
  try {
    secret = await kube.get('v1', 'Secret', ns, name);
  } catch (err) {
    throw new GateError(
      'GateFailed',
      `spec.source.verify: cannot read Secret ${id}: ${errorMessage(err)}; commit ${revision} is not applied until its signature is checked`,
      false,
      { cause: err },
    );
  }
  if (!secret)
    throw new GateError(
      'GateFailed',
      `spec.source.verify: Secret ${id} (the trusted signature keys) not found; commit ${revision} is not applied until its signature is checked`,
      false,
      {
        hint: `create it in namespace ${ns} with the signers' public keys, e.g. kubectl create secret generic ${name} -n ${ns} --from-file=alice.asc --from-file=bob.pub`,
      },
    );
  try {
    return keysFromSecret(secret);
  } catch (err) {
    if (err instanceof KeysError)
      throw new GateError('GateFailed', `spec.source.verify: ${err.message}`, false, {
        hint: err.hint ?? '',
        cause: err,
      });
    throw err;
  }
}

function refusal(
  object: SignedObject,
  commit: string,
  mode: string,
  secret: string,
  v: Extract<Verdict, { ok: false }>,
): GateError {
  const what = object.kind === 'commit' ? `commit ${object.sha}` : `tag ${object.name}`;
  const reason = object.kind === 'commit' ? 'UnverifiedCommit' : 'UnverifiedTag';
  const tail = `spec.source.verify (mode ${mode}) trusts only the keys in Secret ${secret}; nothing of commit ${commit} is applied`;
  switch (v.why) {
    case 'Unsigned':
      return new GateError(reason, `${what} is not signed; ${tail}`, true, {
        hint:
          object.kind === 'commit'
            ? 'sign it (git commit -S) with a key whose public half is in the Secret, and push'
            : 'tag again with a signature (git tag -s), and push the tag',
      });
    case 'UnknownKey':
      return new GateError(
        reason,
        `${what} is signed by ${v.key ?? 'a key'}, which is not in Secret ${secret}; ${tail}`,
        true,
        {
          hint: `if that key is trusted, add its public key to Secret ${secret} (a .asc entry from gpg --armor --export, or a .pub entry for ssh); otherwise revert the commit`,
        },
      );
    case 'LightweightTag':
      return new GateError(
        reason,
        `tag ${object.kind === 'tag' ? object.name : ''} is a lightweight tag and carries no signature; ${tail}`,
        true,
        { hint: 'replace it with a signed annotated tag (git tag -s -f <name>), and push it' },
      );
    case 'BadSignature':
      return new GateError(
        reason,
        `${what}: the signature${v.key ? ` by ${v.key}` : ''} does not verify (${v.detail ?? 'unknown error'}); ${tail}`,
        true,
        { hint: 'sign it again with a valid key from the Secret' },
      );
  }
}
