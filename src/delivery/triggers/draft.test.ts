import { describe, expect, it } from 'vitest';
import type { TriggerStatus } from '../../api/trigger.ts';
import { StatusDraft } from './draft.ts';

const NOW = new Date('2026-01-02T00:00:00Z');
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const status: TriggerStatus = {
  observedGeneration: 1,
  conditions: [{ type: 'Ready', status: 'True', reason: 'Watching', lastTransitionTime: 'T0' }],
  repository: 'git.example.com/org/app',
  filters: 'f1',
  refs: [
    {
      ref: 'refs/heads/main',
      commit: A,
      handledAt: 'T0',
      outcome: 'Started',
      lastRun: { name: 'ci-aaaaaaa-1', commit: A, startedAt: 'T0' },
    },
  ],
};

describe('StatusDraft', () => {
  it('gives back the status it started from when nothing happened', () => {
    expect(new StatusDraft(status).toStatus(1, NOW)).toEqual(status);
  });

  it('a skipped commit keeps the last run of its ref', () => {
    const d = new StatusDraft(status);
    d.handled('refs/heads/main', B, 'Skipped', NOW);
    expect(d.toStatus(1, NOW).refs?.[0]).toEqual({
      ref: 'refs/heads/main',
      commit: B,
      handledAt: NOW.toISOString(),
      outcome: 'Skipped',
      lastRun: { name: 'ci-aaaaaaa-1', commit: A, startedAt: 'T0' },
    });
  });

  it('a run by hand becomes the last run without moving the commit handled', () => {
    const d = new StatusDraft(status);
    d.ranByHand('refs/heads/main', { name: 'm', commit: B, startedAt: 'T1' });
    d.ranByHand('refs/heads/other', { name: 'x', commit: B, startedAt: 'T1' });
    const refs = d.toStatus(1, NOW).refs ?? [];
    expect(refs).toHaveLength(1);
    expect(refs[0]).toMatchObject({ commit: A, lastRun: { name: 'm' } });
  });

  it('keeps the first failure of a reconcile', () => {
    const d = new StatusDraft(status);
    d.fail('RepoUnreachable', 'repo x: cannot fetch');
    d.fail('PipelineNotFound', 'Pipeline t/b not found');
    d.ok('Watching', 'all is well');
    const c = d.toStatus(2, NOW).conditions?.[0];
    expect(c).toMatchObject({ status: 'False', reason: 'RepoUnreachable' });
    expect(d.failed).toBe(true);
  });

  it('has no refs before the first check', () => {
    expect(new StatusDraft(undefined).toStatus(1, NOW).refs).toBeUndefined();
  });
});
