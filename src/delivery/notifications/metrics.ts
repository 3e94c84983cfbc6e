/**
 * Notification metrics (prom-client), added to the Manager's /metrics:
 *
 * - `sluice_notifications_delivered_total{destination,result}`: deliveries done, `destination`
 *   as `namespace/notification/destination`, `result` `delivered` or `failed` (after retries)
 * - `sluice_notifications_events_total{type}`: events that asked for deliveries
 * - `sluice_notifications_queue_depth`: deliveries waiting or in flight
 */
import { Counter, Gauge, Registry } from 'prom-client';

export class NotificationMetrics {
  readonly registry = new Registry();
  readonly delivered: Counter<'destination' | 'result'>;
  readonly events: Counter<'type'>;

  constructor(queueDepth: () => number) {
    const registers = [this.registry];
    this.delivered = new Counter({
      name: 'sluice_notifications_delivered_total',
      help: 'Notification deliveries, by destination and result (delivered, or failed after retries)',
      labelNames: ['destination', 'result'],
      registers,
    });
    this.events = new Counter({
      name: 'sluice_notifications_events_total',
      help: 'Delivery events that asked a Notification for deliveries, by type',
      labelNames: ['type'],
      registers,
    });
    new Gauge({
      name: 'sluice_notifications_queue_depth',
      help: 'Notification deliveries waiting or in flight',
      registers,
      collect() {
        this.set(queueDepth());
      },
    });
  }
}
