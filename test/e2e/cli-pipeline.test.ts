/**
 * `sluice pipeline | pipelinerun | task | taskrun` against the dev cluster, with the pipeline
 * controllers running in this process (`Pipelines`, as pipelinerun.test.ts) and the task pods on
 * the real node (`--pod-template`). The CLI runs as a person runs it (bin/sluice.js) and the
 * tests check what they would: the exit code, the lines printed, the objects written.
 * With a run store given, the controllers keep records and logs in it (the collector), so
 * `logs` can be shown to read it once the pods are gone.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { PipelineRun } from '../../src/api/pipeline.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { openRunStore, type RunStore } from '../../src/pipelines/store/index.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { startPipelines as startIn } from './pipeline-harness.ts';
import { BUSYBOX, ensureCrds, onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('clip');
const API = 'sluice.dev/v1alpha1';
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-pipeline-'));
const podTemplate = join(dir, 'pod.yaml');
writeFileSync(podTemplate, stringify(onRealNode));
const pvc = join(dir, 'pvc.yaml');
writeFileSync(
  pvc,
  stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
  }),
);

/**
 * No run store unless a test names one: the controller's default (runs.db in
 * $SLUICE_WORK_DIR) is in an empty directory.
 */
const env = (workDir = mkdtempSync(join(dir, 'work-'))): NodeJS.ProcessEnv => {
  const { SLUICE_DATABASE_URL: _, ...rest } = process.env;
  return { ...rest, NO_COLOR: '1', SLUICE_WORK_DIR: workDir };
};
const argv = (args: string[]): string[] => [
  'bin/sluice.js',
  ...args,
  '--kubeconfig',
  kubeconfigPath(),
  '-n',
  ns(),
];
const sluice = (...args: string[]): Promise<ExecResult> =>
  execFile(process.execPath, argv(args), { timeoutMs: 180_000, env: env() });
/** The CLI with the controller's work dir: it finds the run store there by default. */
const sluiceIn = (workDir: string, ...args: string[]): Promise<ExecResult> =>
  execFile(process.execPath, argv(args), { timeoutMs: 180_000, env: env(workDir) });

const startPipelines = async (k: Kube, store?: RunStore): Promise<void> => {
  await startIn(k, ns(), store ? { store } : {});
};

const MANIFESTS = `
apiVersion: sluice.dev/v1alpha1
kind: Task
metadata: {name: build}
spec:
  params: [{name: version}]
  workspaces: [{name: src}]
  steps:
    - name: compile
      image: ${BUSYBOX}
      script: |
        echo "building $(params.version)"
        echo "$(params.version)" > $(workspaces.src.path)/version
    - name: package
      image: ${BUSYBOX}
      script: echo "packaged"
---
apiVersion: sluice.dev/v1alpha1
kind: Task
metadata: {name: check}
spec:
  params: [{name: expect}]
  workspaces: [{name: src}]
  steps:
    - name: verify
      image: ${BUSYBOX}
      script: |
        echo "looking for $(params.expect)"
        grep -q "$(params.expect)" $(workspaces.src.path)/version
---
apiVersion: sluice.dev/v1alpha1
kind: Pipeline
metadata: {name: ci}
spec:
  params: [{name: version}, {name: expect, default: "1"}]
  workspaces: [{name: shared}]
  tasks:
    - name: build
      taskRef: {name: build}
      params: [{name: version, value: $(params.version)}]
      workspaces: [{name: src, workspace: shared}]
    - name: test
      runAfter: [build]
      taskRef: {name: check}
      params: [{name: expect, value: $(params.expect)}]
      workspaces: [{name: src, workspace: shared}]
    - name: lint
      runAfter: [build]
      taskSpec:
        steps: [{name: lint, image: ${BUSYBOX}, script: "echo lint ok"}]
  finally:
    - name: report
      taskSpec:
        steps: [{name: say, image: ${BUSYBOX}, script: "echo all done"}]
`;

