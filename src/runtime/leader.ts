/**
 * Leader election on a coordination.k8s.io Lease, like client-go's: the leader renews the Lease
 * every `renewMs`; another candidate takes over only once `leaseDurationMs` passed without a
 * renewal. Updates use the Lease's resourceVersion, so two candidates can never both win. A
 * leader that cannot renew within `leaseDurationMs` stops leading (callback) before anyone else
 * can take over; one that finds the Lease held by someone else stops at once. `release()` hands
 * the Lease over at once on graceful shutdown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from '../kube/api.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (message: string) => void;
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private readonly kube: Kube;
  private readonly opts: Required<Omit<LeaderOptions, 'log'>> & Pick<LeaderOptions, 'log'>;
  private leading = false;
  private stopped = false;
  /** Wakes the loop from its sleep when released. */
  private readonly wake = new AbortController();
  private lastRenew = 0;
  private loop: Promise<void> | undefined;

  constructor(kube: Kube, options: LeaderOptions) {
    this.kube = kube;
    this.opts = { leaseDurationMs: 15_000, renewMs: 2_000, ...options };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** 'ours' (acquired or renewed), or 'theirs' (someone else holds a live Lease). */
  private async tryAcquireOrRenew(): Promise<'ours' | 'theirs'> {
    const { namespace, name, identity, leaseDurationMs } = this.opts;
    const now = new Date();
    const lease = await this.kube.get<Lease>('coordination.k8s.io/v1', 'Lease', namespace, name);
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      await this.kube.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return 'ours';
    }
    const held = lease.spec?.holderIdentity;
    const renewed = Date.parse(lease.spec?.renewTime ?? '') || 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    const expired = !held || renewed + duration < now.getTime();
    if (held !== identity && !expired) return 'theirs';
    const taking = held !== identity;
    await this.kube.update({
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        ...(taking
          ? {
              acquireTime: microTime(now),
              leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
            }
          : {}),
      },
    });
    return 'ours';
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let ok = false;
      let taken = false;
      try {
        const r = await this.tryAcquireOrRenew();
        ok = r === 'ours';
        taken = r === 'theirs';
      } catch (err) {
        // A 409 means someone else updated the Lease first: not ours this round.
        if (!(err instanceof KubeApiError && err.conflict))
          this.opts.log?.(`leader election: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (this.stopped) break;
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.opts.onStartedLeading();
        }
      } else if (
        this.leading &&
        (taken || Date.now() - this.lastRenew > this.opts.leaseDurationMs - this.opts.renewMs)
      ) {
        // Someone else holds it now, or it could expire for the others any moment: stop.
        this.leading = false;
        this.opts.onStoppedLeading();
      }
      await sleep(
        this.leading ? this.opts.renewMs : Math.max(this.opts.renewMs / 2, 250),
        undefined,
        {
          signal: this.wake.signal,
        },
      ).catch(() => undefined);
    }
  }

  /** Stops campaigning; a leader gives the Lease up so a successor needs no wait. */
  async release(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    await this.loop?.catch(() => undefined);
    if (!this.leading) return;
    this.leading = false;
    const lease = await this.kube
      .get<Lease>('coordination.k8s.io/v1', 'Lease', this.opts.namespace, this.opts.name)
      .catch(() => undefined);
    if (lease?.spec?.holderIdentity === this.opts.identity) {
      await this.kube
        .update({
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            renewTime: microTime(new Date(0)),
            leaseDurationSeconds: 1,
          },
        })
        .catch(() => undefined);
    }
  }
}
