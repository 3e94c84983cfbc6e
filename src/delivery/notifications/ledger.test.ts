/** Nothing is sent twice, history is not replayed, states fire again after they end. */
import { describe, expect, it } from 'vitest';
import type { Detection } from '../events/types.ts';
import { Ledger } from './ledger.ts';

const at = (m: number): string => new Date(Date.UTC(2026, 11, 1, 12, m)).toISOString();
const SINCE = at(0);

const failed = (m: number): Detection => ({
  type: 'pipelinerun-failed',
  key: at(m),
  time: at(m),
  reason: 'Failed',
  message: '',
});
const degraded = (m: number): Detection => ({
  type: 'health-degraded',
  key: 'Degraded',
  time: at(m),
  rearm: true,
  reason: 'Degraded',
  message: '',
});

describe('Ledger', () => {
  it('admits an occurrence once, also after a restart from its status', () => {
    const l = new Ledger(SINCE);
    expect(l.admit('PipelineRun/ns/a', failed(5))).toBe(true);
    expect(l.admit('PipelineRun/ns/a', failed(5))).toBe(false);
    const snap = l.snapshot();
    const restarted = new Ledger(snap.since, snap.notified);
    expect(restarted.admit('PipelineRun/ns/a', failed(5))).toBe(false);
    expect(restarted.admit('PipelineRun/ns/b', failed(6))).toBe(true);
  });

  it('a new occurrence on the same object replaces the old one', () => {
    const l = new Ledger(SINCE);
    const sync = (m: number): Detection => ({ ...failed(m), type: 'sync-failed' });
    expect(l.admit('Application/ns/a', sync(1))).toBe(true);
    expect(l.admit('Application/ns/a', sync(2))).toBe(true);
    expect(l.size).toBe(1);
    expect(l.admit('Application/ns/a', sync(2))).toBe(false);
  });

  it('does not replay what happened before the Notification existed', () => {
    const l = new Ledger(at(10));
    expect(l.admit('PipelineRun/ns/old', failed(9))).toBe(false);
    expect(l.admit('PipelineRun/ns/same', failed(10))).toBe(false);
    expect(l.admit('PipelineRun/ns/new', failed(11))).toBe(true);
  });

  it('a state fires once while it lasts and again after it ended', () => {
    const l = new Ledger(at(10));
    expect(l.admit('Application/ns/a', degraded(1))).toBe(true);
    expect(l.admit('Application/ns/a', degraded(1))).toBe(false);
    l.settle('Application/ns/a', ['sync-failed', 'health-degraded'], new Set(['sync-failed']));
    expect(l.admit('Application/ns/a', degraded(20))).toBe(true);
  });

  it('states present at first sight are primed, not sent; deleted objects forget them', () => {
    const l = new Ledger(SINCE);
    l.prime('Application/ns/a', degraded(1));
    l.prime('PipelineRun/ns/x', failed(1));
    expect(l.size).toBe(1);
    expect(l.admit('Application/ns/a', degraded(2))).toBe(false);
    l.forgetObject('Application/ns/a');
    expect(l.admit('Application/ns/a', degraded(3))).toBe(true);
  });

  it('stays bounded: the oldest occurrences go and the horizon follows them', () => {
    const l = new Ledger(SINCE, [], 3);
    l.admit('Application/ns/s', degraded(0));
    for (let m = 1; m <= 4; m++) expect(l.admit(`PipelineRun/ns/r${m}`, failed(m))).toBe(true);
    const snap = l.snapshot();
    expect(snap.notified.map((n) => n.object)).toEqual([
      'Application/ns/s',
      'PipelineRun/ns/r3',
      'PipelineRun/ns/r4',
    ]);
    expect(snap.since).toBe(at(2));
    expect(l.admit('PipelineRun/ns/r1', failed(1))).toBe(false);
    expect(l.admit('PipelineRun/ns/r2', failed(2))).toBe(false);
    expect(l.admit('PipelineRun/ns/r5', failed(5))).toBe(true);
  });

  it('tells when the status needs a write', () => {
    const l = new Ledger(SINCE);
    expect(l.dirty).toBe(false);
    l.admit('PipelineRun/ns/a', failed(1));
    expect(l.dirty).toBe(true);
    l.snapshot();
    expect(l.dirty).toBe(false);
    l.admit('PipelineRun/ns/a', failed(1));
    expect(l.dirty).toBe(false);
  });
});
