import { describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../api/pipeline.ts';
import type { Trigger } from '../../api/trigger.ts';
import { program } from '../main.ts';
import { refOption } from './run.ts';
import { renderTrigger, renderTriggers, triggerDetail, triggerRow } from './view.ts';

const NOW = new Date('2026-01-01T00:01:00Z');
const SHA = '3f2a9c1b7d0e3f2a9c1b7d0e3f2a9c1b7d0e3f2a';

const trigger: Trigger = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Trigger',
  metadata: { name: 'ci', namespace: 'team', managedFields: [{}] },
  spec: {
    repoURL: 'https://bot:token@git.example.com/org/app.git',
    branches: ['main'],
    paths: ['src/**'],
    concurrencyPolicy: 'Queue',
    pollInterval: '0',
    template: { spec: { pipelineRef: { name: 'build' } } },
  },
  status: {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Watching', message: 'watching 1 refs' }],
    refs: [
      {
        ref: 'refs/heads/main',
        commit: SHA,
        handledAt: '2026-01-01T00:00:30Z',
        outcome: 'Started',
        lastRun: { name: 'ci-3f2a9c1-aaaaa', commit: SHA, startedAt: '2026-01-01T00:00:30Z' },
      },
    ],
    lastEvent: {
      source: 'webhook',
      ref: 'refs/heads/main',
      commit: SHA,
      at: '2026-01-01T00:00:30Z',
      outcome: 'Started',
      run: 'ci-3f2a9c1-aaaaa',
    },
  },
};

const run = (name: string, at: string, spec: PipelineRun['spec'] = {}): PipelineRun => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'PipelineRun',
  metadata: {
    name,
    namespace: 'team',
    creationTimestamp: at,
    labels: { 'sluice.dev/commit': SHA, 'sluice.dev/trigger-source': 'webhook' },
    annotations: { 'sluice.dev/ref': 'refs/heads/main', 'sluice.dev/queued-at': at },
  },
  spec,
});

describe('trigger views', () => {
  it('a list row hides credentials and says what the trigger watches', () => {
    const row = triggerRow(trigger);
    expect(row).toMatchObject({
      repo: 'https://git.example.com/org/app.git',
      refs: 'branches main',
      policy: 'Queue',
      ready: 'True',
      reason: 'Watching',
    });
    const text = renderTriggers([row], false, NOW);
    expect(text).toContain('main@3f2a9c1 Started 30s ago');
  });

  it('get shows refs and runs, newest first, held runs with their place in the queue', () => {
    const d = triggerDetail(
      trigger,
      [
        run('first', '2026-01-01T00:00:10Z'),
        run('second', '2026-01-01T00:00:20Z', { status: 'PipelineRunPending' }),
        run('third', '2026-01-01T00:00:30Z', { status: 'PipelineRunPending' }),
      ],
      NOW,
    );
    expect(d.trigger.metadata.managedFields).toBeUndefined();
    expect(d.runs.map((r) => [r.name, r.queuePosition])).toEqual([
      ['third', 2],
      ['second', 1],
      ['first', undefined],
    ]);
    const text = renderTrigger(d, NOW);
    expect(text).toContain('webhook only');
    expect(text).toContain('(#1 in queue)');
    expect(text).toMatch(/refs\/heads\/main\s+3f2a9c1\s+Started\s+30s ago\s+ci-3f2a9c1-aaaaa/);
  });
});

describe('sluice trigger', () => {
  it('list and get take -o json|yaml', () => {
    const trig = program().commands.find((c) => c.name() === 'trigger');
    for (const name of ['list', 'get']) {
      const cmd = trig?.commands.find((c) => c.name() === name);
      const out = cmd?.options.find((o) => o.long === '--output');
      expect(out?.argChoices).toEqual(expect.arrayContaining(['json', 'yaml']));
    }
  });

  it('run takes a branch or a tag, not both', () => {
    expect(refOption({ branch: 'main' })).toBe('refs/heads/main');
    expect(refOption({ tag: 'v1' })).toBe('refs/tags/v1');
    expect(refOption({})).toBeUndefined();
    expect(() => refOption({ branch: 'a', tag: 'b' })).toThrow('not both');
  });
});
