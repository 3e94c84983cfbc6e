/**
 * Logs survive the pods through `sluice controller` itself (issue 11, item 4), on both run store
 * backends: a real SQLite file and a real PostgreSQL from Debian (postgres-harness.ts). The
 * controller runs as its own process with `--database-url` and `--keep-pods 0`, so it deletes
 * every finished pod itself — only once the collector has stored its logs. What a user checks:
 * the pods are gone, `sluice pipeline logs` prints every step from the store (also after the
 * PipelineRun is deleted), `pipeline runs --history` has the record with its tasks, and neither
 * the secret param nor the Secret a step reads appears in the printed logs or in the database.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PipelineRun } from '../../src/api/pipeline.ts';
import { execFile, type ExecResult } from '../../src/util/exec.ts';
import { controllerProcess } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { condition, PIPELINES_API as API } from './pipeline-harness.ts';
import { BACKENDS, useBackend } from './run-store-backends.ts';
import { BUSYBOX, ensureCrds, onRealNode } from './taskrun-harness.ts';

const ns = useNamespace('prstore');
const TOKEN = 'tok-4f9c-SECRET';
const PASSWORD = 'pw-d81e-SECRET';

const sluice = (...args: string[]): Promise<ExecResult> =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    { timeoutMs: 120_000, env: { ...process.env, NO_COLOR: '1' } },
  );

const ok = (r: ExecResult): ExecResult => {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};

const pipelineRun = (name: string): PipelineRun => ({
  apiVersion: API,
  kind: 'PipelineRun',
  metadata: { name, namespace: ns(), annotations: { 'sluice.dev/secret-params': 'token' } },
  spec: {
    params: [{ name: 'token', value: TOKEN }],
    taskRunTemplate: { podTemplate: onRealNode },
    pipelineSpec: {
      params: [{ name: 'token' }],
      tasks: [
        {
          name: 'build',
          params: [{ name: 'token', value: '$(params.token)' }],
          taskSpec: {
            params: [{ name: 'token' }],
            steps: [
              {
                name: 'compile',
                image: BUSYBOX,
                env: [
                  {
                    name: 'PASSWORD',
                    valueFrom: { secretKeyRef: { name: 'registry', key: 'password' } },
                  },
                ],
                script: 'echo "compiling with $(params.token)"\necho "login $PASSWORD"\necho done',
              },
              { name: 'package', image: BUSYBOX, script: 'echo packaged' },
            ],
          },
        },
        {
          name: 'report',
          runAfter: ['build'],
          taskSpec: { steps: [{ name: 'say', image: BUSYBOX, script: 'echo all done' }] },
        },
      ],
    },
  },
});

describe.each(BACKENDS)(
  'logs outlive the pods through `sluice controller` on $name',
  ({ start }) => {
    const { backend } = useBackend(start);

    it('the controller deletes the finished pods once their logs are stored; the CLI reads them back masked', async () => {
      const k = await kube();
      await ensureCrds(k);
      const url = await backend().fresh();
      await k.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'registry', namespace: ns() },
        stringData: { password: PASSWORD },
      });
      const controller = controllerProcess(
        ns(),
        mkdtempSync(join(tmpdir(), 'sluice-prstore-')),
        ['--database-url', url, '--keep-pods', '0'],
        { pipelines: true, stderr: 'pipe' },
      );
      let stderr = '';
      controller.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      onTestFinished(async () => {
        if (controller.exitCode === null) {
          controller.kill('SIGTERM');
          await once(controller, 'exit');
        }
      });

      await k.create(pipelineRun('ci-1'));
      const done = await eventually(
        'the run finished',
        async () => {
          const r = await k.get<PipelineRun>(API, 'PipelineRun', ns(), 'ci-1');
          return condition(r)?.status === 'Unknown' || !condition(r) ? undefined : r;
        },
        180_000,
      );
      expect(condition(done)?.status, stderr).toBe('True');
      // --keep-pods 0: the controller itself removes every finished pod (after collecting it).
      await eventually(
        'the pods deleted by the controller',
        async () =>
          (await k.list('v1', 'Pod', { namespace: ns() })).items.length === 0 ? true : undefined,
        60_000,
      );

      const want = [
        '[build : compile] compiling with ***',
        '[build : compile] login ***',
        '[build : compile] done',
        '[build : package] packaged',
        '[report : say] all done',
      ];
      const logs = ok(await sluice('pipeline', 'logs', 'ci-1', '--database-url', url));
      expect(logs.stdout.trim().split('\n')).toEqual(want);
      expect(logs.stderr).toMatch(/logs of pods that are gone are read from the run store \(/);

      await k.delete({
        apiVersion: API,
        kind: 'PipelineRun',
        metadata: { namespace: ns(), name: 'ci-1' },
      });
      await eventually('the run deleted', async () =>
        (await k.get(API, 'PipelineRun', ns(), 'ci-1')) ? undefined : true,
      );
      const step = ok(
        await sluice(
          'pipeline',
          'logs',
          'ci-1',
          '--task',
          'build',
          '--step',
          'package',
          '--database-url',
          url,
        ),
      );
      expect(step.stdout).toBe('packaged\n');
      const history = JSON.parse(
        ok(await sluice('pipeline', 'runs', '--history', '--database-url', url, '-o', 'json'))
          .stdout,
      ) as Array<{ name: string; status: string; params: Array<{ name: string; value: string }> }>;
      expect(history).toEqual([
        expect.objectContaining({
          name: 'ci-1',
          status: 'Succeeded',
          params: [{ name: 'token', value: '***' }],
        }),
      ]);

      // What an operator with the database finds: every task recorded, no secret anywhere.
      const tasks = await backend().raw(url, 'SELECT task, status FROM tasks ORDER BY task');
      expect(tasks).toEqual([
        { task: 'build', status: 'Succeeded' },
        { task: 'report', status: 'Succeeded' },
      ]);
      const stored = JSON.stringify([
        await backend().raw(url, 'SELECT data FROM log_chunks'),
        await backend().raw(url, 'SELECT params, message, results FROM runs'),
        await backend().raw(url, 'SELECT params, message, results, steps FROM tasks'),
      ]);
      for (const secret of [TOKEN, PASSWORD]) expect(stored).not.toContain(secret);
      expect(stderr).not.toMatch(/run store: .* failed/);
    });
  },
);
