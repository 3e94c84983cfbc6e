import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../../api/application.ts';
import { parseCascade, progressLine } from './delete.ts';

const app = (conditions: NonNullable<ApplicationStatus['conditions']>): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'n' },
  spec: { source: { repoURL: 'file:///r' }, destination: {} },
  status: { conditions },
});

describe('app delete', () => {
  it.each<[string, string | undefined, boolean]>([
    ['--cascade', undefined, true],
    ['--cascade=true', 'true', true],
    ['--cascade=false', 'false', false],
  ])('%s', (_flag, value, cascade) => {
    expect(parseCascade(value)).toBe(cascade);
  });

  it('refuses anything else (exit 2)', () => {
    expect(() => parseCascade('guestbook')).toThrow(/--cascade takes true or false/);
  });

  it.each<[string, NonNullable<ApplicationStatus['conditions']>, string]>([
    ['nothing said yet', [], 'waiting for the controller to prune'],
    [
      'a healthy app about to be pruned',
      [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'synced and healthy' }],
      'waiting for the controller to prune',
    ],
    [
      'progress while reconciling',
      [
        { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'synced and healthy' },
        {
          type: 'Reconciling',
          status: 'True',
          reason: 'Deleting',
          message: 'deleting: 3120/5000 objects',
        },
      ],
      'Deleting: deleting: 3120/5000 objects',
    ],
    [
      'a failure',
      [
        {
          type: 'Ready',
          status: 'False',
          reason: 'PruneFailed',
          message: 'ConfigMap/n/a: forbidden',
        },
      ],
      'PruneFailed: ConfigMap/n/a: forbidden',
    ],
  ])('prints %s', (_case, conditions, line) => {
    expect(progressLine(app(conditions))).toBe(line);
  });
});
