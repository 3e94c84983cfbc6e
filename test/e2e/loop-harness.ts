/**
 * The loop of issue 12 on the run's cluster: the rig of src/demo/loop.ts (repositories served
 * to the real node, images, Prometheus and traffic for prod's analysis, the catalog Tasks and the
 * loop's resources) in the test's namespace, and `sluice controller` as its own process with
 * everything on (Applications, Rollouts, pipelines, Triggers, Promotions, notifications, DORA)
 * and a SQLite run store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopRig, type LoopRig } from '../../src/demo/loop.ts';
import type { Kube } from '../../src/kube/api.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { clusterState } from './catalog-harness.ts';
import { kubeconfigPath } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

export interface Loop extends LoopRig {
  /** The run store the controller writes (`--database-url`). */
  databaseUrl: string;
  /** Where the controller listens (/metrics, /api/webhook, /api/dora). */
  controllerURL: string;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** `sluice controller` with everything the loop needs, as its own process. */
function controller(namespace: string, workDir: string, databaseUrl: string, listen: string) {
  return spawn(
    process.execPath,
    [
      'bin/sluice.js',
      'controller',
      '--kubeconfig',
      kubeconfigPath(),
      '--namespace',
      namespace,
      '--app-namespace',
      namespace,
      // Image automation watches every namespace: not this test's business.
      '--no-image-automation',
      '--database-url',
      databaseUrl,
      '--work-dir',
      workDir,
      '--poll-interval',
      '1s',
      '--listen',
      listen,
      '--log-level',
      process.env['SLUICE_TEST_LOG'] ? 'debug' : 'warn',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
  );
}

/** The loop in `namespace`; `stop()` ends what it started (the namespace stays). */
export async function startLoop(k: Kube, namespace: string): Promise<Loop> {
  await ensureCrds(k);
  const state = await clusterState();
  const node = state.realNode?.network;
  if (!node || !state.registry) throw new Error('the loop needs a cluster with a real node');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-loop-'));
  const rig = await startLoopRig({
    kube: k,
    namespace,
    dir,
    registry: state.registry,
    hostIp: node.hostIp,
    nodeIp: node.nodeIp,
    progress: silentProgress,
  });
  const databaseUrl = join(dir, 'runs.db');
  const port = await freePort();
  const c: ChildProcess = controller(
    namespace,
    join(dir, 'controller'),
    databaseUrl,
    `127.0.0.1:${port}`,
  );
  return {
    ...rig,
    databaseUrl,
    controllerURL: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
      await rig.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
