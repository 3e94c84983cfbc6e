/**
 * The local executor end to end: real processes (`/bin/sh`, `/bin/bash`) in temp dirs, no
 * cluster. The Tekton-shaped pipeline of test/e2e/pipelinerun.test.ts (testdata/tekton-ci.yaml)
 * ends as it ends on the cluster — outcome, skipped tasks, results, finally statuses — and the
 * faults: a failing step, a 3 × 2 matrix, retries, a timeout, Ctrl-C, refusals before anything runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PipelineRun, PipelineTask, RunCondition, TaskRun } from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';
import { PipelineError } from '../pipeline/errors.ts';
import { LocalRunError, runLocal, type LocalEvent, type LocalRunOptions } from './index.ts';

const API = 'sluice.dev/v1alpha1';
const IMAGE = 'localhost:5000/busybox:latest';
const TEKTON = parseAllDocuments(
  readFileSync(new URL('testdata/tekton-ci.yaml', import.meta.url), 'utf8'),
).map((d) => d.toJS() as KubeObject);

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sluice-local-test-'));
  dirs.push(d);
  return d;
}

const shared = { name: 'shared', volumeClaimTemplate: { spec: {} } };

function pipelineRun(name: string, spec: PipelineRun['spec']): PipelineRun {
  return { apiVersion: API, kind: 'PipelineRun', metadata: { name, namespace: 'ci' }, spec };
}

/** A run of inline tasks (`finally` too), each task's steps `/bin/sh` scripts. */
function inline(name: string, tasks: PipelineTask[], fin: PipelineTask[] = []): PipelineRun {
  return pipelineRun(name, {
    workspaces: [shared],
    pipelineSpec: { workspaces: [{ name: 'shared' }], tasks, finally: fin },
  });
}

const sh = (name: string, script: string, extra: Partial<PipelineTask> = {}): PipelineTask => ({
  name,
  taskSpec: { steps: [{ name: 'run', image: IMAGE, script }] },
  ...extra,
});

async function run(
  o: Partial<LocalRunOptions> & { documents: KubeObject[] },
  on: (e: LocalEvent) => void = () => {},
) {
  const events: LocalEvent[] = [];
  const onEvent = (e: LocalEvent) => {
    events.push(e);
    on(e);
  };
  const out = await runLocal({ workDir: await workDir(), ...o, onEvent });
  const byTask = (t: string) =>
    out.taskRuns.filter((x) => x.metadata.labels?.['sluice.dev/pipelineTask'] === t);
  return { ...out, events, byTask };
}

const cond = (o: { status?: { conditions?: RunCondition[] } } | undefined) =>
  o?.status?.conditions?.find((c) => c.type === 'Succeeded');
const param = (tr: TaskRun | undefined, name: string) =>
  tr?.spec.params?.find((p) => p.name === name)?.value;
const logs = (events: LocalEvent[], task: string) =>
  events.flatMap((e) => (e.type === 'log' && e.task === task ? [e.line] : []));

/** The process has ended (a zombie waiting for its reaper counts as ended), within 3 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    const stat = `/proc/${pid}/stat`;
    const zombie = existsSync(stat) && readFileSync(stat, 'utf8').split(' ')[2] === 'Z';
    try {
      process.kill(pid, 0);
      if (zombie) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

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
  });
});

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

describe('steps', () => {
  it('a #!/bin/bash script runs under bash; args are its "$@"; a command step runs command + args', async () => {
    const r = await run({
      documents: [
        inline('sb', [
          {
            name: 'bash',
            taskSpec: {
              steps: [
                {
                  name: 'b',
                  image: IMAGE,
                  script:
                    '#!/bin/bash\nset -euo pipefail\nxs=("$@")\n[[ ${#xs[@]} -eq 2 ]] && echo "bash ${BASH_VERSINFO[0]} ${xs[1]}"',
                  args: ['one', 'two'],
                },
                { name: 'c', image: IMAGE, command: ['printf'], args: ['%s-%s\n', 'a', 'b'] },
              ],
            },
          },
        ]),
      ],
    });
    expect(cond(r.run)?.status).toBe('True');
    const lines = logs(r.events, 'bash');
    expect(lines[0]).toMatch(/^bash \d+ two$/);
    expect(lines[1]).toBe('a-b');
  });

  it('a result past 4096 bytes fails the TaskRun as on the cluster', async () => {
    const r = await run({
      documents: [
        inline('big', [
          {
            name: 'big',
            taskSpec: {
              results: [{ name: 'r' }],
              steps: [
                { name: 'w', image: IMAGE, script: 'head -c 5000 /dev/zero > $(results.r.path)' },
              ],
            },
          },
        ]),
      ],
    });
    expect(cond(r.byTask('big')[0])).toMatchObject({
      reason: 'TaskRunResultLargerThanAllowedLimit',
      message: 'result "r" is 5000 bytes, more than the 4096 bytes a result may hold',
    });
    expect(cond(r.run)?.status).toBe('False');
  });

  it('a ConfigMap workspace and a Secret env come from the documents; the secret is masked in logs', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { 'app.conf': 'mode=fast' },
    };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tok' },
      data: { token: Buffer.from('s3cr3t').toString('base64') },
    };
    const runDoc = pipelineRun('cm', {
      workspaces: [{ name: 'conf', configMap: { name: 'cfg' } }],
      pipelineSpec: {
        workspaces: [{ name: 'conf' }],
        tasks: [
          {
            name: 'read',
            workspaces: [{ name: 'conf', workspace: 'conf' }],
            taskSpec: {
              workspaces: [{ name: 'conf' }],
              steps: [
                {
                  name: 'r',
                  image: IMAGE,
                  env: [
                    { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } },
                  ],
                  script: 'cat $(workspaces.conf.path)/app.conf; echo; echo "token=$TOKEN"',
                },
              ],
            },
          },
        ],
      },
    });
    const r = await run({ documents: [cm, secret, runDoc] });
    expect(cond(r.run)?.status).toBe('True');
    expect(logs(r.events, 'read')).toEqual(['mode=fast', 'token=***']);
  });

  it('what cannot run locally fails the TaskRun naming it (a sidecar)', async () => {
    const r = await run({
      documents: [
        inline('sc', [
          {
            name: 'svc',
            taskSpec: {
              sidecars: [{ name: 'db', image: 'postgres' }],
              steps: [{ name: 's', image: IMAGE, script: 'true' }],
            },
          },
        ]),
      ],
    });
    expect(cond(r.byTask('svc')[0])).toMatchObject({
      reason: 'TaskRunValidationFailed',
      message: expect.stringContaining('sidecar "db"') as string,
    });
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
