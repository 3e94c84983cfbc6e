/**
 * What one Notification has already notified (pure), kept in its status so that a restarted or
 * newly elected controller sends nothing twice:
 *
 * - one entry per event type and object: the key of the last occurrence notified. The same key
 *   again (a resync, a restart, a status write about something else) is not sent again.
 * - `since`, the horizon: an occurrence at or before it is history, never sent. It starts at the
 *   Notification's creation (a new Notification does not replay the past) and moves forward when
 *   the oldest entries are dropped to keep the status bounded (`cap` entries).
 * - states (`rearm`: health Degraded, a person's pause) are sent once while they last, whatever
 *   the horizon, and forgotten when their object no longer shows them, so the next one is sent.
 *   They are never dropped for room: there are as many as objects in that state. The states
 *   present when the Notification is first seen are `prime`d (recorded, not sent).
 */
import type { Notified } from '../../api/notification.ts';
import type { Detection, EventType } from '../events/types.ts';

export const LEDGER_CAP = 1000;

const entryKey = (type: string, object: string): string => `${type} ${object}`;
const ms = (t: string): number => {
  const n = Date.parse(t);
  return Number.isNaN(n) ? 0 : n;
};

export class Ledger {
  private readonly entries = new Map<string, Notified>();
  private horizon: string;
  private readonly cap: number;
  /** Changed since the last `snapshot()` (the status needs a write). */
  dirty = false;

  constructor(since: string, notified: readonly Notified[] = [], cap = LEDGER_CAP) {
    this.horizon = since;
    this.cap = cap;
    for (const n of notified) this.entries.set(entryKey(n.type, n.object), n);
  }

  get since(): string {
    return this.horizon;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Is this occurrence new? If so it is recorded (the caller sends it). */
  admit(object: string, d: Detection): boolean {
    const k = entryKey(d.type, object);
    if (this.entries.get(k)?.key === d.key) return false;
    if (!d.rearm && ms(d.time) <= ms(this.horizon)) return false;
    this.record(k, object, d);
    return true;
  }

  /** Records a state present at first sight, without sending it. */
  prime(object: string, d: Detection): void {
    if (!d.rearm) return;
    const k = entryKey(d.type, object);
    if (this.entries.get(k)?.key !== d.key) this.record(k, object, d);
  }

  /** The object no longer shows these states: forget them, so the next occurrence is sent. */
  settle(object: string, types: readonly EventType[], active: ReadonlySet<EventType>): void {
    for (const t of types) {
      if (active.has(t)) continue;
      const k = entryKey(t, object);
      if (this.entries.get(k)?.rearm) {
        this.entries.delete(k);
        this.dirty = true;
      }
    }
  }

  /** The object is gone: its states go (occurrences stay until the horizon passes them). */
  forgetObject(object: string): void {
    for (const [k, n] of this.entries) {
      if (n.object === object && n.rearm) {
        this.entries.delete(k);
        this.dirty = true;
      }
    }
  }

  /** Moves the horizon to `time` (when later): nothing at or before it is sent. */
  advance(time: string): void {
    if (ms(time) <= ms(this.horizon)) return;
    this.horizon = time;
    this.dirty = true;
  }

  /** The entries, oldest first, as the status keeps them. */
  snapshot(): { since: string; notified: Notified[] } {
    this.dirty = false;
    const notified = [...this.entries.values()].sort(
      (a, b) => ms(a.time) - ms(b.time) || a.object.localeCompare(b.object),
    );
    return { since: this.horizon, notified };
  }

  private record(k: string, object: string, d: Detection): void {
    this.entries.set(k, {
      type: d.type,
      object,
      key: d.key,
      time: d.time,
      ...(d.rearm ? { rearm: true } : {}),
    });
    this.dirty = true;
    if (this.entries.size > this.cap) this.evict();
  }

  /** Drops the oldest occurrences beyond the cap; the horizon moves to the newest dropped. */
  private evict(): void {
    const occurrences = [...this.entries].filter(([, n]) => !n.rearm);
    occurrences.sort(([, a], [, b]) => ms(a.time) - ms(b.time));
    let excess = this.entries.size - this.cap;
    for (const [k, n] of occurrences) {
      if (excess <= 0) break;
      this.entries.delete(k);
      if (ms(n.time) > ms(this.horizon)) this.horizon = n.time;
      excess--;
    }
  }
}
