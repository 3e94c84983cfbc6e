/**
 * A render worker (a worker_threads Worker started by pool.ts): runs one render at a time,
 * reading files, running helm or kustomize and parsing their output, inside a V8 heap of its
 * own with a hard size. Whatever one app's manifests do to memory happens here: a render that
 * needs more than the heap ends this worker, not the controller.
 *
 * Test hook (only with SLUICE_TEST_HOOKS=1): SLUICE_TEST_CRASH_RENDER=<app path> kills the
 * whole process (SIGKILL) when that path is rendered, as a crash that no isolation catches
 * would; the e2e tests use it to check the controller's crash-loop quarantine.
 */
import { parentPort } from 'node:worker_threads';
import { render } from './index.ts';
import { normalizeAppPath } from './locate.ts';
import type { RenderRequest } from './types.ts';
import { errorToData, type JobReply, type RenderJob } from './wire.ts';

function crashHook(req: RenderRequest): void {
  if (process.env['SLUICE_TEST_HOOKS'] !== '1') return;
  const path = process.env['SLUICE_TEST_CRASH_RENDER'];
  if (path !== undefined && path !== '' && normalizeAppPath(req.path) === normalizeAppPath(path))
    process.kill(process.pid, 'SIGKILL');
}

async function run(job: RenderJob): Promise<JobReply> {
  try {
    crashHook(job.req);
    return { id: job.id, ok: true, result: await render(job.req, job.opts) };
  } catch (err) {
    return { id: job.id, ok: false, error: errorToData(err) };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (job: RenderJob) => {
    void run(job).then((reply) => port.postMessage(reply));
  });
}
