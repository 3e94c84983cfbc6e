/** A Notification's state: where its horizon starts, what its status says. */
import { describe, expect, it } from 'vitest';
import type { Notification, NotificationStatus } from '../../api/notification.ts';
import { NotificationState } from './state.ts';

const T0 = '2026-12-01T10:00:00.000Z';
const NOW = new Date('2026-12-01T12:00:00.000Z');

function notification(status?: NotificationStatus, generation = 1, suspend = false): Notification {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Notification',
    metadata: { name: 'n', namespace: 'team', generation, creationTimestamp: T0 },
    spec: {
      ...(suspend ? { suspend } : {}),
      triggers: [{ events: ['pipelinerun-failed'] }],
      destinations: [
        { name: 'a', webhook: { url: 'http://127.0.0.1:1/a' } },
        { name: 'b', webhook: { url: 'http://127.0.0.1:1/b' } },
      ],
    },
    ...(status ? { status } : {}),
  };
}

describe('NotificationState', () => {
  it('a new Notification starts at its creation and is primed', () => {
    const s = new NotificationState(notification(), 'sluice-system', NOW);
    expect(s.ledger.since).toBe(T0);
    expect(s.needsPriming).toBe(true);
    expect(s.dirty).toBe(true);
  });

  it('a status written for this generation is read back as it is', () => {
    const status: NotificationStatus = {
      observedGeneration: 1,
      since: '2026-12-01T11:00:00.000Z',
      notified: [{ type: 'pipelinerun-failed', object: 'PipelineRun/team/r', key: 'k', time: 't' }],
    };
    const s = new NotificationState(notification(status), 'sluice-system', NOW);
    expect(s.ledger.since).toBe('2026-12-01T11:00:00.000Z');
    expect(s.ledger.size).toBe(1);
    expect(s.needsPriming).toBe(false);
    expect(s.dirty).toBe(false);
  });

  it('a spec changed since (while no controller ran, or now) starts from now', () => {
    const status: NotificationStatus = { observedGeneration: 1, since: T0 };
    const s = new NotificationState(notification(status, 2), 'sluice-system', NOW);
    expect(s.ledger.since).toBe(NOW.toISOString());
    expect(s.needsPriming).toBe(true);
    const running = new NotificationState(notification(status), 'sluice-system', NOW);
    running.update(notification(status, 2), NOW);
    expect(running.ledger.since).toBe(NOW.toISOString());
    expect(running.needsPriming).toBe(true);
  });

  it('counts deliveries per destination and keeps the last failure', () => {
    const s = new NotificationState(notification(), 'sluice-system', NOW);
    const rec = (result: 'Delivered' | 'Failed', time: string) => ({
      time,
      event: 'pipelinerun-failed' as const,
      eventID: 'e',
      object: 'PipelineRun/team/r',
      result,
      attempts: 1,
      ...(result === 'Failed' ? { reason: 'HTTPError' as const, message: 'HTTP 500' } : {}),
    });
    s.record('a', rec('Failed', 't1'));
    s.record('a', rec('Delivered', 't2'));
    s.record('b', rec('Failed', 't3'));
    const status = s.status(NOW);
    expect(status.destinations).toEqual([
      {
        name: 'a',
        delivered: 1,
        failed: 1,
        lastDelivery: rec('Delivered', 't2'),
        lastFailure: rec('Failed', 't1'),
      },
      {
        name: 'b',
        delivered: 0,
        failed: 1,
        lastDelivery: rec('Failed', 't3'),
        lastFailure: rec('Failed', 't3'),
      },
    ]);
    expect(status.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'DeliveryFailed',
        message: 'b: HTTPError HTTP 500',
        lastTransitionTime: NOW.toISOString(),
      },
    ]);
    expect(s.dirty).toBe(false);
  });

  const readiness: Array<{ name: string; n: Notification; reason: string; status: string }> = [
    { name: 'ready', n: notification(), reason: 'Succeeded', status: 'True' },
    {
      name: 'suspended',
      n: notification(undefined, 1, true),
      reason: 'Suspended',
      status: 'False',
    },
    {
      name: 'invalid',
      n: { ...notification(), spec: { ...notification().spec, destinations: [{ name: 'x' }] } },
      reason: 'InvalidSpec',
      status: 'False',
    },
  ];
  it.each(readiness)('Ready when $name', ({ n, reason, status }) => {
    const s = new NotificationState(n, 'sluice-system', NOW);
    expect(s.status(NOW).conditions?.[0]).toMatchObject({ reason, status });
    expect(s.active).toBe(reason === 'Succeeded');
  });

  it('keeps the transition time while Ready does not change', () => {
    const before = notification({
      observedGeneration: 1,
      since: T0,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', lastTransitionTime: T0 }],
    });
    const s = new NotificationState(before, 'sluice-system', NOW);
    expect(s.status(NOW).conditions?.[0]?.lastTransitionTime).toBe(T0);
  });
});
