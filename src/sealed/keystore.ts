/**
 * The controller's sealing keys, kept as Sealed Secrets keeps them: `kubernetes.io/tls` Secrets
 * in the controller's namespace, labelled `sealedsecrets.bitnami.com/sealed-secrets-key=active`,
 * named `sealed-secrets-key<random>`. A key backup taken from a bitnami controller (or ours)
 * restores by applying those Secrets.
 *
 * The first start creates a key; then a new one every `renewEveryMs` (30 days), counted from
 * the newest key's certificate. Old keys are never deleted: every key unseals, the newest seals.
 * Keys are read from a watch, so a key restored by hand is used at once; a Secret with the label
 * that does not hold a valid key pair is skipped with a warning, never fatal.
 */
import type { Secret } from '../api/sealedsecret.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { Informer } from '../kube/informer.ts';
import type { Logger } from '../util/log.ts';
import {
  generateSealingKey,
  keyPem,
  newestFirst,
  parseCertificate,
  sealingKeyFromPem,
  type SealingCertificate,
  type SealingKey,
} from './keys.ts';

export const KEY_LABEL = 'sealedsecrets.bitnami.com/sealed-secrets-key';
export const KEY_NAME_PREFIX = 'sealed-secrets-key';
export const DEFAULT_RENEW_MS = 30 * 86_400_000;

/** A key whose certificate ends within this is replaced, renewal period or not. */
const EXPIRY_MARGIN_MS = 86_400_000;

/**
 * When a new key is due: `everyMs` after the newest key's start (never when 0), and in any case
 * a day before its certificate expires (nobody can seal for an expired certificate); at once
 * when there is no key.
 */
export function renewalDueAt(newest: SealingCertificate | undefined, everyMs: number): number {
  if (!newest) return 0;
  const byAge = everyMs > 0 ? newest.notBefore.getTime() + everyMs : Number.POSITIVE_INFINITY;
  return Math.min(byAge, newest.notAfter.getTime() - EXPIRY_MARGIN_MS);
}

export interface KeyStoreOptions {
  kube: Kube;
  /** Where the key Secrets live (the controller's namespace). */
  namespace: string;
  log: Logger;
  /** A new key when the newest is this old; 0 never renews. Default 30 days. */
  renewEveryMs?: number;
  /** RSA key size of new keys (default 4096, as Sealed Secrets). */
  keyBits?: number;
  now?: () => number;
}

interface Parsed {
  resourceVersion: string;
  key: SealingKey | undefined;
}

export class KeyStore {
  private readonly o: KeyStoreOptions;
  private readonly informer: Informer<Secret>;
  private readonly parsed = new Map<string, Parsed>();
  /** Keys created here that the watch has not delivered yet. */
  private readonly created = new Map<string, SealingKey>();
  private readonly listeners: Array<() => void> = [];

  constructor(o: KeyStoreOptions) {
    this.o = o;
    this.informer = new Informer<Secret>(o.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: o.namespace,
      labelSelector: `${KEY_LABEL}=active`,
      onError: (err) =>
        o.log.warn('key Secret watch failed; retrying', { error: errorMessage(err) }),
    });
    this.informer.on(() => {
      for (const l of this.listeners) l();
    });
  }

  /** Called whenever a key Secret appears, changes or goes. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Every valid key, newest first. */
  keys(): SealingKey[] {
    const keys = new Map<string, SealingKey>();
    for (const s of this.informer.list()) {
      const key = this.parse(s);
      if (key) keys.set(key.fingerprint, key);
    }
    for (const [fp, key] of this.created) {
      if (keys.has(fp)) this.created.delete(fp);
      else keys.set(fp, key);
    }
    return newestFirst([...keys.values()]);
  }

  /** The key that seals: the newest. */
  newest(): SealingKey | undefined {
    return this.keys()[0];
  }

  /** When the newest key is due for renewal (ms since the epoch); see `renewalDueAt`. */
  renewalDue(): number {
    return renewalDueAt(this.newest(), this.o.renewEveryMs ?? DEFAULT_RENEW_MS);
  }

  /** Creates a key if there is none or the newest is due for renewal; resolves the key created. */
  async ensure(kube: Kube = this.o.kube): Promise<SealingKey | undefined> {
    const now = this.o.now?.() ?? Date.now();
    if (this.renewalDue() > now) return undefined;
    const key = await generateSealingKey({
      bits: this.o.keyBits ?? 4096,
      now: new Date(now),
    });
    const pem = keyPem(key);
    const made = await kube.create<Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        generateName: KEY_NAME_PREFIX,
        namespace: this.o.namespace,
        labels: { [KEY_LABEL]: 'active' },
      },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(pem.cert).toString('base64'),
        'tls.key': Buffer.from(pem.key).toString('base64'),
      },
    });
    const source = `Secret/${this.o.namespace}/${made.metadata.name ?? ''}`;
    const stored = { ...key, source };
    this.created.set(key.fingerprint, stored);
    this.o.log.info('created a new sealing key', { key: key.fingerprint, secret: source });
    for (const l of this.listeners) l();
    return stored;
  }

  private parse(s: Secret): SealingKey | undefined {
    const id = `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`;
    const rv = s.metadata.resourceVersion ?? '';
    const cached = this.parsed.get(id);
    if (cached && cached.resourceVersion === rv) return cached.key;
    const source = `Secret/${id}`;
    let key: SealingKey | undefined;
    try {
      const text = (k: string): string => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
      key = sealingKeyFromPem(text('tls.crt'), text('tls.key'), source);
    } catch (err) {
      this.o.log.warn('skipping a key Secret that holds no valid key pair', {
        secret: source,
        error: errorMessage(err),
      });
    }
    this.parsed.set(id, { resourceVersion: rv, key });
    return key;
  }
}

/**
 * The keys of a controller, read once from its namespace (for the CLI: `--re-encrypt`,
 * `--validate`); needs the right to read Secrets there. Invalid key Secrets are skipped.
 */
export async function readKeys(kube: Kube, namespace: string): Promise<SealingKey[]> {
  const list = await kube.list<Secret>('v1', 'Secret', {
    namespace,
    labelSelector: `${KEY_LABEL}=active`,
  });
  const keys: SealingKey[] = [];
  for (const s of list.items) {
    const text = (k: string): string => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
    try {
      keys.push(
        sealingKeyFromPem(
          text('tls.crt'),
          text('tls.key'),
          `Secret/${namespace}/${s.metadata.name ?? ''}`,
        ),
      );
    } catch {
      // not a key pair: the controller skips it too (and says so in its log)
    }
  }
  return newestFirst(keys);
}

/** The newest certificate of a controller (only `tls.crt` is used). */
export async function readNewestCertificate(
  kube: Kube,
  namespace: string,
): Promise<string | undefined> {
  const list = await kube.list<Secret>('v1', 'Secret', {
    namespace,
    labelSelector: `${KEY_LABEL}=active`,
  });
  const certs = list.items.flatMap((s) => {
    try {
      return [parseCertificate(Buffer.from(s.data?.['tls.crt'] ?? '', 'base64'))];
    } catch {
      return [];
    }
  });
  return newestFirst(certs)[0]?.certificatePem;
}
