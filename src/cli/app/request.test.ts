import { describe, expect, it } from 'vitest';
import type { Application, OperationState } from '../../api/application.ts';
import { isOurOperation, operationLine, ourOperationEnded, type SyncAsk } from './request.ts';

const ask: SyncAsk = {
  startedBefore: '2026-01-01T00:00:00Z',
  requestedAt: '2026-01-01T00:05:00.000Z',
  username: 'alice',
};
const op = (o: Partial<OperationState>): OperationState => ({
  phase: 'Succeeded',
  startedAt: '2026-01-01T00:05:01Z',
  initiatedBy: 'alice',
  ...o,
});
const app = (state?: OperationState, requestedAt?: string): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'n' },
  spec: { source: { repoURL: 'file:///r' }, destination: {} },
  ...(requestedAt ? { operation: { sync: {}, requestedAt } } : {}),
  ...(state ? { status: { operationState: state } } : {}),
});

describe('isOurOperation: never take an older or someone else’s operation for ours', () => {
  it.each<[string, OperationState | undefined, boolean]>([
    ['none yet', undefined, false],
    [
      'the previous one (failed before we asked)',
      op({ phase: 'Failed', startedAt: ask.startedBefore }),
      false,
    ],
    ['an automated sync that started meanwhile', op({ initiatedBy: 'automated' }), false],
    ['one started long before we asked', op({ startedAt: '2026-01-01T00:02:00Z' }), false],
    ['ours', op({}), true],
    ['ours, the controller clock 10s behind', op({ startedAt: '2026-01-01T00:04:50Z' }), true],
  ])('%s', (_case, state, ours) => {
    expect(isOurOperation(state, ask)).toBe(ours);
  });

  it('ended only once ours is over and our request was cleared', () => {
    expect(ourOperationEnded(app(op({ phase: 'Running' })), ask)).toBe(false);
    expect(ourOperationEnded(app(op({}), ask.requestedAt), ask)).toBe(false);
    expect(ourOperationEnded(app(op({})), ask)).toBe(true);
    expect(ourOperationEnded(app(op({ phase: 'Failed', startedAt: ask.startedBefore })), ask)).toBe(
      false,
    );
  });

  it('says what it waits on before ours starts, not the old result', () => {
    const old = op({ phase: 'Failed', startedAt: ask.startedBefore, message: 'old error' });
    expect(operationLine(app(old, ask.requestedAt), ask)).toBe(
      'waiting for the controller to start the sync',
    );
    expect(
      operationLine(app(op({ phase: 'Running', initiatedBy: 'automated' }), ask.requestedAt), ask),
    ).toContain('waiting for the operation in progress (automated');
    expect(operationLine(app(op({ phase: 'Running', message: 'wave 1' })), ask)).toBe(
      'Running: wave 1',
    );
  });
});
