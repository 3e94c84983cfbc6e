/**
 * The loop's Pipeline is valid against the catalog Tasks as shipped (their params, results and
 * workspaces), with the PipelineRun the Trigger makes; the manifests name the app's image only
 * through the kustomization's `images:` entry; the source's scan report passes the gate and a
 * report with a critical finding does not. The loop itself runs in test/e2e/loop.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Task, TaskSpec } from '../api/pipeline.ts';
import { evaluateGate } from '../delivery/scan/gate.ts';
import { parseReport } from '../delivery/scan/report.ts';
import { validatePipeline } from '../pipelines/pipeline/validate.ts';
import {
  LOOP_IMAGE_NAME,
  deployFiles,
  grypeReport,
  pipeline,
  sourceFiles,
  trigger,
  type LoopOptions,
} from './loop-samples.ts';

const CATALOG = fileURLToPath(new URL('../../catalog', import.meta.url));
const o: LoopOptions = {
  namespace: 'loop',
  sourceRepoURL: 'file:///srv/source.git',
  sourceCloneURL: 'http://198.18.0.1:9000/source.git',
  deployRepoURL: 'file:///srv/deploy.git',
  deployPushURL: 'http://198.18.0.1:9000/deploy.git',
  image: 'localhost:5000/loop/web',
  sluiceImage: 'localhost:5000/sluice/sluice:abc',
  buildahImage: 'localhost:5000/sluice/buildah:def',
  prometheusURL: 'http://127.0.0.1:19091',
  pollInterval: '2s',
  soak: '10s',
};

function catalogTasks(): Record<string, TaskSpec> {
  const names = ['git-clone', 'run-tests', 'buildah-build-push', 'scan-gate', 'set-image'];
  return Object.fromEntries(
    names.map((n) => [
      n,
      (parse(readFileSync(join(CATALOG, n, 'task.yaml'), 'utf8')) as Task).spec,
    ]),
  );
}

describe('the loop samples', () => {
  it('the Pipeline and the Trigger’s run are valid against the shipped catalog Tasks', () => {
    const p = pipeline(o);
    const run = trigger(o).spec.template.spec;
    const errors = validatePipeline({
      spec: p.spec,
      object: 'Pipeline/loop/web-ci',
      run: {
        object: 'PipelineRun/loop/web-ci-1',
        spec: {
          ...run,
          params: [
            { name: 'revision', value: 'f'.repeat(40) },
            { name: 'ref', value: 'refs/heads/main' },
          ],
        },
      },
      taskSpecs: catalogTasks(),
    });
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('deploys dev only after both the tests and the scan gate passed', () => {
    const tasks = pipeline(o).spec.tasks;
    const deploy = tasks.find((t) => t.name === 'deploy-dev');
    expect(deploy?.runAfter?.sort()).toEqual(['scan', 'test']);
    expect(tasks.find((t) => t.name === 'scan')?.runAfter).toEqual(['build']);
  });

  it('every environment names the image only through its images: entry', () => {
    const files = deployFiles(o);
    for (const env of ['dev', 'staging', 'prod']) {
      const k = parse(files[`envs/${env}/kustomization.yaml`] ?? '') as {
        images: Array<Record<string, string>>;
      };
      expect(k.images).toEqual([
        { name: LOOP_IMAGE_NAME, newName: 'localhost:5000/sample-app', newTag: 'v1' },
      ]);
    }
    for (const [path, text] of Object.entries(files)) expect(text, path).not.toContain(o.image);
  });

  it('the source’s report passes the gate; a critical finding blocks it', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const clean = parseReport(sourceFiles(o)['scan/grype.json'] ?? '', 'scan/grype.json');
    expect(evaluateGate(clean.findings, { severity: 'HIGH' }, [], now).passed).toBe(true);
    const bad = parseReport(
      grypeReport(o.image, [
        {
          id: 'CVE-2026-1234',
          severity: 'Critical',
          package: 'stdlib',
          version: '1.22.0',
          fixedIn: '1.22.5',
        },
      ]),
      'scan/grype.json',
    );
    const verdict = evaluateGate(bad.findings, { severity: 'HIGH' }, [], now);
    expect(verdict.passed).toBe(false);
    expect(verdict.blocked.map((b) => b.finding.id)).toEqual(['CVE-2026-1234']);
  });
});
