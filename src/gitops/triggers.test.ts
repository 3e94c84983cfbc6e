import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import { refreshFor } from './triggers.ts';

const app = (
  patch: {
    generation?: number;
    refresh?: string;
    operation?: Application['operation'];
    status?: Application['status'];
  } = {},
): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: {
    name: 'a',
    namespace: 'n',
    generation: patch.generation ?? 1,
    ...(patch.refresh ? { annotations: { 'sluice.dev/refresh': patch.refresh } } : {}),
  },
  spec: { source: { repoURL: 'file:///r' }, destination: {} },
  ...(patch.operation ? { operation: patch.operation } : {}),
  ...(patch.status ? { status: patch.status } : {}),
});

describe('refreshFor: which app events reconcile, and how fresh the source must be', () => {
  it('new apps and spec changes fetch unless fetched a moment ago', () => {
    expect(refreshFor(app(), undefined)).toBe('ifStale');
    expect(refreshFor(app({ generation: 2 }), app())).toBe('ifStale');
  });

  it('a sync request or the refresh annotation fetches now', () => {
    expect(refreshFor(app({ operation: { sync: {} } }), app())).toBe('always');
    expect(refreshFor(app({ refresh: 't2' }), app({ refresh: 't1' }))).toBe('always');
    expect(refreshFor(app({ refresh: 't1' }), app())).toBe('always');
  });

  it('the controller acknowledging a refresh (removing the annotation) causes nothing', () => {
    expect(refreshFor(app(), app({ refresh: 't1' }))).toBeUndefined();
  });

  it('a new quarantine-release value reconciles (a quarantined app gets its retry at once)', () => {
    const released = (v: string): Application => {
      const a = app();
      a.metadata.annotations = { 'sluice.dev/quarantine-release': v };
      return a;
    };
    expect(refreshFor(released('2'), released('1'))).toBe('ifStale');
    expect(refreshFor(released('1'), released('1'))).toBeUndefined();
  });

  it('status-only updates (the controller’s own writes) cause nothing', () => {
    expect(refreshFor(app({ status: { sync: { status: 'Synced' } } }), app())).toBeUndefined();
  });
});
