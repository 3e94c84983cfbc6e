/**
 * Opening sealed values and whole SealedSecrets with a set of keys (newest first: the order
 * only saves work, every key is tried). All or nothing: a SealedSecret whose every blob opens
 * gives a Secret; one that does not gives a SealedError, never part of a Secret.
 */
import type { SealedSecret, Secret } from '../api/sealedsecret.ts';
import type { ObjectMeta } from '../kube/types.ts';
import {
  isLabelHash,
  modulusBytes,
  openSessionKey,
  openValue,
  sealedLabelHash,
  splitBlob,
} from './crypto.ts';
import { SealedError } from './errors.ts';
import type { SealingKey } from './keys.ts';
import { describeScope, encryptionLabel, scopeOf, SCOPES, type Scope } from './scope.ts';
import { renderTemplate } from './template.ts';

/** Where a blob is meant to open, and how errors name it. */
export interface BlobContext {
  scope: Scope;
  namespace: string;
  name: string;
  /** `SealedSecret/shop/db`, or `the value` for `--raw`. */
  object: string;
  /** The encryptedData key, when there is one. */
  dataKey?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard, padded base64 (what Sealed Secrets writes), refusing anything else. */
export function decodeBlob(text: string, ctx: BlobContext): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw corrupt(ctx, 'it is not base64 (standard alphabet, padded)');
  }
  return Buffer.from(compact, 'base64');
}

function what(ctx: BlobContext): string {
  return ctx.dataKey === undefined ? ctx.object : `${ctx.object}: encryptedData.${ctx.dataKey}`;
}

function corrupt(ctx: BlobContext, detail: string): SealedError {
  return new SealedError('BlobCorrupt', `${what(ctx)} is corrupt: ${detail}`, {
    hint: 'the blob was truncated or altered (a copy-paste cut short?); seal the value again',
    ...(ctx.dataKey === undefined ? {} : { dataKey: ctx.dataKey }),
  });
}

/** Opens one blob; the value and the key that opened it, or a SealedError saying why not. */
export function openBlob(
  blob: Buffer,
  keys: readonly SealingKey[],
  ctx: BlobContext,
): { value: Buffer; key: SealingKey } {
  const parts = splitBlob(blob);
  if (!parts.ok) throw corrupt(ctx, parts.detail);
  const label = encryptionLabel(ctx.scope, ctx.namespace, ctx.name);
  for (const key of keys) {
    if (modulusBytes(key.privateKey) !== parts.rsa.length) continue;
    const sessionKey = openSessionKey(key.privateKey, parts.rsa, label);
    if (!sessionKey) continue;
    const value = openValue(sessionKey, parts.aes);
    if (!value) {
      throw corrupt(
        ctx,
        `key ${key.fingerprint} opens its session key, but the data fails its AES-GCM integrity check`,
      );
    }
    return { value, key };
  }
  throw diagnose(parts.rsa, keys, ctx);
}

/** Why no key opened a well-formed blob: sealed for another object, or by another key. */
function diagnose(rsa: Buffer, keys: readonly SealingKey[], ctx: BlobContext): SealedError {
  const where = describeScope(ctx.scope, ctx.namespace, ctx.name);
  const dataKey = ctx.dataKey === undefined ? {} : { dataKey: ctx.dataKey };
  if (keys.length === 0) {
    return new SealedError('NoKeys', `${what(ctx)}: there is no key to open it with`, dataKey);
  }
  for (const key of keys) {
    const hash = sealedLabelHash(key.privateKey, rsa);
    if (!hash) continue;
    const other = SCOPES.find(
      (s) => s !== ctx.scope && isLabelHash(hash, encryptionLabel(s, ctx.namespace, ctx.name)),
    );
    const how = other
      ? `it was sealed ${describeScope(other, ctx.namespace, ctx.name)}, but the SealedSecret's scope is ${ctx.scope}`
      : 'it was sealed for another name or namespace';
    return new SealedError(
      'SealedForAnotherObject',
      `${what(ctx)} was not sealed for ${where}: key ${key.fingerprint} opens it, but ${how}`,
      {
        hint: other
          ? `set the scope annotation for ${other} on the SealedSecret (sealedsecrets.bitnami.com/${other}: "true"), or seal again`
          : `seal it again for ${where} (sluice seal --namespace ${ctx.namespace} --name ${ctx.name}), or use --scope namespace-wide or cluster-wide`,
        ...dataKey,
      },
    );
  }
  const sizes = [...new Set(keys.map((k) => modulusBytes(k.privateKey) * 8))];
  const size =
    sizes.includes(rsa.length * 8) || rsa.length === 0
      ? ''
      : ` (its session key is sealed for a ${rsa.length * 8}-bit key; ours are ${sizes.join(', ')}-bit)`;
  return new SealedError(
    'NoKeyOpensBlob',
    `${what(ctx)} (to open for ${where}) was sealed with none of the ${keys.length} known keys ` +
      `(${keys.map((k) => k.fingerprint).join(', ')})${size}`,
    {
      hint: 'it was sealed with another cluster’s certificate or with a key since deleted: fetch this cluster’s certificate (sluice seal --fetch-cert) and seal it again',
      ...dataKey,
    },
  );
}

