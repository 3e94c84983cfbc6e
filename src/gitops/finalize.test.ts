/** What a cascade delete says while it runs (the rest of finalize is tested in test/e2e). */
import { describe, expect, it } from 'vitest';
import type { ApplicationStatus } from '../api/application.ts';
import { getCondition } from './conditions.ts';
import { deletingStatus } from './finalize.ts';
import { NOW } from './testing/fixtures.ts';

describe('deletingStatus', () => {
  it.each<{
    name: string;
    total: number;
    remaining: number;
    sending?: { sent: number; of: number };
    want: string;
  }>([
    { name: 'nothing gone yet', total: 5000, remaining: 5000, want: 'deleting: 0/5000 objects' },
    { name: 'part gone', total: 5000, remaining: 1880, want: 'deleting: 3120/5000 objects' },
    {
      name: 'deletes still being sent',
      total: 5000,
      remaining: 4800,
      sending: { sent: 3000, of: 5000 },
      want: 'deleting: 200/5000 objects; 3000/5000 deletes sent',
    },
  ])('$name', ({ total, remaining, sending, want }) => {
    const before: ApplicationStatus = { sync: { status: 'Synced' }, conditions: [] };
    const { status, message } = deletingStatus(before, total, remaining, new Date(NOW), sending);
    expect(message).toBe(want);
    expect(getCondition(status.conditions, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Deleting',
      message: want,
    });
    expect(getCondition(status.conditions, 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'Deleting',
      message: want,
    });
    expect(status.deletion).toEqual({ total, remaining });
    expect(status.sync).toEqual({ status: 'Synced' });
    expect(before.deletion).toBeUndefined();
  });
});
