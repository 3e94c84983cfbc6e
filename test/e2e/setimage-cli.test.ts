/**
 * `sluice set-image` as a person (or the catalog's task pod) runs it, against a real bare
 * repository: a dry run shows the diff and commits nothing; a run commits the tag with a message
 * naming the source commit, its time and the run; a Helm values key; a no-op; bad usage. Needs no cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, TestRepo } from '../../src/source/testing/fixtures.ts';
import { execFile } from '../../src/util/exec.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function bareRepo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-setimage-cli-'));
  dirs.push(root);
  const work = await TestRepo.init(join(root, 'work'));
  await work.commit(
    {
      'envs/dev/kustomization.yaml':
        'resources: [../../base]\nimages:\n  - name: web # the shop\n    newTag: 1.0.0\n',
      'charts/web/values-dev.yaml':
        '# dev values\nimage:\n  repository: localhost:5000/web\n  tag: "1.0.0"\n',
    },
    'initial',
  );
  const bare = join(root, 'deploy.git');
  await execFile('git', ['clone', '-q', '--bare', work.dir, bare]);
  return bare;
}

const sluice = (...args: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', 'set-image', ...args], {
    timeoutMs: 60_000,
    env: { ...process.env, NO_COLOR: '1', SLUICE_GIT_AUTHOR_NAME: 'CI Bot' },
  });

describe('sluice set-image', () => {
  it('--dry-run prints the diff and the message, and commits nothing', async () => {
    const bare = await bareRepo();
    const r = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/dev',
      '--image',
      'web=localhost:5000/web:3f2a9c1',
      '--source-commit',
      '3f2a9c1b7d',
      '--dry-run',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('-    newTag: 1.0.0');
    expect(r.stdout).toContain('+    newName: localhost:5000/web');
    expect(r.stdout).toContain('+    newTag: 3f2a9c1');
    expect(r.stdout).toContain('dry run: nothing committed');
    expect(r.stdout).toContain('Source commit: 3f2a9c1b7d');
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');
  });

  it('commits and pushes with a message naming the source commit and the run', async () => {
    const bare = await bareRepo();
    const args = [
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/dev',
      '--image',
      'web=web:3f2a9c1',
      '--source-commit',
      '3f2a9c1b7d',
      // git-clone's committer-date (git's %ct): written as RFC 3339
      '--source-commit-time',
      '1714557600',
      '--run',
      'ci-x7k2p',
    ];
    const r = await sluice(...args);
    expect(r.code, r.stderr).toBe(0);
    const sha = await git(bare, 'rev-parse', 'main');
    expect(r.stdout).toBe(`pushed ${sha} to main: web:3f2a9c1 in envs/dev\n`);
    expect(await git(bare, 'log', '-1', '--format=%an|%B', 'main')).toBe(
      'CI Bot|set-image: envs/dev -> web:3f2a9c1\n\nSource commit: 3f2a9c1b7d\nSource commit time: 2024-05-01T10:00:00Z\nRun: ci-x7k2p\n\nenvs/dev/kustomization.yaml: images[name=web].newTag: 1.0.0 -> 3f2a9c1',
    );
    expect(await git(bare, 'show', 'main:envs/dev/kustomization.yaml')).toBe(
      'resources: [../../base]\nimages:\n  - name: web # the shop\n    newTag: 3f2a9c1',
    );
    // The same again: nothing to change, no commit, exit 0.
    const again = await sluice(...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      'no change: envs/dev on main already has web:3f2a9c1 (no commit)',
    );
    expect(await git(bare, 'rev-parse', 'main')).toBe(sha);
  });

  it('sets a Helm values key and prints the result as JSON', async () => {
    const bare = await bareRepo();
    const r = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--values-file',
      'charts/web/values-dev.yaml',
      '--key',
      'image.tag',
      '--image',
      'localhost:5000/web:1.4.0',
      '--message',
      'deploy {{ .Image }}',
      '-o',
      'json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { pushed: boolean; commit: string; files: unknown[] };
    expect(out.pushed).toBe(true);
    expect(out.files).toEqual([
      {
        file: 'charts/web/values-dev.yaml',
        changes: [{ path: 'image.tag', oldValue: '1.0.0', newValue: '1.4.0' }],
      },
    ]);
    expect(await git(bare, 'log', '-1', '--format=%B', 'main')).toBe(
      'deploy localhost:5000/web:1.4.0',
    );
    expect(await git(bare, 'show', 'main:charts/web/values-dev.yaml')).toContain('  tag: "1.4.0"');
  });

  it('says what is wrong: bad usage exits 2, a missing Kustomization exits 1 naming it', async () => {
    const bare = await bareRepo();
    const usage = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/dev',
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--path needs at least one --image/);
    const time = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/dev',
      '--image',
      'web:1',
      '--source-commit-time',
      'yesterday',
    );
    expect(time.code).toBe(2);
    expect(time.stderr).toMatch(/--source-commit-time.*must be an RFC 3339 time with a zone/s);
    const template = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/dev',
      '--image',
      'web:1',
      '--message',
      '{{ .Nope }}',
    );
    expect(template.code).toBe(1);
    expect(template.stderr).toMatch(/commit message template: there is no field \.Nope/);
    const missing = await sluice(
      '--repo',
      `file://${bare}`,
      '--branch',
      'main',
      '--path',
      'envs/prod',
      '--image',
      'web:1',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /branch main file envs\/prod\/kustomization.yaml: the edit failed: no Kustomization in envs\/prod/,
    );
  });
});
