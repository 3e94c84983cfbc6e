/** What `sluice notification list | get` print. */
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../api/notification.ts';
import { ago, renderList, renderNotification } from './render.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

const n: Notification = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Notification',
  metadata: { name: 'ci', namespace: 'team', creationTimestamp: '2026-12-01T10:00:00Z' },
  spec: {
    triggers: [
      { name: 'failures', events: ['pipelinerun-failed', 'sync-failed'], send: ['short'] },
    ],
    destinations: [
      { name: 'chat', slack: { url: 'https://hooks.example.com/services/T0/B0/secret' } },
      {
        name: 'status',
        github: { repository: 'org/app', tokenSecretRef: { name: 'gh', key: 't' } },
      },
    ],
  },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'DeliveryFailed',
        message: 'chat: HTTPError HTTP 404',
      },
    ],
    destinations: [
      {
        name: 'chat',
        delivered: 3,
        failed: 1,
        lastDelivery: {
          time: '2026-12-01T11:59:00Z',
          event: 'pipelinerun-failed',
          eventID: 'e1',
          object: 'PipelineRun/team/ci-7',
          result: 'Failed',
          attempts: 1,
          code: 404,
          reason: 'HTTPError',
          message: 'HTTP 404',
        },
      },
    ],
  },
};

describe('render', () => {
  it.each([
    { t: '2026-12-01T11:59:30Z', want: '30s' },
    { t: '2026-12-01T11:00:00Z', want: '60m' },
    { t: '2026-11-30T12:00:00Z', want: '24h' },
    { t: '2026-11-01T12:00:00Z', want: '30d' },
    { t: undefined, want: '-' },
  ])('ago($t)', ({ t, want }) => expect(ago(t, NOW)).toBe(want));

  it('lists Notifications with their events, destinations and last delivery', () => {
    const [header, row] = renderList([n], true, NOW).split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'NAME',
      'READY',
      'REASON',
      'EVENTS',
      'DESTINATIONS',
      'LAST DELIVERY',
      'AGE',
    ]);
    expect(row?.split(/\s{2,}/)).toEqual([
      'team',
      'ci',
      'False',
      'DeliveryFailed',
      'pipelinerun-failed,sync-failed',
      'chat,status',
      'Failed 60s ago',
      '2h',
    ]);
  });

  it('shows each destination, never a Slack webhook URL, and the last failure with its reason', () => {
    const text = renderNotification(n, NOW);
    expect(text).toContain('Ready:         False (DeliveryFailed) chat: HTTPError HTTP 404');
    expect(text).toContain('failures: on pipelinerun-failed, sync-failed → send short to all');
    expect(text).toMatch(/chat\s+slack\s+\(url\)\s+3\s+1\s+Failed HTTP 404 \(1 attempt\) 60s ago/);
    expect(text).toMatch(/status\s+github\s+org\/app\s+0\s+0\s+-/);
    expect(text).not.toContain('secret');
    expect(text).not.toContain('Last failures:');
  });
});
