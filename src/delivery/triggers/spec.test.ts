import { describe, expect, it } from 'vitest';
import type { Trigger, TriggerSpec } from '../../api/trigger.ts';
import { pollIntervalMs, readyCondition, specProblem } from './spec.ts';

const trigger = (spec: Partial<TriggerSpec>, name = 'ci'): Trigger => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Trigger',
  metadata: { name, namespace: 'team' },
  spec: {
    repoURL: 'https://git.example.com/org/app.git',
    template: { spec: { pipelineRef: { name: 'build' } } },
    ...spec,
  },
});

describe('pollIntervalMs', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    [undefined, 180_000],
    ['', 180_000],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['0', 0],
    ['0s', 0],
    ['soon', undefined],
  ];
  it.each(cases)('%s', (text, want) => {
    expect(pollIntervalMs(text === undefined ? {} : { pollInterval: text })).toBe(want);
  });
});

describe('specProblem', () => {
  const cases: Array<[string, Trigger, string | undefined]> = [
    ['a good trigger', trigger({}), undefined],
    ['a bad repository URL', trigger({ repoURL: '/tmp/x' }), 'spec.repoURL: repo /tmp/x'],
    ['a bad glob', trigger({ branches: ['[main'] }), 'spec.branches: glob "[main": unclosed'],
    ['a bad path glob', trigger({ paths: ['src/[x'] }), 'spec.paths: glob'],
    ['a bad interval', trigger({ pollInterval: 'often' }), 'spec.pollInterval "often"'],
    ['too short an interval', trigger({ pollInterval: '10ms' }), 'spec.pollInterval: at least 1s'],
    ['no pipeline', trigger({ template: { spec: {} } }), 'spec.template.spec: name a Pipeline'],
    [
      'an unknown variable',
      trigger({
        template: {
          spec: { pipelineRef: { name: 'b' }, params: [{ name: 'x', value: '$(trigger.commit)' }] },
        },
      }),
      'spec.template: unknown variable $(trigger.commit)',
    ],
    ['a name too long for a label', trigger({}, 'n'.repeat(64)), 'the name is longer than 63'],
  ];
  it.each(cases)('%s', (_n, t, want) => {
    const p = specProblem(t);
    if (want === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(want);
  });
});

describe('readyCondition', () => {
  const now = new Date('2026-01-02T00:00:00Z');
  it('keeps the transition time while status and reason stay', () => {
    const old = [
      { type: 'Ready', status: 'True' as const, reason: 'Watching', lastTransitionTime: 'T0' },
    ];
    expect(readyCondition(old, 'Watching', 'm', now).lastTransitionTime).toBe('T0');
    const c = readyCondition(old, 'PipelineNotFound', 'Pipeline team/b not found', now);
    expect(c).toMatchObject({ status: 'False', reason: 'PipelineNotFound' });
    expect(c.lastTransitionTime).toBe(now.toISOString());
  });
});
