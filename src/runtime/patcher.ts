/**
 * The one writer of a controller's objects (after Flux's serial patcher): a reconcile computes
 * the status it wants and hands it over; the patcher writes it as one computed merge patch, only
 * when it differs from what the server holds, and remembers what the server answered.
 *
 * Why remember: the watch delivers our own write a few milliseconds later. Until it does, the
 * cache holds a stale copy, and a reconcile started from it would undo what we just wrote. So
 * `current(cached)` answers with our last write while the cache still shows the version we wrote
 * over; `observe` forgets it once the watch moves past that version.
 */
import type { Kube } from '../kube/api.ts';
import { createMergePatch } from '../kube/mergepatch.ts';
import type { KubeObject } from '../kube/types.ts';
import { jsonEqual } from '../util/json.ts';

export interface WithStatus<S> extends KubeObject {
  status?: S;
}

interface Written<T> {
  /** resourceVersion of the cached object we wrote over */
  staleVersion: string | undefined;
  /** Versions we wrote before `object` in the same run of writes (older than it). */
  ours: Set<string>;
  object: T;
}

export interface PatchStatusOptions<S> {
  /** Fields that alone never justify a write (e.g. a reconcile timestamp). */
  ignore?: (status: S) => S;
  /** Called on the status just before it is written (e.g. to stamp the time). */
  beforeWrite?: (status: S) => void;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class StatusPatcher<S, T extends WithStatus<S>> {
  private readonly written = new Map<string, Written<T>>();
  /** Writes of one object are serialised: progress reports and the final status never race. */
  private readonly chains = new Map<string, Promise<unknown>>();

  /** The freshest copy of `cached`: our own last write if the watch has not delivered it yet. */
  current(cached: T): T {
    const w = this.written.get(keyOf(cached));
    const rv = cached.metadata.resourceVersion ?? '';
    return w && (w.staleVersion === rv || w.ours.has(rv)) ? w.object : cached;
  }

  /**
   * The watch delivered a version of the object: forget our copy once the watch has reached
   * our last write (or someone else's newer one). An older write of ours is not enough: a
   * reconcile that wrote twice must not fall back to its first write.
   */
  observe(obj: T): void {
    const key = keyOf(obj);
    const w = this.written.get(key);
    const rv = obj.metadata.resourceVersion ?? '';
    if (!w || w.staleVersion === rv || w.ours.has(rv)) return;
    this.written.delete(key);
  }

  forget(key: string): void {
    this.written.delete(key);
    this.chains.delete(key);
  }

  /**
   * Writes `status` when it differs from the object's (as last written or seen); resolves
   * whether it wrote. The patch is computed, so fields that went away are removed.
   */
  patchStatus(
    kube: Kube,
    obj: T,
    status: S,
    options: PatchStatusOptions<S> = {},
  ): Promise<boolean> {
    return this.serial(obj, async () => {
      const base = this.current(obj).status;
      const strip = options.ignore ?? ((s: S) => s);
      if (base !== undefined && jsonEqual(strip(base), strip(status))) return false;
      options.beforeWrite?.(status);
      const patch = { status: createMergePatch(base ?? {}, status) };
      await this.write(obj, () => kube.mergePatch<T>(obj, patch, { subresource: 'status' }));
      return true;
    });
  }

  /** A merge patch of the object itself (spec, metadata, fields like `operation`). */
  patch(kube: Kube, obj: T, patch: unknown): Promise<T> {
    return this.serial(obj, () => this.write(obj, () => kube.mergePatch<T>(obj, patch)));
  }

  private async write(obj: T, send: () => Promise<T>): Promise<T> {
    const key = keyOf(obj);
    const previous = this.written.get(key);
    const object = await send();
    // Keyed on the version the cache shows (it may still hold `obj`'s version); our earlier
    // writes of this run stay known, so their watch events do not make us forget this one.
    const ours = new Set(previous?.ours);
    const before = previous?.object.metadata.resourceVersion;
    if (before) ours.add(before);
    this.written.set(key, {
      staleVersion: previous?.staleVersion ?? obj.metadata.resourceVersion,
      ours,
      object,
    });
    return object;
  }

  private serial<R>(obj: T, fn: () => Promise<R>): Promise<R> {
    const key = keyOf(obj);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }
}