/** The scope a SealedSecret is opened in: its own annotations, else its template's. */
export function sealedScope(ss: SealedSecret): Scope {
  const own = scopeOf(ss.metadata.annotations);
  if (own !== 'strict') return own;
  const meta = ss.spec.template?.metadata;
  const annotations = meta?.['annotations'];
  return typeof annotations === 'object' && annotations !== null
    ? scopeOf(annotations as Record<string, string>)
    : 'strict';
}

export function objectName(ss: SealedSecret): string {
  return `SealedSecret/${ss.metadata.namespace ?? ''}/${ss.metadata.name ?? ''}`;
}

const byKey = (a: [string, unknown], b: [string, unknown]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

function stringMap(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s;
  return out;
}

/** The values of every blob of `ss`, by key; throws the first failure, naming the others. */
export function openAll(ss: SealedSecret, keys: readonly SealingKey[]): Map<string, Buffer> {
  const base: Omit<BlobContext, 'dataKey'> = {
    scope: sealedScope(ss),
    namespace: ss.metadata.namespace ?? '',
    name: ss.metadata.name ?? '',
    object: objectName(ss),
  };
  if (ss.spec.data !== undefined && Object.keys(ss.spec.encryptedData).length === 0) {
    throw new SealedError(
      'InvalidInput',
      `${base.object} uses the deprecated spec.data (one blob for the whole Secret), which Sluice does not open`,
      { hint: 'seal the Secret again: each value goes in spec.encryptedData' },
    );
  }
  const values = new Map<string, Buffer>();
  const failures: SealedError[] = [];
  for (const [dataKey, text] of Object.entries(ss.spec.encryptedData).sort(byKey)) {
    const ctx = { ...base, dataKey };
    try {
      values.set(dataKey, openBlob(decodeBlob(text, ctx), keys, ctx).value);
    } catch (err) {
      if (!(err instanceof SealedError)) throw err;
      failures.push(err);
    }
  }
  const first = failures[0];
  if (!first) return values;
  if (failures.length === 1) throw first;
  const others = failures.slice(1).map((f) => f.dataKey ?? '?');
  throw new SealedError(
    first.code,
    `${first.message} (and ${others.length} more key${others.length === 1 ? '' : 's'} that do not open: ${others.join(', ')})`,
    {
      ...(first.hint ? { hint: first.hint } : {}),
      ...(first.dataKey ? { dataKey: first.dataKey } : {}),
    },
  );
}

/** The produced Secret's metadata: the SealedSecret's name, the template's labels and annotations. */
function secretMetadata(ss: SealedSecret): ObjectMeta {
  const meta = ss.spec.template?.metadata ?? {};
  const labels = stringMap(meta['labels']);
  const annotations = stringMap(meta['annotations']);
  return {
    name: ss.metadata.name ?? '',
    namespace: ss.metadata.namespace ?? '',
    ...(labels && Object.keys(labels).length ? { labels } : {}),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

/**
 * The Secret `ss` stands for: its template's labels, annotations, type and immutability, the
 * unsealed values, then the template's computed keys. No owner reference (the caller adds it).
 */
export function unsealSecret(ss: SealedSecret, keys: readonly SealingKey[]): Secret {
  const values = openAll(ss, keys);
  const data = new Map(values);
  for (const [key, tpl] of Object.entries(ss.spec.template?.data ?? {})) {
    if (tpl === null) data.delete(key);
    else data.set(key, renderTemplate(tpl, values, `${objectName(ss)}: spec.template.data.${key}`));
  }
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: secretMetadata(ss),
    type: ss.spec.template?.type || 'Opaque',
    data: Object.fromEntries([...data].sort(byKey).map(([k, v]) => [k, v.toString('base64')])),
  };
  if (ss.spec.template?.immutable !== undefined) secret.immutable = ss.spec.template.immutable;
  return secret;
}
