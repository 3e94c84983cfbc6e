import { describe, expect, it } from 'vitest';
import { DevClusterError } from './devcluster/errors.ts';
import { errorMessage, SluiceError } from './errors.ts';

describe('errors', () => {
  it('prints the hint under the message', () => {
    const e = new SluiceError('X', 'Deployment/default/web: dry-run failed', {
      hint: 'fix the manifest',
    });
    expect(errorMessage(e)).toBe(
      'Deployment/default/web: dry-run failed\n  hint: fix the manifest',
    );
  });

  it('maps "not running" to the not-found exit code', () => {
    expect(new DevClusterError('NotRunning', 'x').exitCode).toBe(3);
    expect(new DevClusterError('BuildFailed', 'x').exitCode).toBe(1);
  });
});