async function apply(k: Kube, yaml: string): Promise<void> {
  for (const doc of parseAllDocuments(yaml)) {
    const obj = doc.toJS() as KubeObject;
    await k.create({ ...obj, metadata: { ...obj.metadata, namespace: ns() } });
  }
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const json = <T>(r: ExecResult): T => JSON.parse(r.stdout) as T;
const ok = (r: ExecResult): ExecResult => {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(0);
  return r;
};

/** Starts `ci` on the real node and returns the run's name (and the whole result). */
async function startCi(...extra: string[]): Promise<{ name: string; r: ExecResult }> {
  const r = await sluice(
    'pipeline',
    'start',
    'ci',
    '-p',
    'version=1.2.3',
    '-w',
    `name=shared,volumeClaimTemplateFile=${pvc}`,
    '--pod-template',
    podTemplate,
    ...extra,
  );
  return { name: lines(r.stdout)[0] ?? '', r };
}

describe('sluice pipeline on the cluster', () => {
  it('start -p -w --showlog: prints the name, then every step prefixed; get, list, runs, task and taskrun read it back', async () => {
    const k = await kube();
    await startPipelines(k);
    await apply(k, MANIFESTS);
    const { name, r } = await startCi('--showlog');
    ok(r);
    expect(name).toMatch(/^ci-run-[a-z0-9]{5}$/);
    const out = lines(r.stdout);
    expect(out).toContain('[build : compile] building 1.2.3');
    expect(out).toContain('[build : package] packaged');
    expect(out).toContain('[test : verify] looking for 1');
    expect(out).toContain('[lint : lint] lint ok');
    expect(out).toContain('[report : say] all done');
    // Steps of one task in order; finally after the tasks it follows.
    expect(out.indexOf('[build : package] packaged')).toBeGreaterThan(
      out.indexOf('[build : compile] building 1.2.3'),
    );
    expect(out.indexOf('[report : say] all done')).toBeGreaterThan(
      out.indexOf('[test : verify] looking for 1'),
    );
    expect(r.stderr).toMatch(new RegExp(`PipelineRun/${ns()}/${name} Succeeded`));

    const run = await k.get<PipelineRun>(API, 'PipelineRun', ns(), name);
    expect(run?.spec.params).toEqual([{ name: 'version', value: '1.2.3' }]);
    expect(run?.spec.taskRunTemplate?.podTemplate).toEqual(onRealNode);

    const view = json<{
      state: string;
      tasks: Array<{ name: string; state: string; durationMs?: number; layer: number }>;
    }>(ok(await sluice('pipeline', 'get', name, '-o', 'json')));
    expect(view.state).toBe('Succeeded');
    expect(view.tasks.map((t) => [t.name, t.state, t.layer])).toEqual([
      ['build', 'Succeeded', 0],
      ['test', 'Succeeded', 1],
      ['lint', 'Succeeded', 1],
      ['report', 'Succeeded', 0],
    ]);
    expect(view.tasks.every((t) => (t.durationMs ?? -1) > 0)).toBe(true);
    const table = lines(ok(await sluice('pipeline', 'get', '--last')).stdout);
    expect(table).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Status: +Succeeded/),
        expect.stringMatching(/^build +Succeeded +\d/),
        expect.stringMatching(/^├─ test +Succeeded +\d/),
        expect.stringMatching(/^└─ lint +Succeeded +\d/),
        'finally',
        expect.stringMatching(/^└─ report +Succeeded +\d/),
      ]),
    );

    const list = json<
      Array<{ name: string; tasks: number; lastRun?: { name: string; state: string } }>
    >(ok(await sluice('pipeline', 'list', '-o', 'json')));
    expect(list.map((p) => [p.name, p.tasks, p.lastRun?.name, p.lastRun?.state])).toEqual([
      ['ci', 4, name, 'Succeeded'],
    ]);
    const runs = json<Array<{ name: string }>>(
      ok(await sluice('pipelinerun', 'list', '-o', 'json')),
    );
    expect(runs.map((x) => x.name)).toEqual([name]);

    // The pods are still there: logs come from them. One task and step: bare lines.
    expect(
      ok(await sluice('pipeline', 'logs', name, '--task', 'build', '--step', 'compile')).stdout,
    ).toBe('building 1.2.3\n');

    const tasks = json<Array<{ name: string; steps: number }>>(
      ok(await sluice('task', 'list', '-o', 'json')),
    );
    expect(tasks.map((t) => [t.name, t.steps])).toEqual([
      ['build', 2],
      ['check', 1],
    ]);
    expect(
      json<{ kind: string }>(ok(await sluice('task', 'get', 'build', '-o', 'json'))).kind,
    ).toBe('Task');
    const trs = json<Array<{ name: string; task: string; state: string }>>(
      ok(await sluice('taskrun', 'list', '--pipelinerun', name, '-o', 'json')),
    );
    expect(trs.map((t) => t.task).sort()).toEqual(['build', 'lint', 'report', 'test']);
    const build = trs.find((t) => t.task === 'build')?.name ?? '';
    expect(ok(await sluice('taskrun', 'get', build)).stdout).toMatch(/compile +Completed +0 /);
    expect(ok(await sluice('tr', 'logs', build, '--step', 'package')).stdout).toBe('packaged\n');
  });

  it('a failing run: --wait exits 1 naming it, get --watch --exit-on-complete exits 1, rerun -p fixes it', async () => {
    const k = await kube();
    await startPipelines(k);
    await apply(k, MANIFESTS);
    const { name, r } = await startCi('-p', 'expect=nope', '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`PipelineRun/${ns()}/${name} Failed`));
    const watched = await sluice('pipeline', 'get', name, '--watch', '--exit-on-complete');
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/├─ test +Failed/);

    const rerun = await sluice('pipeline', 'rerun', name, '-p', 'expect=1.2', '--showlog');
    ok(rerun);
    const again = lines(rerun.stdout)[0] ?? '';
    expect(again).not.toBe(name);
    expect(rerun.stdout).toContain('[test : verify] looking for 1.2');
    const second = await k.get<PipelineRun>(API, 'PipelineRun', ns(), again);
    expect(second?.metadata.annotations?.['sluice.dev/rerun-of']).toBe(name);
    expect(second?.spec.params).toEqual([
      { name: 'version', value: '1.2.3' },
      { name: 'expect', value: '1.2' },
    ]);
    expect(second?.spec.workspaces?.[0]?.volumeClaimTemplate).toBeDefined();
  });

  it('logs outlive the pods: read from the run store the controller writes, and a warning when no store has them', async () => {
    const k = await kube();
    // The controller's work dir, with the store where `sluice controller` keeps it by default.
    const work = join(dir, ns());
    mkdirSync(work);
    const db = join(work, 'runs.db');
    const store = await openRunStore({ databaseUrl: db });
    onTestFinished(() => store.close());
    await startPipelines(k, store);
    await apply(k, MANIFESTS);
    const { name, r } = await startCi('--wait');
    ok(r);
    // The collector has followed every step: the finished record and all six logs are in.
    const ref = { kind: 'PipelineRun' as const, namespace: ns(), name };
    await eventually('the run recorded with all its logs', async () => {
      const h = await store.getRun(ref);
      const done = h?.run.status === 'Succeeded' && h.streams.every((x) => x.finished);
      return done && h.streams.length === 5 ? true : undefined;
    });
    const pods = await k.list('v1', 'Pod', { namespace: ns() });
    for (const p of pods.items) await k.delete(p, { gracePeriodSeconds: 0 });
    await eventually('the pods gone', async () =>
      (await k.list('v1', 'Pod', { namespace: ns() })).items.length === 0 ? true : undefined,
    );

    const lost = ok(await sluice('pipeline', 'logs', name));
    expect(lost.stdout).toBe('');
    expect(lost.stderr).toMatch(/logs of .*build\/compile.* are gone/);

    // The controller's default store, found without --database-url.
    const kept = lines(ok(await sluiceIn(work, 'pipeline', 'logs', name)).stdout);
    expect(kept).toEqual(
      expect.arrayContaining([
        '[build : compile] building 1.2.3',
        '[lint : lint] lint ok',
        '[report : say] all done',
      ]),
    );
    const followed = ok(
      await sluice(
        'pipeline',
        'logs',
        name,
        '-f',
        '--task',
        'build',
        '--database-url',
        `sqlite:${db}`,
      ),
    );
    expect(lines(followed.stdout)).toEqual([
      '[build : compile] building 1.2.3',
      '[build : package] packaged',
    ]);

    // The PipelineRun itself deleted: the store still has it.
    await k.delete({ apiVersion: API, kind: 'PipelineRun', metadata: { namespace: ns(), name } });
    await eventually('the run gone', async () =>
      (await k.get(API, 'PipelineRun', ns(), name)) ? undefined : true,
    );
    expect(
      ok(
        await sluice(
          'pipeline',
          'logs',
          name,
          '--task',
          'test',
          '--step',
          'verify',
          '--database-url',
          db,
        ),
      ).stdout,
    ).toBe('looking for 1\n');
    const history = json<Array<{ name: string; status: string }>>(
      ok(await sluice('pipeline', 'runs', '--history', '--database-url', db, '-o', 'json')),
    );
    expect(history).toEqual([expect.objectContaining({ name, status: 'Succeeded' })]);
    const gone = await sluice('pipeline', 'logs', name);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(new RegExp(`PipelineRun/${ns()}/${name} not found`));
  });

  it('logs -f follows parallel tasks as they run; run -f takes Tekton manifests; cancel stops a run (and says when there is nothing to cancel)', async () => {
    const k = await kube();
    await startPipelines(k);
    const file = join(dir, `${ns()}.yaml`);
    const count = (who: string) => `for i in 1 2 3; do echo "${who} $i"; sleep 1; done`;
    writeFileSync(
      file,
      `apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: slow}
spec:
  params: [{name: sleep, default: "0"}]
  tasks:
    - name: a
      taskSpec:
        params: [{name: sleep}]
        steps: [{name: count, image: ${BUSYBOX}, script: '${count('a')}; sleep $(params.sleep)'}]
      params: [{name: sleep, value: $(params.sleep)}]
    - name: b
      taskSpec:
        steps: [{name: count, image: ${BUSYBOX}, script: '${count('b')}'}]
`,
    );
    const started = ok(await sluice('pipeline', 'run', '-f', file, '--pod-template', podTemplate));
    const name = lines(started.stdout)[0] ?? '';
    expect(started.stderr).toContain(`Pipeline/${ns()}/slow applied`);
    const followed = ok(await sluice('pipeline', 'logs', name, '-f'));
    const out = lines(followed.stdout);
    for (const who of ['a', 'b']) {
      expect(out.filter((l) => l.startsWith(`[${who} : count]`))).toEqual(
        [1, 2, 3].map((i) => `[${who} : count] ${who} ${i}`),
      );
    }
    const done = await k.get<PipelineRun>(API, 'PipelineRun', ns(), name);
    expect(done?.status?.conditions?.[0]?.status).toBe('True');

    const long =
      lines(
        ok(
          await sluice(
            'pipeline',
            'start',
            'slow',
            '-p',
            'sleep=300',
            '--pod-template',
            podTemplate,
          ),
        ).stdout,
      )[0] ?? '';
    // Follow it from the start while it runs; cancelling ends the follow too.
    const follower = spawnSluice(['pipeline', 'logs', long, '-f', '--task', 'a']);
    await eventually(
      'task a to print its three lines',
      async () => (follower.stdout().includes('[a : count] a 3') ? true : undefined),
      90_000,
    );
    const t0 = Date.now();
    const cancel = ok(await sluice('pipeline', 'cancel', long));
    expect(cancel.stderr).toContain(`PipelineRun/${ns()}/${long} cancelled (Cancelled)`);
    expect((await k.get<PipelineRun>(API, 'PipelineRun', ns(), long))?.spec.status).toBe(
      'Cancelled',
    );
    const watched = await sluice('pipeline', 'get', long, '-w', '--exit-on-complete');
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(/Cancelled/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const f = await follower.done;
    expect(f.code).toBe(0);
    expect(lines(f.stdout).slice(0, 3)).toEqual([
      '[a : count] a 1',
      '[a : count] a 2',
      '[a : count] a 3',
    ]);
    const again = await sluice('pipeline', 'cancel', long);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/has already finished \(Cancelled\): nothing to cancel/);
  });

  it('not found is exit 3, bad usage exit 2, each saying what to do', async () => {
    const k = await kube();
    await ensureCrds(k);
    await apply(k, MANIFESTS);
    const cases: Array<[string[], number, RegExp]> = [
      [['pipeline', 'get', 'nope'], 3, /PipelineRun\/.*\/nope not found/],
      [['pipeline', 'get', '--last'], 3, /no PipelineRun in namespace/],
      [['pipeline', 'logs', 'nope'], 3, /PipelineRun\/.*\/nope not found/],
      [['pipeline', 'cancel', 'nope'], 3, /not found/],
      [['pipeline', 'rerun', 'nope'], 3, /not found/],
      [['pipeline', 'start', 'nope'], 3, /Pipeline\/.*\/nope not found/],
      [['pipeline', 'describe', 'nope'], 3, /Pipeline\/.*\/nope not found/],
      [['task', 'get', 'nope'], 3, /Task\/.*\/nope not found/],
      [['taskrun', 'get', 'nope'], 3, /TaskRun\/.*\/nope not found/],
      [
        ['pipeline', 'start', 'ci', '-w', 'name=shared,emptyDir='],
        2,
        /missing value for param version/,
      ],
      [['pipeline', 'start', 'ci', '-p', 'version=1'], 2, /workspace shared not bound/],
      [['pipeline', 'start', 'ci', '-p', 'verison=1'], 2, /declares no param "verison"/],
      [['pipeline', 'get'], 2, /name a PipelineRun, or use --last/],
      [['pipeline', 'get', 'x', '-o', 'json', '-w'], 2, /--watch draws the table/],
    ];
    for (const [args, code, message] of cases) {
      const r = await sluice(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
      expect(r.stderr).toMatch(message);
    }
    const dry = json<{ metadata: { generateName: string }; spec: object }>(
      ok(
        await sluice(
          ...['pipeline', 'start', 'ci', '-p', 'version=2', '-p', 'expect=2', '--dry-run'],
          ...[
            '-w',
            'name=shared,claimName=cache',
            '-l',
            'team=web',
            '--timeout',
            '1h',
            '-o',
            'json',
          ],
        ),
      ),
    );
    expect(dry).toEqual({
      apiVersion: API,
      kind: 'PipelineRun',
      metadata: { generateName: 'ci-run-', namespace: ns(), labels: { team: 'web' } },
      spec: {
        pipelineRef: { name: 'ci' },
        params: [
          { name: 'version', value: '2' },
          { name: 'expect', value: '2' },
        ],
        workspaces: [{ name: 'shared', persistentVolumeClaim: { claimName: 'cache' } }],
        timeouts: { pipeline: '1h' },
      },
    });
    expect((await k.list(API, 'PipelineRun', { namespace: ns() })).items).toEqual([]);
    const described = ok(await sluice('pipeline', 'describe', 'ci'));
    expect(described.stdout).toMatch(
      /Params: +version \(string\) \(required\), expect \(string\) = 1/,
    );
    expect(described.stdout).toMatch(/├─ test/);
    expect(described.stdout).toContain('no runs yet');
  });

  it('start --wait with nothing to run it says so after 10 s; Ctrl-C stops waiting and leaves the run', async () => {
    const k = await kube();
    await ensureCrds(k);
    await apply(k, MANIFESTS);
    const start = spawnSluice([
      ...['pipeline', 'start', 'ci', '-p', 'version=1', '-w', 'name=shared,emptyDir=', '--wait'],
    ]);
    await eventually(
      'the warning',
      async () =>
        /nothing has picked PipelineRun\/\S+\/ci-run-\w+ up after 10 s: is `sluice controller` running/.test(
          start.stderr(),
        )
          ? true
          : undefined,
      40_000,
    );
    start.interrupt();
    expect((await start.done).code).toBe(0);
    const runs = await k.list<PipelineRun>(API, 'PipelineRun', { namespace: ns() });
    expect(runs.items.map((r) => [r.metadata.generateName, r.status])).toEqual([
      ['ci-run-', undefined],
    ]);
  });

  it('run -f --local runs the same Tekton manifests here: logs on stdout, the graph and the outcome on stderr', async () => {
    const file = join(dir, 'local.yaml');
    writeFileSync(
      file,
      `apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: hello}
spec:
  params: [{name: who, default: world}]
  tasks:
    - name: greet
      params: [{name: who, value: $(params.who)}]
      taskSpec:
        params: [{name: who}]
        steps: [{name: say, image: ${BUSYBOX}, script: "echo hello $(params.who)"}]
    - name: fail
      runAfter: [greet]
      taskSpec:
        steps: [{name: boom, image: ${BUSYBOX}, script: "echo about to fail; exit 3"}]
  finally:
    - name: report
      taskSpec:
        steps: [{name: say, image: ${BUSYBOX}, script: "echo finally"}]
`,
    );
    const r = await execFile(
      process.execPath,
      ['bin/sluice.js', 'pipeline', 'run', '-f', file, '--local', '-p', 'who=cli'],
      { timeoutMs: 60_000, env: env() },
    );
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      '[greet : say] hello cli',
      '[fail : boom] about to fail',
      '[report : say] finally',
    ]);
    expect(r.stderr).toMatch(/image is not used locally/);
    expect(r.stderr).toMatch(/└─ fail +Failed +\S+ +step "boom" exited with code 3/);
    expect(r.stderr).toMatch(/PipelineRun\/default\/hello-run-\w+ Failed/);
  });
});

/** The CLI in the background (for `logs -f` while something else happens). */
function spawnSluice(args: string[]): {
  stdout: () => string;
  stderr: () => string;
  interrupt: () => void;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, argv(args), { env: env() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  onTestFinished(() => {
    child.kill();
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: () => child.kill('SIGINT'),
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}
