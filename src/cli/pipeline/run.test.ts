/** `pipeline run -f`: files, directories and repeats, read as kubectl reads them. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../errors.ts';
import { readAll } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-run-f-'));
const doc = (kind: string, name: string, api = 'tekton.dev/v1') =>
  `apiVersion: ${api}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: {}\n`;
mkdirSync(join(dir, 'ci'));
writeFileSync(join(dir, 'ci', 'b-pipeline.yml'), doc('Pipeline', 'build'));
writeFileSync(
  join(dir, 'ci', 'a-task.yaml'),
  doc('Task', 'compile') + '---\n' + doc('Task', 'lint'),
);
writeFileSync(join(dir, 'ci', 'README.md'), '# not YAML');
writeFileSync(join(dir, 'run.yaml'), doc('PipelineRun', 'nightly'));
mkdirSync(join(dir, 'empty'));

describe('readAll', () => {
  it('reads a directory (its YAML files, sorted) then a file; Tekton v1 becomes ours', async () => {
    const docs = await readAll([join(dir, 'ci'), join(dir, 'run.yaml')]);
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}/${d.metadata.name}`)).toEqual([
      'sluice.dev/v1alpha1 Task/compile',
      'sluice.dev/v1alpha1 Task/lint',
      'sluice.dev/v1alpha1 Pipeline/build',
      'sluice.dev/v1alpha1 PipelineRun/nightly',
    ]);
  });

  it.each([
    ['a directory without YAML', 'empty', /empty holds no \.yaml or \.yml file/],
    ['a file that is not there', 'nope.yaml', /cannot read .*nope\.yaml/],
  ])('refuses %s, naming it', async (_what, path, message) => {
    const err = await readAll([join(dir, path)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as Error).message).toMatch(message);
  });
});
