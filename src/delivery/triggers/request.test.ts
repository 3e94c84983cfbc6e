import { describe, expect, it } from 'vitest';
import { mergeTriggerFlags } from './reconcile.ts';
import { parseRequest } from './request.ts';

const withAnnotation = (value: string | undefined) => ({
  metadata: {
    name: 'ci',
    namespace: 'team',
    ...(value === undefined ? {} : { annotations: { 'sluice.dev/run-request': value } }),
  },
});

describe('parseRequest', () => {
  const cases: Array<[string, string | undefined, ReturnType<typeof parseRequest>]> = [
    ['no request', undefined, undefined],
    [
      'a revision',
      '{"id":"r1","revision":"main","by":"ada"}',
      { ok: true, request: { id: 'r1', revision: 'main', by: 'ada' } },
    ],
    [
      'a SHA on a branch',
      '{"id":"r2","revision":"3f2a9c1","ref":"refs/heads/dev"}',
      { ok: true, request: { id: 'r2', revision: '3f2a9c1', ref: 'refs/heads/dev' } },
    ],
    [
      'not JSON',
      'run it',
      { ok: false, id: 'run it', error: 'sluice.dev/run-request is not a JSON object' },
    ],
    [
      'no revision',
      '{"id":"r3"}',
      { ok: false, id: 'r3', error: 'a request needs an id and a revision' },
    ],
    [
      'a ref that is not a branch or tag',
      '{"id":"r4","revision":"x","ref":"main"}',
      { ok: false, id: 'r4', error: 'ref "main" must be refs/heads/<branch> or refs/tags/<tag>' },
    ],
  ];
  it.each(cases)('%s', (_n, value, want) => {
    expect(parseRequest(withAnnotation(value))).toEqual(want);
  });
});

describe('mergeTriggerFlags', () => {
  it('checks if either asks; a webhook names the source', () => {
    expect(mergeTriggerFlags({}, { check: true, source: 'webhook' })).toEqual({
      check: true,
      source: 'webhook',
    });
    expect(mergeTriggerFlags({ check: true, source: 'webhook' }, {})).toEqual({
      check: true,
      source: 'webhook',
    });
    expect(mergeTriggerFlags({}, {})).toEqual({});
  });
});
