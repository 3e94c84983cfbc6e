/** Where a Kustomization edit looks: a directory's Kustomization file, or the file named. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kustomizationFile } from './edits.ts';
import { FileEditError } from './files.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-edits-'));
  await mkdir(join(dir, 'envs/dev'), { recursive: true });
  await mkdir(join(dir, 'envs/prod'), { recursive: true });
  await mkdir(join(dir, 'envs/none'), { recursive: true });
  await writeFile(join(dir, 'envs/dev/kustomization.yaml'), 'resources: []\n');
  await writeFile(join(dir, 'envs/prod/Kustomization'), 'resources: []\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('kustomizationFile', () => {
  it.each([
    ['envs/dev', 'envs/dev/kustomization.yaml'],
    ['envs/dev/kustomization.yaml', 'envs/dev/kustomization.yaml'],
    ['envs/prod', 'envs/prod/Kustomization'],
    ['envs/prod/Kustomization', 'envs/prod/Kustomization'],
  ])('%s → %s', async (path, want) => {
    expect(await kustomizationFile(dir, path)).toBe(want);
  });

  it.each(['envs/none', 'envs/none/kustomization.yaml', 'envs/dev/kustomization.yml'])(
    '%s: no Kustomization, said so',
    async (path) => {
      await expect(kustomizationFile(dir, path)).rejects.toThrow(FileEditError);
      await expect(kustomizationFile(dir, path)).rejects.toThrow(/no Kustomization in/);
    },
  );
});
