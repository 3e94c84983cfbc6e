/**
 * The local executor end to end, with real processes in temp dirs and no cluster: the
 * Tekton-shaped pipeline of test/e2e/pipelinerun.test.ts (testdata/tekton-ci.yaml, its manifests
 * as they are) ends as it ends on the cluster — outcome, skipped tasks, results, finally
 * statuses — and bad input is refused before anything runs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { TaskRun } from '../../api/pipeline.ts';
import { PipelineError } from '../pipeline/errors.ts';
import { LocalRunError, runLocal, type LocalEvent } from './index.ts';
import { describe, expect, it } from 'vitest';
import {
  cleanWorkDirs,
  cond,
  IMAGE,
  inline,
  logs,
  param,
  pipelineRun,
  run,
  sh,
  shared,
  TEKTON,
  workDir,
} from './testing.ts';

cleanWorkDirs();

describe('the Tekton-shaped pipeline of the e2e test, locally', () => {
  it('ends as on the cluster: the result orders the tasks, when skips deploy, finally reads the status', async () => {
    const runDoc = pipelineRun('ci-1', {
      pipelineRef: { name: 'ci' },
      params: [{ name: 'version', value: '1.2.3' }],
      workspaces: [shared],
    });
    const r = await runLocal({ documents: [...TEKTON, runDoc] });
    expect(cond(r.run)).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(cond(r.run)?.message).toBe('Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 1');
    expect(r.run.status?.skippedTasks).toEqual([
      expect.objectContaining({ name: 'deploy', reason: 'When Expressions evaluated to false' }),
    ]);
    const digest = createHash('sha256').update('app 1.2.3\n').digest('hex').slice(0, 12);
    expect(r.run.status?.results).toEqual([
      { name: 'image-digest', type: 'string', value: digest },
    ]);
    const trs: Record<string, TaskRun> = {};
    for (const t of r.taskRuns) trs[t.metadata.labels?.['sluice.dev/pipelineTask'] ?? ''] = t;
    expect(Object.keys(trs).sort()).toEqual(['build', 'report', 'test']);
    expect(Date.parse(trs['test']!.status!.startTime!)).toBeGreaterThanOrEqual(
      Date.parse(trs['build']!.status!.completionTime!),
    );
    expect(param(trs['test'], 'digest')).toBe(digest);
    expect(param(trs['report'], 's')).toBe('Succeeded');
    expect(trs['build']?.status?.results).toEqual([{ name: 'digest', value: digest }]);
    expect(r.run.status?.childReferences?.map((c) => c.pipelineTaskName).sort()).toEqual([
      'build',
      'report',
      'test',
    ]);
  });

  it('a failing task: its dependents are skipped, finally runs and sees Failed; the step and exit code are named', async () => {
    const failing = pipelineRun('ci-fail', {
      workspaces: [shared],
      pipelineSpec: {
        workspaces: [{ name: 'shared' }],
        tasks: [
          {
            name: 'build',
            taskRef: { name: 'build' },
            params: [{ name: 'version', value: '1' }],
            workspaces: [{ name: 'src', workspace: 'shared' }],
          },
          {
            name: 'test',
            taskRef: { name: 'check' },
            params: [
              { name: 'digest', value: '$(tasks.build.results.digest)' },
              { name: 'expect', value: 'nothing-like-this' },
            ],
            workspaces: [{ name: 'src', workspace: 'shared' }],
          },
          sh('deploy', 'true', { runAfter: ['test'] }),
        ],
        finally: [
          {
            name: 'report',
            params: [{ name: 's', value: '$(tasks.test.status)' }],
            taskSpec: {
              params: [{ name: 's' }],
              steps: [{ name: 'say', image: IMAGE, script: 'echo $(params.s)' }],
            },
          },
        ],
      },
    });
    const r = await run({ documents: [...TEKTON, failing] });
    expect(cond(r.run)).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(r.run.status?.skippedTasks?.map((s) => s.name)).toEqual(['deploy']);
    const [test] = r.byTask('test');
    expect(cond(test)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'step "verify" exited with code 1',
    });
    expect(test?.status?.steps?.[0]?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const [report] = r.byTask('report');
    expect(param(report, 's')).toBe('Failed');
    expect(cond(report)?.status).toBe('True');
    expect(logs(r.events, 'report')).toEqual(['Failed']);
    // the run's status as it went, for a live view: Running first, the returned run last
    const seen = r.events.flatMap((e) => (e.type === 'run-status' ? [e.run] : []));
    expect(cond(seen[0])).toMatchObject({ status: 'Unknown', reason: 'Running' });
    expect(seen.at(-1)).toEqual(r.run);
  });
});

describe('step onError and timeout (Tekton semantics, shared with the cluster)', () => {
  it('onError: continue goes on with the exit code kept; a step past its timeout is stopped', async () => {
    const steps = (strict: boolean) => [
      { name: 'flaky', image: IMAGE, script: 'echo flaky; exit 3', onError: 'continue' as const },
      {
        name: 'slow',
        image: IMAGE,
        script: 'echo slow; sleep 30; echo never',
        timeout: '1s',
        ...(strict ? {} : { onError: 'continue' as const }),
      },
      { name: 'last', image: IMAGE, script: 'echo reached' },
    ];
    const r = await run({
      documents: [
        inline('steps', [
          { name: 'lenient', taskSpec: { steps: steps(false) } },
          { name: 'strict', taskSpec: { steps: steps(true) } },
        ]),
      ],
    });
    const [lenient] = r.byTask('lenient');
    expect(cond(lenient)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(
      lenient?.status?.steps?.map((x) => [x.name, x.terminated?.exitCode, x.terminationReason]),
    ).toEqual([
      ['flaky', 3, 'Continued'],
      ['slow', expect.any(Number), 'TimeoutExceeded'],
      ['last', 0, 'Completed'],
    ]);
    expect(logs(r.events, 'lenient')).toEqual(['flaky', 'slow', 'reached']);
    const [strict] = r.byTask('strict');
    expect(cond(strict)).toMatchObject({
      status: 'False',
      reason: 'Failed',
      message: 'step "slow" ran past its timeout (1s) and was stopped',
    });
    expect(logs(r.events, 'strict')).toEqual(['flaky', 'slow']);
    const started = Date.parse(strict!.status!.startTime!);
    expect(Date.parse(strict!.status!.completionTime!) - started).toBeLessThan(10_000);
  });
});

describe('refused before anything runs', () => {
  const started = (events: LocalEvent[]) => events.filter((e) => e.type === 'task-started');

  it("a missing param: the engine's PipelineError, nothing started", async () => {
    const events: LocalEvent[] = [];
    const runDoc = pipelineRun('np', { pipelineRef: { name: 'ci' }, workspaces: [shared] });
    const d = await workDir();
    const err = await runLocal({
      documents: [...TEKTON, runDoc],
      workDir: d,
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'MissingParam', reason: 'ParameterMissing' });
    expect((err as Error).message).toMatch(/^PipelineRun\/ci\/np: .*"version"/);
    expect(started(events)).toEqual([]);
    expect(await readdir(d)).toEqual([]);
  });

  it('a cycle, naming it; a Pipeline that is not in the files, naming it', async () => {
    const cycle = inline('cy', [
      sh('a', 'true', { runAfter: ['b'] }),
      sh('b', 'true', { runAfter: ['a'] }),
    ]);
    await expect(runLocal({ documents: [cycle] })).rejects.toMatchObject({
      code: 'Cycle',
      message: 'PipelineRun/ci/cy: the tasks form a cycle: a → b → a',
    });
    const missing = pipelineRun('m', { pipelineRef: { name: 'nope' } });
    await expect(runLocal({ documents: [missing] })).rejects.toMatchObject({
      code: 'PipelineNotFound',
      message:
        'PipelineRun/ci/m: Pipeline "nope" named in spec.pipelineRef is not in the files given',
    });
  });

  it('a ConfigMap workspace whose ConfigMap is not in the files; a -p the Pipeline does not declare', async () => {
    const cmRun = pipelineRun('cm', {
      workspaces: [{ name: 'conf', configMap: { name: 'absent' } }],
      pipelineSpec: { workspaces: [{ name: 'conf' }], tasks: [sh('t', 'true')] },
    });
    await expect(runLocal({ documents: [cmRun] })).rejects.toMatchObject({
      code: 'WorkspaceSourceMissing',
      message: expect.stringContaining('ConfigMap "absent"') as string,
    });
    const ok = pipelineRun('p', { pipelineRef: { name: 'ci' }, workspaces: [shared] });
    const err = await runLocal({ documents: [...TEKTON, ok], params: { versoin: '1' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalRunError);
    expect(err).toMatchObject({ code: 'UnknownParam', hint: 'its params: version, deploy' });
  });

  it('says once that images are not used, and removes its temp dir', async () => {
    const events: LocalEvent[] = [];
    const out = await runLocal({
      documents: [inline('img', [sh('t', 'pwd')])],
      onEvent: (e) => events.push(e),
    });
    const notices = events.filter((e) => e.type === 'notice' && e.code === 'ImagesNotUsed');
    expect(notices).toEqual([
      expect.objectContaining({ message: expect.stringContaining(IMAGE) as string }) as LocalEvent,
    ]);
    const cwd = logs(events, 't')[0]!;
    expect(cwd).toMatch(/sluice-local-/);
    expect(existsSync(cwd)).toBe(false);
    expect(cond(out.run)?.status).toBe('True');
  });
});
