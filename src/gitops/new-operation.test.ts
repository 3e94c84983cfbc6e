/** Who an operation says started it: the request's user, or "automated" when nobody asked. */
import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import { newOperation } from './operation.ts';

const app = (operation?: Application['operation']): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'n' },
  spec: { source: { repoURL: 'file:///r' }, destination: {} },
  ...(operation ? { operation } : {}),
});

describe('newOperation: initiatedBy', () => {
  it.each<[string, Application['operation'] | undefined, string, boolean]>([
    ['no request: automated sync', undefined, 'automated', false],
    ['a request from the CLI', { sync: {}, initiatedBy: { username: 'alice' } }, 'alice', true],
    ['a request without a name', { sync: {} }, 'user', true],
    ['an operation that asks no sync', { initiatedBy: { username: 'alice' } }, 'automated', false],
  ])('%s', (_case, operation, by, manual) => {
    const op = newOperation(app(operation), undefined, 'a'.repeat(40), '2026-01-01T00:00:00Z');
    expect(op.initiatedBy).toBe(by);
    expect(op.progress?.manual).toBe(manual);
    expect(op.startedAt).toBe('2026-01-01T00:00:00Z');
  });
});
