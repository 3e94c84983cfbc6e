/**
 * The signed-images revision gate (gitops/gates.ts): after preflight, every image of the
 * revision's objects and hooks that an app's `spec.verifyImages` rule matches must be signed
 * by the rule's attestors, or nothing of the revision is applied:
 * - no signature at all → `UnsignedImage` (terminal);
 * - signatures, but none by a trusted key, or a trusted signature of another digest (a copied
 *   `.sig`) → `ImageVerifyFailed` (terminal; the message says "digest mismatch" for the latter);
 * - a registry down or refusing credentials, a key Secret missing, an image tag not pushed yet
 *   → `GateFailed` / `ImageVerifyFailed` with `terminal: false`: retried with backoff.
 * Messages name the app, the image and the objects that run it.
 *
 * Images are checked 8 at a time. Verified (digest, key) pairs are remembered (a digest never
 * changes content), and a tag's digest for a minute, so an app whose revision has not changed
 * costs no registry request.
 */
import type { VerifyImagesRule } from '../../api/application.ts';
import { secretCredentials, secretData } from '../../delivery/images/auth.ts';
import { RegistryClient, RegistryError } from '../../delivery/images/registry.ts';
import { errorMessage } from '../../errors.ts';
import { GateError, type GateContext, type RevisionGate } from '../../gitops/gates.ts';
import type { Plan } from '../../gitops/preflight.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { Semaphore } from '../../util/semaphore.ts';
import { SignatureError } from './errors.ts';
import { planImages, type UsedImage } from './images.ts';
import { parsePublicKeys, type PublicKey } from './keys.ts';
import { readSignatures } from './signatures.ts';
import { imageLocation, matchesReference, type ImageLocation } from './references.ts';
import { assess, satisfied, type AttestorSet, type ImageVerification } from './verify.ts';

export const DEFAULT_KEY_FIELD = 'cosign.pub';
const TAG_TTL_MS = 60_000;
const CACHE_LIMIT = 10_000;
const CONCURRENCY = 8;

export interface SignedImagesGateOptions {
  /** The control plane's client: key and credential Secrets live in the Application's namespace. */
  kube: Kube;
  now?: () => number;
  timeoutMs?: number;
}

interface Refusal {
  used: UsedImage;
  result: ImageVerification;
}

const appName = (ctx: GateContext): string =>
  `Application ${ctx.app.metadata.namespace ?? ''}/${ctx.app.metadata.name ?? ''}`;

export class SignedImagesGate implements RevisionGate {
  readonly name = 'signed images';
  private readonly o: SignedImagesGateOptions;
  private readonly verified = new Set<string>();
  private readonly tags = new Map<string, { digest: string; at: number }>();

