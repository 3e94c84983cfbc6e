/**
 * Which deliveries an event asks of a Notification (pure): the selector (namespaces, kinds, name
 * globs, labels) must take the event's object; then every trigger `on` the event's type sends
 * each of its templates (`send`, default the built-in one) to each of its destinations (default
 * all). The same template to the same destination goes once, however many triggers ask.
 *
 * Namespaces: a Notification sees its own namespace unless it lives in the controller's
 * namespace, which alone may name others (or `*`): a team cannot subscribe to another team's
 * events.
 */
import type {
  Notification,
  NotificationDestination,
  NotificationSelector,
  NotificationTemplate,
} from '../../api/notification.ts';
import type { DeliveryEvent } from '../events/types.ts';

export interface Delivery {
  trigger: string;
  template: NotificationTemplate;
  destination: NotificationDestination;
}

/** The template a trigger without `send` uses (and `send: [default]` unless one is defined). */
export const BUILTIN_TEMPLATE: NotificationTemplate = { name: 'default' };

/** `*` any run of characters, `?` one. */
export function glob(pattern: string, s: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

/** The namespaces a Notification may see: its own, or any when in the controller's namespace. */
export function namespacesOf(n: Notification, controllerNamespace: string): readonly string[] {
  const asked = n.spec.selector?.namespaces;
  if (!asked?.length) return [n.metadata.namespace];
  return n.metadata.namespace === controllerNamespace ? asked : [n.metadata.namespace];
}

export function selects(
  s: NotificationSelector | undefined,
  namespaces: readonly string[],
  event: DeliveryEvent,
): boolean {
  const o = event.object;
  if (!namespaces.includes('*') && !namespaces.some((ns) => glob(ns, o.namespace))) return false;
  if (s?.kinds?.length && !s.kinds.includes(o.kind)) return false;
  if (s?.names?.length && !s.names.some((p) => glob(p, o.name))) return false;
  for (const [k, v] of Object.entries(s?.matchLabels ?? {})) {
    if (event.labels[k] !== v) return false;
  }
  return true;
}

export function templateNamed(n: Notification, name: string): NotificationTemplate | undefined {
  const t = n.spec.templates?.find((x) => x.name === name);
  return t ?? (name === BUILTIN_TEMPLATE.name ? BUILTIN_TEMPLATE : undefined);
}

/** The deliveries `event` asks of `n` (none when suspended or not selected). */
export function deliveriesFor(
  n: Notification,
  event: DeliveryEvent,
  controllerNamespace: string,
): Delivery[] {
  if (n.spec.suspend) return [];
  if (!selects(n.spec.selector, namespacesOf(n, controllerNamespace), event)) return [];
  const out: Delivery[] = [];
  const seen = new Set<string>();
  n.spec.triggers.forEach((t, i) => {
    if (!t.events.includes(event.type)) return;
    const trigger = t.name ?? `triggers[${i}]`;
    for (const templateName of t.send ?? [BUILTIN_TEMPLATE.name]) {
      const template = templateNamed(n, templateName);
      if (!template) continue;
      for (const d of n.spec.destinations) {
        if (t.destinations && !t.destinations.includes(d.name)) continue;
        const k = `${templateName}\n${d.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ trigger, template, destination: d });
      }
    }
  });
  return out;
}

/** Does any trigger of `n` listen to an event of this type? */
export function listensTo(n: Notification, type: DeliveryEvent['type']): boolean {
  return !n.spec.suspend && n.spec.triggers.some((t) => t.events.includes(type));
}

/**
 * What `sluice notification test --event TYPE` sends: every destination, each with the templates
 * its triggers on TYPE would send it (the built-in one when no trigger is on TYPE).
 */
export function testDeliveries(n: Notification, type: DeliveryEvent['type']): Delivery[] {
  return n.spec.destinations.flatMap((destination) => {
    const names = new Set<string>();
    for (const t of n.spec.triggers) {
      if (!t.events.includes(type)) continue;
      if (t.destinations && !t.destinations.includes(destination.name)) continue;
      for (const s of t.send ?? [BUILTIN_TEMPLATE.name]) names.add(s);
    }
    if (names.size === 0) names.add(BUILTIN_TEMPLATE.name);
    return [...names]
      .map((name) => templateNamed(n, name))
      .filter((t): t is NotificationTemplate => t !== undefined)
      .map((template) => ({ trigger: 'test', template, destination }));
  });
}
