/** The CLI reads the run store `sluice controller` writes when neither is told where it is. */
import { describe, expect, it } from 'vitest';
import { defaultStoreUrl } from './open.ts';

describe('defaultStoreUrl', () => {
  it.each([
    [
      '$SLUICE_DATABASE_URL first',
      { SLUICE_DATABASE_URL: 'postgres://ci@db/sluice', SLUICE_WORK_DIR: '/w' },
      'postgres://ci@db/sluice',
    ],
    [
      "else runs.db in the controller's work dir",
      { SLUICE_WORK_DIR: '/var/lib/sluice' },
      '/var/lib/sluice/runs.db',
    ],
    ['else <cache>/controller/runs.db', { SLUICE_CACHE_DIR: '/c' }, '/c/controller/runs.db'],
    [
      'an empty variable counts as unset',
      { SLUICE_DATABASE_URL: '', SLUICE_WORK_DIR: '', SLUICE_CACHE_DIR: '/c' },
      '/c/controller/runs.db',
    ],
  ])('%s', (_what, env, want) => {
    expect(defaultStoreUrl(env)).toBe(want);
  });
});
