import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../api/trigger.ts';
import { buildRun, refKey, runName, unknownVariables, type CommitEvent } from './template.ts';

const SHA = '3f2a9c1b7d0e3f2a9c1b7d0e3f2a9c1b7d0e3f2a';

const trigger = (template: Trigger['spec']['template']): Trigger => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Trigger',
  metadata: { name: 'ci', namespace: 'team' },
  spec: { repoURL: 'https://bot:token@git.example.com/org/app.git', template },
});

const event: CommitEvent = {
  source: 'webhook',
  ref: 'refs/heads/feature/login',
  sha: SHA,
  previous: 'b'.repeat(40),
  author: 'Ada Lovelace <ada@example.com>',
  message: 'Add login\n\nWith a form.',
  changedFiles: 3,
};

describe('buildRun', () => {
  const t = trigger({
    metadata: { labels: { team: 'web' }, annotations: { note: '$(trigger.subject)' } },
    spec: {
      pipelineRef: { name: 'build' },
      status: 'Cancelled',
      params: [
        { name: 'revision', value: '$(trigger.sha)' },
        { name: 'short', value: 'img:$(trigger.shortSha)' },
        { name: 'branch', value: '$(trigger.branch)' },
        { name: 'tag', value: '$(trigger.tag)' },
        { name: 'repo', value: '$(trigger.repoURL)' },
        { name: 'author', value: '$(trigger.author)' },
        { name: 'message', value: '$(trigger.message)' },
        { name: 'files', value: '$(trigger.changedFiles)' },
        { name: 'ctx', value: '$(context.pipelineRun.name)' },
      ],
    },
  });
  const run = buildRun(t, event, { pending: false, now: new Date('2026-01-01T00:00:00.123Z') });

  it('fills the params from the commit; other references stay for the pipeline', () => {
    const params = Object.fromEntries((run.spec.params ?? []).map((p) => [p.name, p.value]));
    expect(params).toEqual({
      revision: SHA,
      short: 'img:3f2a9c1',
      branch: 'feature/login',
      tag: '',
      repo: 'https://git.example.com/org/app.git',
      author: 'Ada Lovelace <ada@example.com>',
      message: 'Add login\n\nWith a form.',
      files: '3',
      ctx: '$(context.pipelineRun.name)',
    });
  });

  it('labels the run with its trigger, commit, ref and source', () => {
    expect(run.metadata.labels).toEqual({
      team: 'web',
      'sluice.dev/trigger': 'ci',
      'sluice.dev/commit': SHA,
      'sluice.dev/trigger-ref': refKey(event.ref),
      'sluice.dev/trigger-source': 'webhook',
    });
    expect(run.metadata.annotations).toMatchObject({
      note: 'Add login',
      'sluice.dev/ref': 'refs/heads/feature/login',
      'sluice.dev/queued-at': '2026-01-01T00:00:00.123Z',
    });
  });

  it("drops the template's spec.status; a held run is PipelineRunPending", () => {
    expect(run.spec.status).toBeUndefined();
    const held = buildRun(t, event, { pending: true, now: new Date() });
    expect(held.spec.status).toBe('PipelineRunPending');
  });
});

describe('runName', () => {
  const t = trigger({ spec: { pipelineRef: { name: 'b' } } });
  it('is the same for one trigger, ref and commit', () => {
    expect(runName(t, event)).toBe(runName(t, { ...event, source: 'poll' } as CommitEvent));
    expect(runName(t, event)).toMatch(/^ci-3f2a9c1-[0-9a-f]{5}$/);
  });
  it('differs per ref and per request', () => {
    expect(runName(t, event)).not.toBe(runName(t, { ...event, ref: 'refs/tags/v1' }));
    expect(runName(t, event)).not.toBe(runName(t, { ...event, requestId: 'x1' }));
  });
  it('stays short for a long trigger name', () => {
    const long = { ...t, metadata: { ...t.metadata, name: 'a'.repeat(63) } };
    expect(runName(long, event).length).toBeLessThanOrEqual(44);
  });
});

describe('refKey', () => {
  it('is a valid label value, readable where it can be', () => {
    expect(refKey('refs/heads/main')).toMatch(/^main\.[0-9a-f]{10}$/);
    expect(refKey('refs/heads/feature/login')).toMatch(/^feature-login\.[0-9a-f]{10}$/);
    expect(refKey('refs/heads/--')).toMatch(/^[0-9a-f]{10}$/);
    expect(refKey(`refs/heads/${'x'.repeat(100)}`).length).toBeLessThanOrEqual(63);
  });
});

describe('unknownVariables', () => {
  it('names $(trigger.x) references that are not variables', () => {
    const t = trigger({
      spec: { params: [{ name: 'a', value: '$(trigger.sha) $(trigger.commit) $(params.x)' }] },
    });
    expect(unknownVariables(t)).toEqual(['trigger.commit']);
  });
});
