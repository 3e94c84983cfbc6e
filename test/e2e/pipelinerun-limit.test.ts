/**
 * The per-namespace run limit under a burst: PipelineRuns created all at once reach the
 * controller's cache a few at a time, and those that arrive first may sort last (same second,
 * later name). However they arrive, never more than the limit run at once: their
 * startTime..completionTime intervals (millisecond timestamps) never overlap more than that.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PipelineRun } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import { Pipelines } from '../../src/pipelines/controllers.ts';
import { silentLogger } from '../../src/util/log.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { BUSYBOX, ensureCrds, onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('prlimit');
const API = 'sluice.dev/v1alpha1';

async function startPipelines(k: Kube, maxConcurrentRuns: number): Promise<void> {
  await ensureCrds(k);
  const p = new Pipelines({ kube: k, log: silentLogger, namespaces: [ns()], maxConcurrentRuns });
  await p.start();
  p.startLeading(new AbortController().signal);
  onTestFinished(() => p.stop());
}

const run = (name: string): PipelineRun => ({
  apiVersion: API,
  kind: 'PipelineRun',
  metadata: { name, namespace: ns() },
  spec: {
    taskRunTemplate: { podTemplate: onRealNode },
    pipelineSpec: {
      tasks: [
        { name: 't', taskSpec: { steps: [{ name: 's', image: BUSYBOX, script: 'sleep 1' }] } },
      ],
    },
  },
});

/** The most intervals [start, end) open at any one moment. */
function mostAtOnce(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d!));
  return most;
}

describe('the run limit', () => {
  it('holds under a burst of runs created at once, whatever order the cache sees them in', async () => {
    const k = await kube();
    await startPipelines(k, 2);
    // Last name first: the runs the cache sees first sort last among same-second runs.
    const names = ['r5', 'r4', 'r3', 'r2', 'r1', 'r0'];
    await Promise.all(names.map((n) => k.create(run(n))));
    const runs = await eventually(
      'all six runs finished',
      async () => {
        const list = await k.list<PipelineRun>(API, 'PipelineRun', { namespace: ns() });
        const done = list.items.filter((r) => r.status?.completionTime);
        return done.length === names.length ? done : undefined;
      },
      120_000,
    );
    const status = runs.map((r) => r.status?.conditions?.find((c) => c.type === 'Succeeded'));
    expect(status.map((c) => c?.status)).toEqual(names.map(() => 'True'));
    const intervals = runs.map(
      (r) =>
        [
          Date.parse(r.status?.startTime ?? ''),
          Date.parse(r.status?.completionTime ?? ''),
        ] as const,
    );
    expect(mostAtOnce(intervals)).toBe(2);
  });
});