  constructor(o: SignedImagesGateOptions) {
    this.o = o;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  async afterPreflight(ctx: GateContext & { plan: Plan }): Promise<void> {
    const rules = ctx.app.spec.verifyImages ?? [];
    if (rules.length === 0) return;
    const objects: KubeObject[] = [...ctx.plan.resources, ...ctx.plan.hooks].map((r) => r.object);
    const images = planImages(objects);
    const refusals: Refusal[] = [];
    for (const [i, rule] of rules.entries()) {
      const matching = images.filter((u) => matchesReference(u.image, rule.imageReferences));
      if (matching.length === 0) continue;
      const attestors = await this.attestors(ctx, rule, i);
      // A few registry conversations at once; results kept in the images' order.
      const limit = new Semaphore(CONCURRENCY);
      const results = await Promise.all(
        matching.map((used) => limit.run(() => this.check(ctx, rule, attestors, used))),
      );
      results.forEach((result, j) => {
        const used = matching[j];
        if (used && !result.verified) refusals.push({ used, result });
      });
    }
    if (refusals.length > 0) throw refusal(ctx, refusals);
  }

  /** The rule's attestor sets with their keys loaded (inline PEM or a Secret). */
  private async attestors(
    ctx: GateContext,
    rule: VerifyImagesRule,
    index: number,
  ): Promise<AttestorSet[]> {
    const out: AttestorSet[] = [];
    for (const [j, a] of rule.attestors.entries()) {
      const keys: PublicKey[] = [];
      for (const [k, e] of a.entries.entries()) {
        const field = `spec.verifyImages[${index}].attestors[${j}].entries[${k}].keys`;
        if (e.keys.publicKeys !== undefined)
          keys.push(...this.parse(ctx, e.keys.publicKeys, `${field}.publicKeys`));
        if (e.keys.secret) keys.push(...(await this.secretKeys(ctx, e.keys.secret, field)));
        if (e.keys.publicKeys === undefined && !e.keys.secret)
          throw new GateError('InvalidSpec', `${appName(ctx)}: ${field} names no key`, true, {
            hint: 'set keys.publicKeys (PEM) or keys.secret.name',
          });
      }
      out.push({ ...(a.count !== undefined ? { count: a.count } : {}), keys });
    }
    return out;
  }

  private parse(ctx: GateContext, pem: string, field: string): PublicKey[] {
    try {
      return parsePublicKeys(pem, `${appName(ctx)}: ${field}`);
    } catch (err) {
      if (err instanceof SignatureError)
        throw new GateError('InvalidSpec', err.message, true, {
          ...(err.hint ? { hint: err.hint } : {}),
        });
      throw err;
    }
  }

  private async secretKeys(
    ctx: GateContext,
    ref: { name: string; key?: string },
    field: string,
  ): Promise<PublicKey[]> {
    const ns = ctx.app.metadata.namespace ?? '';
    const secret = await this.o.kube.get('v1', 'Secret', ns, ref.name);
    const key = ref.key ?? DEFAULT_KEY_FIELD;
    if (!secret)
      throw new GateError(
        'GateFailed',
        `${appName(ctx)}: Secret ${ns}/${ref.name} (${field}.secret) not found`,
        false,
        {
          hint: `create it with the public key: kubectl create secret generic ${ref.name} -n ${ns} --from-file=${key}=cosign.pub`,
        },
      );
    const pem = secretData(secret as KubeObject & { data?: unknown })[key];
    if (pem === undefined)
      throw new GateError(
        'InvalidSpec',
        `${appName(ctx)}: Secret ${ns}/${ref.name} has no key "${key}"`,
        true,
        {
          hint: `put the PEM public key under "${key}", or name its key in ${field}.secret.key`,
        },
      );
    return this.parse(ctx, pem, `Secret ${ns}/${ref.name} key ${key}`);
  }

  private async client(
    ctx: GateContext,
    rule: VerifyImagesRule,
    loc: ImageLocation,
  ): Promise<RegistryClient> {
    const ns = ctx.app.metadata.namespace ?? '';
    for (const name of rule.imageRegistryCredentials?.secrets ?? []) {
      const secret = await this.o.kube.get('v1', 'Secret', ns, name);
      if (!secret)
        throw new GateError(
          'GateFailed',
          `${appName(ctx)}: registry Secret ${ns}/${name} (imageRegistryCredentials) not found`,
          false,
        );
      const credentials = secretCredentials(
        secretData(secret as KubeObject & { data?: unknown }),
        loc.address.host,
      );
      if (credentials)
        return new RegistryClient({
          address: loc.address,
          credentials,
          timeoutMs: this.o.timeoutMs ?? 30_000,
        });
    }
    return new RegistryClient({ address: loc.address, timeoutMs: this.o.timeoutMs ?? 30_000 });
  }

  /** Verifies one image, from the cache when its digest is known to be signed by enough keys. */
  private async check(
    ctx: GateContext,
    rule: VerifyImagesRule,
    attestors: readonly AttestorSet[],
    used: UsedImage,
  ): Promise<ImageVerification> {
    let loc: ImageLocation;
    try {
      loc = imageLocation(used.image, rule.insecure === true);
    } catch (err) {
      throw new GateError(
        'ImageVerifyFailed',
        `${appName(ctx)}: ${errorMessage(err)} (in ${used.objects.join(', ')})`,
        true,
      );
    }
    try {
      const client = await this.client(ctx, rule, loc);
      const digest = await this.digest(client, loc);
      const known = new Set(
        attestors
          .flatMap((a) => a.keys)
          .filter((k) => this.verified.has(`${digest}|${k.id}`))
          .map((k) => k.id),
      );
      if (satisfied(attestors, known)) return assessCached(used.image, digest, known);
      const result = assess(loc.image, digest, await readSignatures(client, digest), attestors);
      if (this.verified.size > CACHE_LIMIT) this.verified.clear();
      for (const k of result.keys) this.verified.add(`${digest}|${k}`);
      return result;
    } catch (err) {
      if (err instanceof RegistryError) throw registryFailure(ctx, used, loc, err);
      if (err instanceof SignatureError)
        throw new GateError(
          'ImageVerifyFailed',
          `${appName(ctx)}: image ${used.image}: ${err.message}`,
          true,
          {
            ...(err.hint ? { hint: err.hint } : {}),
          },
        );
      throw err;
    }
  }

  private async digest(client: RegistryClient, loc: ImageLocation): Promise<string> {
    if (loc.digest) return loc.digest;
    const key = `${loc.address.canonical}:${loc.tag ?? 'latest'}`;
    const hit = this.tags.get(key);
    if (hit && this.now() - hit.at < TAG_TTL_MS) return hit.digest;
    const digest = await client.digest(loc.tag ?? 'latest');
    if (this.tags.size > CACHE_LIMIT) this.tags.clear();
    this.tags.set(key, { digest, at: this.now() });
    return digest;
  }
}

function assessCached(image: string, digest: string, keys: Set<string>): ImageVerification {
  const r = assess(image, digest, [], []);
  return {
    ...r,
    outcome: 'Verified',
    verified: true,
    keys: [...keys],
    message: `image ${image} is signed (cached)`,
  };
}

function registryFailure(
  ctx: GateContext,
  used: UsedImage,
  loc: ImageLocation,
  err: RegistryError,
): GateError {
  const where = `registry ${loc.address.host}`;
  if (err.kind === 'NotFound')
    return new GateError(
      'ImageVerifyFailed',
      `${appName(ctx)}: image ${used.image} (in ${used.objects.join(', ')}) is not in ${where}: ${err.message}`,
      false,
      { hint: 'push the image (and its signature) first; the app retries', cause: err },
    );
  return new GateError(
    'GateFailed',
    `${appName(ctx)}: signed images: cannot check image ${used.image} at ${where}: ${err.message}`,
    false,
    { ...(err.hint ? { hint: err.hint } : {}), cause: err },
  );
}

function refusal(ctx: GateContext, refusals: readonly Refusal[]): GateError {
  const unsigned = refusals.every((r) => r.result.outcome === 'Unsigned');
  const lines = refusals.map((r) => `${r.result.message} (in ${r.used.objects.join(', ')})`);
  const head = `${appName(ctx)}: revision ${ctx.revision.slice(0, 7)} refused, nothing applied`;
  return new GateError(
    unsigned ? 'UnsignedImage' : 'ImageVerifyFailed',
    refusals.length === 1
      ? `${head}: ${lines[0] ?? ''}`
      : `${head}: ${refusals.length} images:\n- ${lines.slice(0, 10).join('\n- ')}`,
    true,
    {
      hint: unsigned
        ? 'sign the image (`sluice image sign IMAGE --key ...` or `cosign sign`) with a key spec.verifyImages trusts; then refresh the app'
        : 'sign this very image digest with a trusted key; a signature copied from another image does not count',
    },
  );
}
