/**
 * Validation over fixture files: testdata/invalid/<situation>.yaml each holds a Pipeline
 * (optionally a PipelineRun and Tasks) and the errors it must produce — exactly those codes, each
 * message containing the expected text; testdata/valid/*.yaml must produce none.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PipelineError } from './errors.ts';
import { loadFixture, task, TASKS, run } from './testing/fixtures.ts';
import { validatePipeline } from './validate.ts';

const dir = (d: string) => readdirSync(new URL(`testdata/${d}`, import.meta.url)).sort();

function validate(path: string) {
  const f = loadFixture(path);
  return {
    f,
    errors: validatePipeline({
      spec: f.pipeline,
      object: 'Pipeline/team/build',
      run: { object: 'PipelineRun/team/ci-1', spec: f.run.spec },
      taskSpecs: f.taskSpecs,
    }),
  };
}

describe('invalid Pipelines, one fixture per situation', () => {
  it.each(dir('invalid'))('%s', (file) => {
    const { f, errors } = validate(`invalid/${file}`);
    const want = f.expect['errors'] as { code: string; message: string }[];
    expect(errors.map((e) => e.code)).toEqual(want.map((w) => w.code));
    want.forEach((w, i) => expect(errors[i]?.message).toContain(w.message));
  });
});

describe('valid Pipelines', () => {
  it.each(dir('valid'))('%s has no errors', (file) => {
    expect(validate(`valid/${file}`).errors.map((e) => e.message)).toEqual([]);
  });
});

describe('errors as data', () => {
  const errs = validatePipeline({
    spec: { tasks: [task('a', { runAfter: ['b'] }), task('b', { runAfter: ['a'] })] },
    object: 'Pipeline/team/build',
  });

  it('carry the code, Tekton’s reason, the object and the field', () => {
    expect(errs).toHaveLength(1);
    const e = errs[0]!;
    expect(e).toBeInstanceOf(PipelineError);
    expect(e).toMatchObject({
      code: 'Cycle',
      reason: 'PipelineInvalidGraph',
      object: 'Pipeline/team/build',
      field: 'spec.tasks',
    });
    expect(e.message).toBe('Pipeline/team/build: the tasks form a cycle: a → b → a');
    expect(e.describe()).toContain('hint: remove one of the runAfter entries');
  });

  it('params the Pipeline does not declare are accepted, as Tekton', () => {
    const extra = validatePipeline({
      spec: { tasks: [task('a')] },
      object: 'Pipeline/team/build',
      run: {
        object: 'PipelineRun/team/ci-1',
        spec: run({ params: [{ name: 'x', value: '1' }] }).spec,
      },
      taskSpecs: TASKS,
    });
    expect(extra).toEqual([]);
  });
});
