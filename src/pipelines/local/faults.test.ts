/**
 * The local executor under faults and fan-out, with real processes: a 3 × 2 matrix, retries
 * (three attempts), a task past its timeout (its process group killed, finally runs), the run's
 * tasks timeout, Ctrl-C (Tekton's CancelledRunFinally, then Cancelled) and the concurrency bound.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLocal } from './index.ts';
import {
  cleanWorkDirs,
  cond,
  gone,
  IMAGE,
  inline,
  logs,
  param,
  run,
  sh,
  workDir,
} from './testing.ts';

cleanWorkDirs();

describe('faults and fan-out', () => {
  it('a 3 × 2 matrix runs six TaskRuns; a later task reads their results as one array', async () => {
    const r = await run({
      documents: [
        inline('mx', [
          {
            name: 'build',
            matrix: {
              params: [
                { name: 'os', value: ['linux', 'mac', 'windows'] },
                { name: 'arch', value: ['amd64', 'arm64'] },
              ],
            },
            taskSpec: {
              params: [{ name: 'os' }, { name: 'arch' }],
              results: [{ name: 'out' }],
              steps: [
                {
                  name: 'b',
                  image: IMAGE,
                  script: 'printf "$(params.os)-$(params.arch)" > $(results.out.path)',
                },
              ],
            },
          },
          {
            name: 'collect',
            params: [{ name: 'all', value: '$(tasks.build.results.out[*])' }],
            taskSpec: {
              params: [{ name: 'all', type: 'array' }],
              steps: [
                {
                  name: 'c',
                  image: IMAGE,
                  script: '#!/bin/sh\nfor x in "$@"; do echo "$x"; done',
                  args: ['$(params.all[*])'],
                },
              ],
            },
          },
        ]),
      ],
    });
    expect(cond(r.run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    const builds = r.byTask('build');
    expect(builds.map((t) => t.metadata.name).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `mx-build-${i}`),
    );
    const combos = builds
      .map((t) => `${param(t, 'os') as string}/${param(t, 'arch') as string}`)
      .sort();
    expect(combos).toEqual([
      'linux/amd64',
      'linux/arm64',
      'mac/amd64',
      'mac/arm64',
      'windows/amd64',
      'windows/arm64',
    ]);
    expect([...logs(r.events, 'collect')].sort()).toEqual(combos.map((c) => c.replace('/', '-')));
  });

  it('retries: 2 — three attempts: one that passes on the third, one that always fails', async () => {
    const flaky =
      'n=$(cat $(workspaces.shared.path)/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > $(workspaces.shared.path)/n; [ $n -ge 3 ]';
    const ws = { workspaces: [{ name: 'shared' }] };
    const r = await run({
      documents: [
        inline('rt', [
          {
            name: 'flaky',
            retries: 2,
            workspaces: [{ name: 'shared' }],
            taskSpec: { ...ws, steps: [{ name: 's', image: IMAGE, script: flaky }] },
          },
          sh('broken', 'echo try $(context.task.retry-count); exit 3', { retries: 2 }),
        ]),
      ],
    });
    expect(r.byTask('flaky').map((t) => [t.metadata.name, cond(t)?.status])).toEqual([
      ['rt-flaky', 'False'],
      ['rt-flaky-r1', 'False'],
      ['rt-flaky-r2', 'True'],
    ]);
    const broken = r.byTask('broken');
    expect(broken.map((t) => cond(t)?.message)).toEqual(
      Array(3).fill('step "run" exited with code 3'),
    );
    expect(logs(r.events, 'broken')).toEqual(['try 0', 'try 1', 'try 2']);
    expect(cond(r.run)).toMatchObject({ status: 'False', reason: 'Failed' });
  });

  it('a task past its timeout: its process group is killed, dependents are skipped, finally runs', async () => {
    const d = await workDir();
    const pidFile = join(d, 'pid');
    const t0 = Date.now();
    const r = await run({
      workDir: d,
      documents: [
        inline(
          'to',
          [
            sh('slow', `sleep 30 & echo $! > ${pidFile}; wait`, { timeout: '1s' }),
            sh('after', 'true', { runAfter: ['slow'] }),
          ],
          [
            {
              ...sh('cleanup', 'echo slow was $(params.s)'),
              params: [{ name: 's', value: '$(tasks.slow.status)' }],
              taskSpec: {
                params: [{ name: 's' }],
                steps: [{ name: 'run', image: IMAGE, script: 'echo slow was $(params.s)' }],
              },
            },
          ],
        ),
      ],
    });
    expect(Date.now() - t0).toBeLessThan(8000);
    const [slow] = r.byTask('slow');
    expect(cond(slow)).toMatchObject({
      status: 'False',
      reason: 'TaskRunTimeout',
      message: 'TaskRun "to-slow" failed to finish within "1s"',
    });
    expect(slow?.status?.steps?.[0]).toMatchObject({ terminationReason: 'TaskRunTimeout' });
    expect(r.run.status?.skippedTasks?.map((s) => s.name)).toEqual(['after']);
    expect(logs(r.events, 'cleanup')).toEqual(['slow was Failed']);
    expect(cond(r.run)).toMatchObject({ status: 'False', reason: 'Failed' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await gone(pid)).toBe(true);
  });

  it("the run's tasks timeout: the running task is cancelled, the rest skipped, finally runs", async () => {
    const doc = inline(
      'tt',
      // the task's own limit is longer: the run's clock is what stops it
      [sh('slow', 'sleep 30', { timeout: '20s' }), sh('after', 'true', { runAfter: ['slow'] })],
      [sh('fin', 'echo fin')],
    );
    doc.spec.timeouts = { pipeline: '1m', tasks: '1s' };
    const t0 = Date.now();
    const r = await run({ documents: [doc] });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(cond(r.run)).toMatchObject({
      status: 'False',
      reason: 'PipelineRunTimeout',
      message: 'PipelineRun "tt" failed due to tasks failed to finish within "1s"',
    });
    expect(cond(r.byTask('slow')[0])).toMatchObject({
      reason: 'TaskRunCancelled',
      message:
        'TaskRun "tt-slow" was cancelled. TaskRun cancelled as the PipelineRun it belongs to has timed out.',
    });
    expect(r.run.status?.skippedTasks?.map((t) => t.name)).toEqual(['after']);
    expect(logs(r.events, 'fin')).toEqual(['fin']);
  });

  it('Ctrl-C cancels the running task and runs finally', async () => {
    const ctrlC = new AbortController();
    const t0 = Date.now();
    const r = await run(
      {
        documents: [
          inline(
            'cc',
            [sh('long', 'sleep 30'), sh('next', 'true', { runAfter: ['long'] })],
            [sh('bye', 'echo bye')],
          ),
        ],
        signal: ctrlC.signal,
      },
      (e) => e.type === 'step-started' && e.task === 'long' && ctrlC.abort(),
    );
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(cond(r.run)).toMatchObject({ status: 'False', reason: 'Cancelled' });
    expect(cond(r.byTask('long')[0])).toMatchObject({
      status: 'False',
      reason: 'TaskRunCancelled',
    });
    expect(r.run.status?.skippedTasks).toEqual([
      { name: 'next', reason: 'PipelineRun was stopping' },
    ]);
    expect(logs(r.events, 'bye')).toEqual(['bye']);
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'notice', code: 'Cancelling' }),
    );
  });

  it('a second Ctrl-C (forceSignal) stops finally too', async () => {
    const ctrlC = new AbortController();
    const again = new AbortController();
    const r = await run(
      {
        documents: [inline('cf', [sh('a', 'sleep 30')], [sh('fin', 'sleep 30')])],
        signal: ctrlC.signal,
        forceSignal: again.signal,
      },
      (e) => {
        if (e.type !== 'step-started') return;
        if (e.task === 'a') ctrlC.abort();
        if (e.task === 'fin') again.abort();
      },
    );
    expect(cond(r.run)).toMatchObject({ status: 'False', reason: 'Cancelled' });
    expect(r.taskRuns.map((t) => [t.metadata.name, cond(t)?.reason])).toEqual([
      ['cf-a', 'TaskRunCancelled'],
      ['cf-fin', 'TaskRunCancelled'],
    ]);
  });

  it('an onEvent that throws stops the run (its processes too) and the error comes back', async () => {
    const t0 = Date.now();
    const out = runLocal({
      documents: [inline('oe', [sh('talk', 'echo hi; sleep 30')])],
      onEvent: (e) => {
        if (e.type === 'log') throw new Error('the terminal is gone');
      },
    });
    await expect(out).rejects.toThrow('the terminal is gone');
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('independent tasks run at once, at most `concurrency`', async () => {
    const tasks = [1, 2, 3, 4, 5].map((i) => sh(`t${i}`, 'sleep 0.3'));
    const r = await run({ documents: [inline('cx', tasks)], concurrency: 2 });
    expect(cond(r.run)?.status).toBe('True');
    const spans = r.taskRuns.map(
      (t) => [Date.parse(t.status!.startTime!), Date.parse(t.status!.completionTime!)] as const,
    );
    const overlap = (at: number) => spans.filter(([a, b]) => a <= at && at < b).length;
    const most = Math.max(...spans.map(([a]) => overlap(a)));
    expect(most).toBe(2);
  });
});
