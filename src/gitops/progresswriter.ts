/**
 * Several writes of one Application in one reconcile (progress during a long step, clearing the
 * `operation` request, then the final status), made so that the last one still wins.
 *
 * Why it matters: the StatusPatcher answers a stale cache copy with our last write only while the
 * cache shows the one version that write was made over. A write of our own in between adds a
 * version the cache may show next; a reconcile that started then would read it back as current:
 * the progress ("Running, wave 0"), or the request not yet cleared, and run the finished
 * operation again (seen at 5,000 objects: a second sync, the first one's history entry
 * overwritten). So each write is made over the freshest version we know, and before the next
 * one we wait (briefly, a watch round trip) until the cache has moved past every version we
 * replaced; the final write is then covered by the patcher as usual.
 *
 * (The general fix belongs in the patcher: remember every version it wrote over, not one.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Application, ApplicationStatus } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import type { StatusPatcher } from '../runtime/patcher.ts';

export interface ProgressWriterDeps {
  patcher: StatusPatcher<ApplicationStatus, Application>;
  kube: Kube;
  /** The app as the watch cache shows it now. */
  cached: () => Application | undefined;
  /** How long `done()` waits for the cache at most. */
  catchUpMs?: number;
}

/** Waits (at most `timeoutMs`) until the watch cache shows none of `replaced`. */
export async function cachePast(
  cached: () => Application | undefined,
  replaced: ReadonlySet<string>,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const version = cached()?.metadata.resourceVersion;
    if (version === undefined || !replaced.has(version)) return;
    await sleep(20);
  }
}

export class ProgressWriter {
  private app: Application;
  private chain: Promise<void> = Promise.resolve();
  private readonly replaced = new Set<string>();
  private readonly deps: ProgressWriterDeps;

  constructor(app: Application, deps: ProgressWriterDeps) {
    this.app = app;
    this.deps = deps;
  }

  /** Writes `status` after the writes already asked for; failures are left to the final write. */
  write(status: ApplicationStatus): void {
    this.chain = this.chain.then(async () => {
      const before = this.app;
      const wrote = await this.deps.patcher
        .patchStatus(this.deps.kube, before, status)
        .catch(() => false);
      if (!wrote) return;
      this.replaced.add(before.metadata.resourceVersion ?? '');
      this.app = this.deps.patcher.current(before);
    });
  }

  /** The freshest app to make the final writes over, once the cache is past what we replaced. */
  async done(): Promise<Application> {
    await this.chain;
    if (this.replaced.size > 0)
      await cachePast(this.deps.cached, this.replaced, this.deps.catchUpMs);
    return this.app;
  }
}
