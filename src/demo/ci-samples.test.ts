/**
 * The demo's CI sample, run as `cat ci/*.yaml ci/runs/hello-ci.yaml | sluice pipeline run -f -
 * --local` runs it (the local executor, the same engine as the cluster's): the files parse as one
 * stream, the run succeeds, `when` skips publish unless asked, report gets build's digest, and
 * finally sees the tasks' status. The cluster side is test/e2e/demo.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PipelineRun, TaskRun } from '../api/pipeline.ts';
import { SAMPLE_APP_SOURCES } from '../devcluster/images/sample-app.ts';
import type { KubeObject } from '../kube/types.ts';
import { runLocal, type LocalEvent } from '../pipelines/local/index.ts';
import { CI_RUN_FILE, ciFiles } from './ci-samples.ts';

/** What the shell's `cat ci/*.yaml ci/runs/hello-ci.yaml` gives (glob order: by name). */
function catStream(): string {
  const files = ciFiles();
  const top = Object.keys(files)
    .filter((p) => /^ci\/[^/]+\.yaml$/.test(p))
    .sort();
  return [...top, CI_RUN_FILE].map((p) => files[p] ?? '').join('');
}

const documents = (): KubeObject[] =>
  parseAllDocuments(catStream())
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

const byTask = (trs: readonly TaskRun[]): Record<string, TaskRun> =>
  Object.fromEntries(trs.map((t) => [t.metadata.labels?.['sluice.dev/pipelineTask'] ?? '', t]));

const param = (tr: TaskRun | undefined, name: string): unknown =>
  tr?.spec.params?.find((p) => p.name === name)?.value;

const cond = (run: PipelineRun) => run.status?.conditions?.find((c) => c.type === 'Succeeded');

/** The digest the build task computes: sha256 over `sha256sum` lines of the sorted files. */
function expectedDigest(): string {
  const files = ['go.mod', 'main.go', 'main_test.go', 'metrics.go', 'server.go'];
  const lines = files.map((f) => {
    const sum = createHash('sha256')
      .update(readFileSync(join(SAMPLE_APP_SOURCES, f)))
      .digest();
    return `${sum.toString('hex')}  ./${f}\n`;
  });
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}

describe("the demo's CI pipeline, locally", () => {
  it('parses as one stream: ConfigMap, Task, Pipeline and the PipelineRun', () => {
    expect(documents().map((d) => `${d.kind}/${d.metadata.name ?? ''}`)).toEqual([
      'Task/checksum',
      'Pipeline/hello-ci',
      'ConfigMap/hello-source',
      'PipelineRun/',
    ]);
  });

  it.each([
    ['false', ['build', 'fetch', 'report', 'summary', 'test'], 'Completed', 'None'],
    ['true', ['build', 'fetch', 'publish', 'report', 'summary', 'test'], 'Succeeded', 'Succeeded'],
  ])(
    'publish=%s: runs %j; finally sees tasks %s, publish %s',
    async (publish, tasks, status, publishStatus) => {
      const logs: string[] = [];
      const onEvent = (e: LocalEvent): void => {
        if (e.type === 'log') logs.push(`[${e.task}] ${e.line}`);
      };
      const r = await runLocal({ documents: documents(), params: { publish }, onEvent });
      expect(cond(r.run)).toMatchObject({ status: 'True', reason: status });
      const trs = byTask(r.taskRuns);
      expect(Object.keys(trs).sort()).toEqual(tasks);
      if (publish === 'false')
        expect(r.run.status?.skippedTasks).toEqual([
          expect.objectContaining({
            name: 'publish',
            reason: 'When Expressions evaluated to false',
          }),
        ]);
      const digest = expectedDigest();
      expect(trs['build']?.status?.results).toContainEqual({ name: 'digest', value: digest });
      expect(param(trs['report'], 'digest')).toBe(digest);
      expect(r.run.status?.results).toEqual([{ name: 'digest', type: 'string', value: digest }]);
      expect(logs).toContain(`[report] hello ${r.run.metadata.name}: tested, built ${digest}`);
      expect(logs).toContain('[test] ok   serves /healthz');
      expect(logs).toContain(`[summary] tasks: ${status} (publish: ${publishStatus})`);
    },
  );
});
