/**
 * The notification controller, a Runnable of the Manager (`sluice controller` runs it unless
 * `--no-notifications`): it watches Notifications and every event source (../events), and while
 * it leads, turns each status change into events, asks each Notification which deliveries they
 * need (match.ts), checks its ledger so nothing is sent twice (ledger.ts), and hands the
 * deliveries to the queue (queue.ts). Detection is synchronous and only enqueues: no receiver,
 * slow or failing, ever holds up a watch, a sync or another destination.
 *
 * The Notification's status (state.ts) is written through the runtime's StatusPatcher, at most
 * every 200 ms per Notification: what was notified, and per destination the last delivery and
 * the last failure. A new leader reads it back before looking at anything, so a restart or a
 * failover sends nothing that was sent already.
 */
import {
  NOTIFICATION_API_VERSION,
  NOTIFICATION_KIND,
  type DeliveryRecord,
  type Notification,
  type NotificationStatus,
} from '../../api/notification.ts';
import { errorMessage } from '../../errors.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import type { InformerEventType } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/types.ts';
import { refusedWatches } from '../../runtime/access.ts';
import { Controller, type ReconcileRequest } from '../../runtime/controller.ts';
import type { Runnable } from '../../runtime/manager.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import type { Logger } from '../../util/log.ts';
import { eventsOf, objectKey, objectRef } from '../events/event.ts';
import type { EventSource } from '../events/source.ts';
import type { DeliveryEvent } from '../events/types.ts';
import { EventWatcher } from '../events/watcher.ts';
import { templateContext } from './fields.ts';
import { deliveriesFor, type Delivery } from './match.ts';
import { NotificationMetrics } from './metrics.ts';
import { DeliveryQueue, httpTransport, type DeliveryOutcome, type Transport } from './queue.ts';
import { buildRequest, secretRefs } from './requests.ts';
import { DEFAULT_TIMEOUT_MS, retryPolicy } from './retry.ts';
import { SecretCache } from './secrets.ts';
import { NotificationState } from './state.ts';

export interface NotificationControllerOptions {
  kube: Kube;
  log: Logger;
  /** The controller's namespace: Notifications there may select other namespaces. */
  namespace: string;
  /** Watch Notifications and Applications only here (default: all). */
  appNamespaces?: readonly string[];
  /** Watch Rollouts and PipelineRuns only here (default: all). */
  workloadNamespaces?: readonly string[];
  transport?: Transport;
  sources?: readonly EventSource[];
  now?: () => Date;
}

const WRITE_DELAY_MS = 200;
const STOP_GRACE_MS = 5000;

export class NotificationController implements Runnable {
  readonly notifications: Controller<Notification, Record<string, never>>;
  readonly watcher: EventWatcher;
  readonly queue: DeliveryQueue;
  readonly metrics: NotificationMetrics;
  private readonly o: NotificationControllerOptions;
  private readonly states = new Map<string, NotificationState>();
  private readonly patcher = new StatusPatcher<NotificationStatus, Notification>();
  private readonly secrets: SecretCache;
  private readonly now: () => Date;
  private leader: AbortSignal | undefined;
  private ready = false;
  private disabled = false;

  constructor(o: NotificationControllerOptions) {
    this.o = o;
    this.now = o.now ?? (() => new Date());
    this.secrets = new SecretCache(o.kube);
    this.queue = new DeliveryQueue({ transport: o.transport ?? httpTransport });
    this.metrics = new NotificationMetrics(() => this.queue.pending);
    this.notifications = new Controller<Notification, Record<string, never>>({
      name: 'notifications',
      kube: o.kube,
      apiVersion: NOTIFICATION_API_VERSION,
      kind: NOTIFICATION_KIND,
      ...(o.appNamespaces ? { namespaces: o.appNamespaces } : {}),
      concurrency: 2,
      log: o.log,
      reconciler: { reconcile: (req) => this.writeStatus(req) },
    });
    this.notifications.onEvent((type, n) => this.onNotification(type, n));
    this.watcher = new EventWatcher({
      kube: o.kube,
      log: o.log,
      namespaces: {
        ...(o.appNamespaces ? { applications: o.appNamespaces } : {}),
        ...(o.workloadNamespaces ? { workloads: o.workloadNamespaces } : {}),
      },
      ...(o.sources ? { sources: o.sources } : {}),
    });
    this.watcher.onChange((source, type, obj) => {
      if (this.ready) this.evaluate(source, type, obj);
    });
  }

  async start(): Promise<void> {
    const refused = await refusedWatches(this.o.kube, this.o.appNamespaces, [
      ['sluice.dev', 'notifications'],
    ]);
    if (refused.length > 0) {
      this.disabled = true;
      this.o.log.warn('notifications are off: RBAC refuses what they need', {
        refused: refused.join(', '),
      });
      return;
    }
    await Promise.all([this.notifications.start(), this.watcher.start()]);
  }

  startLeading(leader: AbortSignal): void {
    if (this.disabled) return;
    this.leader = leader;
    leader.addEventListener('abort', () => this.stopLeading(), { once: true });
    // Read every Notification's ledger, prime new ones, then look at every object once: what
    // happened while no controller led is sent now, what was sent before is not.
    for (const n of this.notifications.list()) this.stateOf(n);
    this.ready = true;
    for (const source of this.watcher.sources) {
      for (const obj of this.watcher.objects(source)) this.evaluate(source, 'added', obj);
    }
    this.notifications.startLeading(leader);
  }

