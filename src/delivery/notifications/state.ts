/**
 * What the controller holds for one Notification while it leads, and the status it computes
 * from it (pure but for the clock it is given):
 *
 * - the spec's problems (validate.ts): any makes it `Ready=False, InvalidSpec`, and it sends
 *   nothing;
 * - the ledger of what it notified (ledger.ts), read back from its status when the controller
 *   starts leading; a Notification seen for the first time, or whose spec changed since its
 *   status was written, starts from now (it does not replay what happened before) — from its
 *   creation when it is new — and its present states are primed, not sent;
 * - per destination: counts, the last delivery and the last failure with its reason.
 *
 * Ready: InvalidSpec, Suspended, DeliveryFailed (the last delivery to a destination failed;
 * the message names it and why) or Succeeded.
 */
import type {
  DeliveryRecord,
  DestinationStatus,
  Notification,
  NotificationCondition,
  NotificationStatus,
} from '../../api/notification.ts';
import { Ledger } from './ledger.ts';
import { validate } from './validate.ts';

const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);

export class NotificationState {
  notification: Notification;
  problems: string[];
  readonly ledger: Ledger;
  /** The ledger must be primed with the states present now (first sight or a changed spec). */
  needsPriming: boolean;
  private readonly destinations = new Map<string, DestinationStatus>();
  private readonly controllerNamespace: string;
  private changed = false;

  constructor(n: Notification, controllerNamespace: string, now: Date) {
    this.notification = n;
    this.controllerNamespace = controllerNamespace;
    this.problems = validate(n, controllerNamespace);
    const s = n.status;
    const created = n.metadata.creationTimestamp ?? now.toISOString();
    const current = s?.since !== undefined && s.observedGeneration === n.metadata.generation;
    const since = !s?.since ? created : current ? s.since : later(s.since, now.toISOString());
    this.ledger = new Ledger(since, s?.notified ?? []);
    this.needsPriming = !current;
    this.changed = !current;
    for (const d of s?.destinations ?? []) this.destinations.set(d.name, d);
  }

  get key(): string {
    return `${this.notification.metadata.namespace}/${this.notification.metadata.name}`;
  }

  /** Sends nothing: an invalid spec, or suspended. */
  get active(): boolean {
    return this.problems.length === 0 && this.notification.spec.suspend !== true;
  }

  get dirty(): boolean {
    return this.changed || this.ledger.dirty;
  }

  /** A new version of the object: a changed spec starts from now (nothing replayed). */
  update(n: Notification, now: Date): void {
    const specChanged = n.metadata.generation !== this.notification.metadata.generation;
    this.notification = n;
    if (!specChanged) return;
    this.problems = validate(n, this.controllerNamespace);
    this.ledger.advance(now.toISOString());
    this.needsPriming = true;
    this.changed = true;
  }

  record(destination: string, r: DeliveryRecord): void {
    const old = this.destinations.get(destination);
    const ok = r.result === 'Delivered';
    this.destinations.set(destination, {
      name: destination,
      delivered: (old?.delivered ?? 0) + (ok ? 1 : 0),
      failed: (old?.failed ?? 0) + (ok ? 0 : 1),
      lastDelivery: r,
      ...(ok ? (old?.lastFailure ? { lastFailure: old.lastFailure } : {}) : { lastFailure: r }),
    });
    this.changed = true;
  }

  /** The status to write; clears `dirty`. */
  status(now: Date): NotificationStatus {
    this.changed = false;
    const { since, notified } = this.ledger.snapshot();
    const names = new Set(this.notification.spec.destinations.map((d) => d.name));
    const destinations = [...this.destinations.values()].filter((d) => names.has(d.name));
    return {
      ...(this.notification.metadata.generation !== undefined
        ? { observedGeneration: this.notification.metadata.generation }
        : {}),
      conditions: [this.ready(destinations, now)],
      since,
      notified,
      destinations: destinations.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  private ready(destinations: readonly DestinationStatus[], now: Date): NotificationCondition {
    const failing = destinations.filter((d) => d.lastDelivery?.result === 'Failed');
    let c: Omit<NotificationCondition, 'lastTransitionTime'>;
    if (this.problems.length > 0) {
      c = {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidSpec',
        message: this.problems.join('; '),
      };
    } else if (this.notification.spec.suspend) {
      c = {
        type: 'Ready',
        status: 'False',
        reason: 'Suspended',
        message: 'suspended: nothing is sent',
      };
    } else if (failing.length > 0) {
      const message = failing
        .map((d) =>
          `${d.name}: ${d.lastDelivery?.reason ?? 'Failed'} ${d.lastDelivery?.message ?? ''}`.trim(),
        )
        .join('; ');
      c = { type: 'Ready', status: 'False', reason: 'DeliveryFailed', message };
    } else {
      c = { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'watching for events' };
    }
    const old = this.notification.status?.conditions?.find((x) => x.type === 'Ready');
    const keep = old?.status === c.status && old.lastTransitionTime;
    return { ...c, lastTransitionTime: keep || now.toISOString() };
  }
}
