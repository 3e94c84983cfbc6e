/**
 * Keys for the unit tests, generated once per test file: 2048-bit for speed, except the one
 * 4096-bit key that checks the blob layout Sealed Secrets' real keys give.
 */
import { generateSealingKey, type SealingKey } from './keys.ts';

const cache = new Map<string, Promise<SealingKey>>();

/** A key by name (`a`, `b`...), the same object for the same name within a file. */
export function testKey(name: string, bits = 2048, now?: Date): Promise<SealingKey> {
  const id = `${name}/${bits}/${now?.toISOString() ?? ''}`;
  let k = cache.get(id);
  if (!k) {
    k = generateSealingKey({ bits, source: `test key ${name}`, ...(now ? { now } : {}) });
    cache.set(id, k);
  }
  return k;
}