  /** Deliveries in flight get a few seconds; then the statuses are written a last time. */
  async stop(): Promise<void> {
    if (this.disabled) return;
    this.ready = false;
    await this.queue.stop(STOP_GRACE_MS);
    const leader = this.leader;
    if (leader && !leader.aborted) {
      for (const s of this.states.values()) {
        if (!s.dirty) continue;
        await this.flush(s, this.o.kube.withSignal(leader)).catch((err: unknown) =>
          this.o.log.warn('notifications: last status write failed', {
            notification: s.key,
            error: errorMessage(err),
          }),
        );
      }
    }
    this.watcher.stop();
    await this.notifications.stop();
  }

  private stopLeading(): void {
    this.ready = false;
    this.states.clear();
  }

  private stateOf(n: Notification): NotificationState {
    const key = `${n.metadata.namespace}/${n.metadata.name}`;
    const freshest = this.patcher.current(n);
    let s = this.states.get(key);
    if (!s) {
      s = new NotificationState(freshest, this.o.namespace, this.now());
      this.states.set(key, s);
    } else {
      s.update(freshest, this.now());
    }
    if (s.needsPriming) this.prime(s);
    return s;
  }

  /** Records the states present now (health Degraded, ...) as notified, without sending. */
  private prime(s: NotificationState): void {
    s.needsPriming = false;
    const now = this.now();
    for (const source of this.watcher.sources) {
      for (const obj of this.watcher.objects(source)) {
        for (const { detection, event } of eventsOf(source, obj, now)) {
          if (!detection.rearm) continue;
          if (deliveriesFor(s.notification, event, this.o.namespace).length === 0) continue;
          s.ledger.prime(objectKey(event.object), detection);
        }
      }
    }
    this.schedule(s);
  }

  private onNotification(type: InformerEventType, n: Notification): void {
    this.patcher.observe(n);
    if (!this.ready) return;
    const key = `${n.metadata.namespace}/${n.metadata.name}`;
    if (type === 'deleted') {
      this.states.delete(key);
      this.patcher.forget(key);
      return;
    }
    this.schedule(this.stateOf(n));
  }

  /** One object changed: its events, for every Notification that wants them. */
  private evaluate(source: EventSource, type: InformerEventType, obj: KubeObject): void {
    const key = objectKey(objectRef(obj));
    if (type === 'deleted') {
      for (const s of this.states.values()) {
        s.ledger.forgetObject(key);
        if (s.dirty) this.schedule(s);
      }
      return;
    }
    const found = eventsOf(source, obj, this.now());
    const active = new Set(found.map((f) => f.detection.type));
    for (const s of this.states.values()) {
      if (!s.active) continue;
      s.ledger.settle(key, source.types, active);
      for (const { detection, event } of found) {
        const plan = deliveriesFor(s.notification, event, this.o.namespace);
        if (plan.length === 0 || !s.ledger.admit(key, detection)) continue;
        this.metrics.events.inc({ type: event.type });
        this.o.log.info('notifying', {
          notification: s.key,
          event: event.type,
          object: key,
          deliveries: plan.length,
        });
        for (const d of plan) this.send(s, event, d);
      }
      if (s.dirty) this.schedule(s);
    }
  }

  private send(s: NotificationState, event: DeliveryEvent, d: Delivery): void {
    const n = s.notification;
    const { namespace, name } = n.metadata;
    const dest = d.destination;
    const lane = `${namespace}/${name}/${dest.name}`;
    const context = templateContext(event, {
      namespace,
      name,
      trigger: d.trigger,
      ...(n.spec.context ? { context: n.spec.context } : {}),
    });
    this.queue.push({
      lane,
      concurrency: dest.concurrency ?? 2,
      timeoutMs: parseDuration(dest.timeout, DEFAULT_TIMEOUT_MS),
      policy: retryPolicy(dest.retry),
      prepare: async () => {
        const secret = await this.secrets.lookup(namespace, secretRefs(dest));
        return buildRequest({ event, context, template: d.template, destination: dest, secret });
      },
      done: (o) => this.delivered(s.key, lane, dest.name, event, o),
    });
  }

  private delivered(
    key: string,
    lane: string,
    destination: string,
    event: DeliveryEvent,
    o: DeliveryOutcome,
  ): void {
    this.metrics.delivered.inc({
      destination: lane,
      result: o.result === 'Delivered' ? 'delivered' : 'failed',
    });
    const record: DeliveryRecord = {
      time: this.now().toISOString(),
      event: event.type,
      eventID: event.id,
      object: objectKey(event.object),
      result: o.result,
      attempts: o.attempts,
      ...(o.code !== undefined ? { code: o.code } : {}),
      ...(o.error ? { reason: o.error.reason, message: o.error.message.slice(0, 500) } : {}),
    };
    if (o.error) {
      this.o.log.warn('notification not delivered', { destination: lane, ...record });
    }
    const s = this.states.get(key);
    if (!s) return;
    s.record(destination, record);
    this.schedule(s);
  }

  private schedule(s: NotificationState): void {
    this.notifications.enqueueAfter(s.key, WRITE_DELAY_MS);
  }

  private async writeStatus(req: ReconcileRequest<Record<string, never>>): Promise<object> {
    const s = this.states.get(req.key);
    if (!s || !this.notifications.get(req.namespace, req.name)) return {};
    await this.flush(s, this.o.kube.withSignal(req.signal));
    return {};
  }

  private async flush(s: NotificationState, kube: Kube): Promise<void> {
    const cached = this.notifications.get(
      s.notification.metadata.namespace,
      s.notification.metadata.name,
    );
    if (!cached) return;
    await this.patcher.patchStatus(kube, this.patcher.current(cached), s.status(this.now()));
  }
}
