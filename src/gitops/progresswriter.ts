/**
 * Status writes in the middle of a long step (a sync applying 20,000 objects, a cascade delete),
 * made so that the reconcile's own last write still wins over them.
 *
 * Why it matters: the StatusPatcher answers a stale cache copy with our latest write when the
 * cache shows the version that run of writes started from, or one of the run's own writes. A
 * progress write the watch has already delivered ends the run; a final write then made over the
 * version the reconcile started from would leave the cache's copy (the progress: "Running,
 * wave 0") looking current, and the next reconcile would run the finished operation again (seen
 * at 5,000 objects before the patcher kept its runs: a second sync, the first one's history
 * entry overwritten). So each progress write is made over the freshest version we know, and
 * `done()` hands that version to the reconcile for its final writes.
 */
import type { Application, ApplicationStatus } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import type { StatusPatcher } from '../runtime/patcher.ts';

export class ProgressWriter {
  private app: Application;
  private chain: Promise<void> = Promise.resolve();
  private readonly patcher: StatusPatcher<ApplicationStatus, Application>;
  private readonly kube: Kube;

  constructor(
    app: Application,
    patcher: StatusPatcher<ApplicationStatus, Application>,
    kube: Kube,
  ) {
    this.app = app;
    this.patcher = patcher;
    this.kube = kube;
  }

  /** Writes `status` after the writes already asked for; failures are left to the final write. */
  write(status: ApplicationStatus): void {
    this.chain = this.chain.then(async () => {
      const before = this.app;
      const wrote = await this.patcher.patchStatus(this.kube, before, status).catch(() => false);
      if (wrote) this.app = this.patcher.current(before);
    });
  }

  /** Once the writes asked for are done: the freshest app, to make the final writes over. */
  async done(): Promise<Application> {
    await this.chain;
    return this.app;
  }
}
