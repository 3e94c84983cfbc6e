/**
 * How `sluice notification list | get | test` print (pure): a kubectl-like table of
 * Notifications, one Notification with its triggers and each destination's last delivery and
 * last failure, and the results of a test send.
 */
import type {
  DeliveryRecord,
  DestinationStatus,
  Notification,
  NotificationDestination,
} from '../../api/notification.ts';
import { formatTable } from '../output.ts';

/** `3m` ago, as kubectl's AGE column. */
export function ago(time: string | undefined, now: Date): string {
  const t = Date.parse(time ?? '');
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function destinationType(d: NotificationDestination): string {
  if (d.webhook) return d.webhook.secretRef ? 'webhook (signed)' : 'webhook';
  if (d.slack) return 'slack';
  if (d.github) return 'github';
  if (d.gitlab) return 'gitlab';
  return '?';
}

function urlTarget(u: { url?: string; urlSecretRef?: { name: string } }, shown: boolean): string {
  if (u.url) return shown ? u.url : '(url)';
  return `Secret ${u.urlSecretRef?.name ?? '?'}`;
}

function target(d: NotificationDestination): string {
  if (d.webhook) return urlTarget(d.webhook, true);
  // A Slack webhook URL is its secret: never printed.
  if (d.slack) return urlTarget(d.slack, false);
  const forge = d.github ?? d.gitlab;
  const where = d.github?.repository ?? d.gitlab?.project ?? "the event's repository";
  return forge ? `${where}${forge.baseURL ? ` at ${forge.baseURL}` : ''}` : '';
}

const ready = (n: Notification) => n.status?.conditions?.find((c) => c.type === 'Ready');

function lastDelivery(n: Notification): DeliveryRecord | undefined {
  return (n.status?.destinations ?? [])
    .map((d) => d.lastDelivery)
    .filter((r): r is DeliveryRecord => r !== undefined)
    .sort((a, b) => b.time.localeCompare(a.time))[0];
}

export function renderList(
  items: readonly Notification[],
  allNamespaces: boolean,
  now: Date,
): string {
  const rows = items.map((n) => {
    const last = lastDelivery(n);
    const events = [...new Set(n.spec.triggers.flatMap((t) => t.events))].join(',');
    return [
      ...(allNamespaces ? [n.metadata.namespace] : []),
      n.metadata.name,
      n.spec.suspend ? 'Suspended' : (ready(n)?.status ?? 'Unknown'),
      ready(n)?.reason ?? '',
      events,
      n.spec.destinations.map((d) => d.name).join(','),
      last ? `${last.result} ${ago(last.time, now)} ago` : '-',
      ago(n.metadata.creationTimestamp, now),
    ];
  });
  const header = ['NAME', 'READY', 'REASON', 'EVENTS', 'DESTINATIONS', 'LAST DELIVERY', 'AGE'];
  return formatTable(allNamespaces ? ['NAMESPACE', ...header] : header, rows);
}

function record(r: DeliveryRecord | undefined, now: Date): string {
  if (!r) return '-';
  const code = r.code !== undefined ? ` HTTP ${r.code}` : '';
  const why = r.reason ? ` ${r.reason}${r.message ? `: ${r.message}` : ''}` : '';
  return `${r.result}${code} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}) ${ago(r.time, now)} ago, ${r.event} ${r.object}${why}`;
}

export function renderNotification(n: Notification, now: Date): string {
  const c = ready(n);
  const lines = [
    `Name:          ${n.metadata.namespace}/${n.metadata.name}`,
    `Ready:         ${c ? `${c.status} (${c.reason ?? ''})${c.message ? ` ${c.message}` : ''}` : 'Unknown (no status yet: is `sluice controller` running?)'}`,
    `Suspended:     ${n.spec.suspend ? 'yes' : 'no'}`,
    `Since:         ${n.status?.since ?? '-'}   Notified: ${n.status?.notified?.length ?? 0} occurrence(s)`,
    'Triggers:',
    ...n.spec.triggers.map(
      (t, i) =>
        `  ${t.name ?? `#${i}`}: on ${t.events.join(', ')} → send ${(t.send ?? ['default']).join(', ')} to ${(t.destinations ?? ['all']).join(', ')}`,
    ),
    '',
  ];
  const byName = new Map<string, DestinationStatus>(
    (n.status?.destinations ?? []).map((d) => [d.name, d]),
  );
  const rows = n.spec.destinations.map((d) => {
    const s = byName.get(d.name);
    return [
      d.name,
      destinationType(d),
      target(d),
      String(s?.delivered ?? 0),
      String(s?.failed ?? 0),
      record(s?.lastDelivery, now),
    ];
  });
  const table = formatTable(['DESTINATION', 'TYPE', 'TARGET', 'DELIVERED', 'FAILED', 'LAST'], rows);
  const failures = n.spec.destinations
    .map((d) => [d.name, byName.get(d.name)?.lastFailure] as const)
    .filter(([, f]) => f !== undefined)
    .map(([name, f]) => `  ${name}: ${record(f, now)}`);
  return [...lines, table, ...(failures.length ? ['Last failures:', ...failures, ''] : [])].join(
    '\n',
  );
}

export interface TestResult {
  destination: string;
  type: string;
  template: string;
  result: 'Delivered' | 'Failed';
  attempts: number;
  code?: number;
  reason?: string;
  message?: string;
}

export function renderTestResults(results: readonly TestResult[]): string {
  return formatTable(
    ['DESTINATION', 'TYPE', 'TEMPLATE', 'RESULT', 'ATTEMPTS', 'DETAIL'],
    results.map((r) => [
      r.destination,
      r.type,
      r.template,
      r.result,
      String(r.attempts),
      [r.code !== undefined ? `HTTP ${r.code}` : '', r.reason ?? '', r.message ?? '']
        .filter(Boolean)
        .join(' '),
    ]),
  );
}
