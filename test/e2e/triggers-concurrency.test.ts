/**
 * A Trigger's concurrency policy, per trigger and branch, against the dev cluster: CancelPrevious
 * cancels the unfinished run of the branch (`spec.status: Cancelled`, as `sluice pipeline cancel`)
 * and leaves other branches alone; Queue holds later runs (`PipelineRunPending`) and lets them go
 * one at a time, oldest first, as the runs before them finish — first with runs marked finished
 * as the pipeline controller would, then with real runs on the real node.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import { createRepo } from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { finished, startPipelines } from './pipeline-harness.ts';
import { onRealNode } from './taskrun-harness.ts';
import {
  createPipeline,
  finish,
  handled,
  runsFor,
  runsOf,
  startTriggers,
  trigger,
} from './triggers-harness.ts';

const ns = useNamespace('trigc');
const MAIN = 'refs/heads/main';

/** The one run of `sha`, once it exists. */
async function runOf(k: Kube, sha: string): Promise<PipelineRun> {
  const [run] = await eventually(`the run of ${sha.slice(0, 7)}`, async () => {
    const r = await runsFor(k, ns(), 'ci', sha);
    return r.length === 1 ? r : undefined;
  });
  return run!;
}

const specStatus = async (k: Kube, run: PipelineRun): Promise<string | undefined> =>
  (await k.get<PipelineRun>(run.apiVersion, run.kind, ns(), run.metadata.name))?.spec.status;

describe('Trigger concurrency', () => {
  it('CancelPrevious cancels the unfinished run of the same branch only', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    await startTriggers(k, ns());
    await k.create(
      trigger(ns(), 'ci', repo.url, { pollInterval: '1s', concurrencyPolicy: 'CancelPrevious' }),
    );
    await handled(k, ns(), 'ci', MAIN, first);

    const a = await runOf(k, await repo.commit({ 'src/app.ts': 'a\n' }, 'a'));
    await repo.git('checkout', '-q', '-b', 'dev');
    const other = await runOf(k, await repo.commit({ 'src/app.ts': 'dev\n' }, 'dev'));
    await repo.git('checkout', '-q', 'main');
    const b = await runOf(k, await repo.commit({ 'src/app.ts': 'b\n' }, 'b'));

    await eventually('a cancelled', async () =>
      (await specStatus(k, a)) === 'Cancelled' ? true : undefined,
    );
    expect(await specStatus(k, b)).toBeUndefined();
    expect(await specStatus(k, other)).toBeUndefined();
  });

  it('Queue runs one at a time per branch, oldest first', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    await startTriggers(k, ns());
    await k.create(
      trigger(ns(), 'ci', repo.url, { pollInterval: '1s', concurrencyPolicy: 'Queue' }),
    );
    await handled(k, ns(), 'ci', MAIN, first);

    const a = await runOf(k, await repo.commit({ 'src/app.ts': 'a\n' }, 'a'));
    const b = await runOf(k, await repo.commit({ 'src/app.ts': 'b\n' }, 'b'));
    const c = await runOf(k, await repo.commit({ 'src/app.ts': 'c\n' }, 'c'));
    expect(a.spec.status).toBeUndefined();
    expect(b.spec.status).toBe('PipelineRunPending');
    expect(c.spec.status).toBe('PipelineRunPending');

    await finish(k, a);
    await eventually('b let go', async () =>
      (await specStatus(k, b)) === undefined ? true : undefined,
    );
    expect(await specStatus(k, c)).toBe('PipelineRunPending');

    await finish(k, (await k.get<PipelineRun>(b.apiVersion, b.kind, ns(), b.metadata.name))!);
    await eventually('c let go', async () =>
      (await specStatus(k, c)) === undefined ? true : undefined,
    );
    expect(await runsOf(k, ns(), 'ci')).toHaveLength(3);
  });

  it('Queue with real runs on the real node: each starts when the one before it has finished', async () => {
    const k = await kube();
    const repo = await createRepo({ 'src/app.ts': 'v1\n' });
    const first = await repo.git('rev-parse', 'HEAD');
    await createPipeline(k, ns());
    await startPipelines(k, ns());
    await startTriggers(k, ns());
    const t = trigger(ns(), 'ci', repo.url, { pollInterval: '1s', concurrencyPolicy: 'Queue' });
    t.spec.template.spec.taskRunTemplate = { podTemplate: onRealNode };
    t.spec.template.spec.params = [{ name: 'revision', value: '$(trigger.sha)' }];
    await k.create(t);
    await handled(k, ns(), 'ci', MAIN, first);

    const a = await runOf(k, await repo.commit({ 'src/app.ts': 'a\n' }, 'a'));
    const b = await runOf(k, await repo.commit({ 'src/app.ts': 'b\n' }, 'b'));
    expect(b.spec.status).toBe('PipelineRunPending');
    const doneA = await finished(k, ns(), a.metadata.name);
    const doneB = await finished(k, ns(), b.metadata.name);
    expect(doneA.status?.conditions?.[0]?.status).toBe('True');
    expect(doneB.status?.conditions?.[0]?.status).toBe('True');
    // b started only once a had finished.
    expect(Date.parse(doneB.status?.startTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(doneA.status?.completionTime ?? ''),
    );
  });
});
