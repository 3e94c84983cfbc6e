import { mkdtemp, rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectFile } from './directory.ts';
import { detectTool, render } from './index.ts';
import { field, find, names, rejection, request } from './testutil.ts';

const app = (directory?: { recurse?: boolean; include?: string; exclude?: string }) =>
  request('directory/app', directory ? { directory } : {});

describe('directory apps', () => {
  it('is detected when there is no Chart.yaml or kustomization', async () => {
    expect(await detectTool(request('directory/app'))).toBe('directory');
  });

  it('reads the top level only by default, in sorted path order, Lists flattened', async () => {
    const { tool, objects } = await render(app());
    expect(tool).toBe('directory');
    expect(names(objects)).toEqual([
      'Deployment/web', // deployment.json
      'ConfigMap/from-list-a', // list.yaml (a List holding a ConfigMapList)
      'ConfigMap/from-list-b',
      'ConfigMap/settings', // multi.yaml: 3 objects, empty and null documents skipped
      'Service/web',
      'ServiceAccount/runner-',
      'Namespace/guestbook', // namespace.yaml
    ]);
    expect(field(find(objects, 'Deployment', 'web'), 'spec', 'replicas')).toBe(2);
    // No namespace is filled in: the caller defaults it using discovery.
    expect(objects.every((o) => o.metadata.namespace === undefined)).toBe(true);
  });

  it('descends into subdirectories with recurse, never into hidden ones', async () => {
    const { objects } = await render(app({ recurse: true }));
    expect(objects).toHaveLength(9);
    expect(names(objects).slice(-2)).toEqual(['Role/reader', 'Secret/creds']);
    expect(names(objects)).not.toContain('ConfigMap/hidden-must-not-render');
  });

  it('include: a glob on the path relative to the app path (* crosses /, like Argo CD)', async () => {
    const yamlOnly = await render(app({ recurse: true, include: '*.yaml' }));
    expect(names(yamlOnly.objects)).not.toContain('Deployment/web'); // .json
    expect(names(yamlOnly.objects)).not.toContain('Secret/creds'); // .yml
    expect(names(yamlOnly.objects)).toContain('Role/reader'); // nested/deeper/role.yaml
    const two = await render(app({ include: '{namespace.yaml,deployment.json}' }));
    expect(names(two.objects)).toEqual(['Deployment/web', 'Namespace/guestbook']);
  });

  it('exclude wins over include', async () => {
    const noNested = await render(app({ recurse: true, exclude: 'nested/**' }));
    expect(noNested.objects).toHaveLength(7);
    const noJson = await render(
      app({ recurse: true, include: '*', exclude: '{*.json,list.yaml}' }),
    );
    expect(names(noJson.objects)).toEqual([
      'ConfigMap/settings',
      'Service/web',
      'ServiceAccount/runner-',
      'Namespace/guestbook',
      'Role/reader',
      'Secret/creds',
    ]);
  });

  it('only ever reads .yaml, .yml and .json files', () => {
    expect(selectFile('README.md')).toBe(false);
    expect(selectFile('a.yaml.bak')).toBe(false);
    expect(selectFile('README.md', { include: '*' })).toBe(false);
    expect(selectFile('x/a.yml')).toBe(true);
  });

  it('renders zero objects (not an error) from a directory without manifests', async () => {
    const { tool, objects } = await render(
      request('directory/empty', { directory: { recurse: true } }),
    );
    expect(tool).toBe('directory');
    expect(objects).toEqual([]);
  });

  it('root path "" and "." are the repository root', async () => {
    const a = await render(request('', { directory: { include: 'none' } }));
    const b = await render(request('.', { directory: { include: 'none' } }));
    expect(a.objects).toEqual([]);
    expect(b.objects).toEqual([]);
  });
});

describe('directory errors', () => {
  it('PathNotFound for a path that does not exist, with a hint about path and revision', async () => {
    const err = await rejection(render(request('directory/nope')));
    expect(err['code']).toBe('PathNotFound');
    expect(err.message).toBe('app path "directory/nope" does not exist in the repository');
    expect(err['hint']).toMatch(/spec\.source\.path.*targetRevision/);
    expect(err['file']).toBe('directory/nope');
  });

  it('PathNotFound for a path outside the repository or that is a file', async () => {
    const outside = await rejection(render(request('../../..')));
    expect(outside['code']).toBe('PathNotFound');
    expect(outside.message).toContain('outside the repository');
    const file = await rejection(render(request('directory/app/namespace.yaml')));
    expect(file['code']).toBe('PathNotFound');
    expect(file.message).toContain('is a file, not a directory');
  });

  it('MalformedManifest for bad indentation: file, document, line:col and the YAML excerpt', async () => {
    const err = await rejection(render(request('directory/malformed-yaml')));
    expect(err['code']).toBe('MalformedManifest');
    expect(err['file']).toBe('directory/malformed-yaml/bad-indent.yaml');
    expect(err.message).toMatch(
      /^directory\/malformed-yaml\/bad-indent\.yaml document 1, line 4:\d+: invalid YAML: /,
    );
    expect(err.message).toContain('name: broken');
  });

  it('MalformedManifest for an object missing kind: file, document index and what is missing', async () => {
    const err = await rejection(render(request('directory/missing-kind')));
    expect(err['code']).toBe('MalformedManifest');
    expect(err['file']).toBe('directory/missing-kind/b-no-kind.yaml');
    expect(err.message).toBe(
      'directory/missing-kind/b-no-kind.yaml document 2 (line 6) (found kindless): `kind` is missing or not a string',
    );
    expect(err['hint']).toMatch(/apiVersion, kind and metadata\.name/);
  });

  it('MalformedManifest for broken JSON with line:col, and for a nameless List item', async () => {
    const json = await rejection(render(request('directory/bad-json')));
    expect(json['code']).toBe('MalformedManifest');
    expect(json.message).toMatch(/^directory\/bad-json\/broken\.json, line 5:3: invalid JSON/);
    const item = await rejection(render(request('directory/bad-list-item')));
    expect(item.message).toContain(
      'directory/bad-list-item/list.yaml document 1 (line 1), item 2 (line 8)',
    );
    expect(item.message).toContain('`metadata.name`');
  });
});

describe('directory symlinks', () => {
  let repo = '';
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'sluice-render-test-'));
    await mkdir(join(repo, 'app'));
    await mkdir(join(repo, 'shared'));
    await writeFile(
      join(repo, 'shared', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n',
    );
    await symlink(join(repo, 'shared', 'cm.yaml'), join(repo, 'app', 'linked.yaml'));
    await symlink(join(repo, 'gone.yaml'), join(repo, 'app', 'dangling.yaml'));
    await mkdir(join(repo, 'evil'));
    await symlink('/etc/hostname', join(repo, 'evil', 'host.yaml'));
    await symlink('/etc', join(repo, 'escape'));
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('reads files symlinked inside the repository and skips dangling links', async () => {
    const { objects } = await render({ ...request('app'), root: repo });
    expect(names(objects)).toEqual(['ConfigMap/shared']);
  });

  it('refuses symlinks that leave the repository', async () => {
    const file = await rejection(render({ ...request('evil'), root: repo }));
    expect(file['code']).toBe('MalformedManifest');
    expect(file.message).toBe('evil/host.yaml is a symlink that leads outside the repository');
    const dir = await rejection(render({ ...request('escape'), root: repo }));
    expect(dir['code']).toBe('PathNotFound');
    expect(dir.message).toContain('symlink that leads outside the repository');
  });
});
