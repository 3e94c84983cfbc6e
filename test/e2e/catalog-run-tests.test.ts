/**
 * catalog/run-tests on the real node: a script in a given image, in a directory of the source
 * workspace, passes; a failing script fails the TaskRun with its exit code.
 */
import { describe, expect, it } from 'vitest';
import { kube, useNamespace } from './harness.ts';
import { applyCatalogTask, runCatalogTask, startTaskRuns, timing } from './catalog-harness.ts';
import { BUSYBOX } from './taskrun-harness.ts';

const ns = useNamespace('cat-tests');

/** A ConfigMap holding the "sources": app/VERSION and app/test.sh. */
async function sources(): Promise<void> {
  const k = await kube();
  await k.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'src', namespace: ns() },
    data: { VERSION: '1.2.3\n', 'test.sh': 'grep -q 1.2.3 VERSION && echo "tests passed"\n' },
  });
}

const workspaces = [
  {
    name: 'source',
    configMap: {
      name: 'src',
      items: [
        { key: 'VERSION', path: 'app/VERSION' },
        { key: 'test.sh', path: 'app/test.sh' },
      ],
    },
  },
];

describe('catalog/run-tests', () => {
  it('runs the script in workingDir and passes, or fails with its exit code', async () => {
    const k = await kube();
    await startTaskRuns(k, ns());
    await applyCatalogTask(k, ns(), 'run-tests');
    await sources();
    const [pass, fail] = await Promise.all([
      runCatalogTask(k, ns(), 'pass', 'run-tests', {
        params: [
          { name: 'image', value: BUSYBOX },
          { name: 'workingDir', value: 'app' },
          { name: 'script', value: 'sh test.sh  # relative: it runs in app/' },
        ],
        workspaces,
      }),
      runCatalogTask(k, ns(), 'fail', 'run-tests', {
        params: [
          { name: 'image', value: BUSYBOX },
          { name: 'script', value: '#!/bin/sh\necho "2 tests failed" >&2\nexit 3' },
        ],
        workspaces,
      }),
    ]);
    expect(pass.ok, pass.message).toBe(true);
    expect(fail.ok).toBe(false);
    expect(fail.message).toBe('step "test" exited with code 3');
    timing('run-tests (pass)', pass);
  });
});
