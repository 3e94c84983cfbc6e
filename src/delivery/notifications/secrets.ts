/**
 * The Secrets destinations read (tokens, HMAC keys, webhook URLs), fetched when a delivery is
 * prepared — never watched, never logged — and kept for a few seconds so that a burst of events
 * costs one GET per Secret. A Secret that is missing or lacks the key is `SecretNotFound`.
 */
import type { SecretKeySelector } from '../../api/notification.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { errorMessage } from '../../errors.ts';
import { DeliveryError } from './errors.ts';
import type { SecretLookup } from './requests.ts';

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

const TTL_MS = 5000;

export class SecretCache {
  private readonly kube: Kube;
  private readonly cache = new Map<string, { at: number; data: Map<string, string> | undefined }>();

  constructor(kube: Kube) {
    this.kube = kube;
  }

  /** The lookup `buildRequest` needs, with every Secret in `refs` fetched beforehand. */
  async lookup(namespace: string, refs: readonly SecretKeySelector[]): Promise<SecretLookup> {
    const names = [...new Set(refs.map((r) => r.name))];
    const fetched = new Map<string, Map<string, string> | undefined>();
    await Promise.all(names.map(async (n) => fetched.set(n, await this.get(namespace, n))));
    return (ref) => fetched.get(ref.name)?.get(ref.key);
  }

  private async get(namespace: string, name: string): Promise<Map<string, string> | undefined> {
    const key = `${namespace}/${name}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.data;
    let s: Secret | undefined;
    try {
      s = await this.kube.get<Secret>('v1', 'Secret', namespace, name);
    } catch (err) {
      throw new DeliveryError('SecretNotFound', `Secret ${key}: ${errorMessage(err)}`);
    }
    const data = s
      ? new Map(
          Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
        )
      : undefined;
    this.cache.set(key, { at: Date.now(), data });
    return data;
  }
}
