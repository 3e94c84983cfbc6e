/**
 * The argocd habits people bring, tried as a new user would: argocd's flag names on `app create`
 * and `app set`, `app unset`, `app patch`, `app resources`, `app manifests`, `app diff -o json`,
 * `app sync --dry-run`, `app wait --operation` and `app terminate-op` with nothing running,
 * against the real dev cluster (`repo` and `cluster`: cli-repo-cluster.test.ts).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import type { Change } from '../../src/gitops/changes.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { configMap, createRepo, deployment, startController } from './gitops-harness.ts';
import { kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('cliargo');
const run = (args: string[], input?: string) =>
  execFile(process.execPath, ['bin/sluice.js', ...args], {
    timeoutMs: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
    ...(input === undefined ? {} : { input }),
  });
const app = (...args: string[]) =>
  run(['app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()]);
const getSpec = async (name: string) =>
  (JSON.parse((await app('get', name, '-o', 'json')).stdout) as Application).spec;

const chart = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'chart/values.yaml': 'replicaCount: 1\ntag: "1.0"\ncolor: red\n',
  'chart/values-production.yaml': 'replicaCount: 2\n',
  'chart/values-staging.yaml': 'replicaCount: 4\n',
  'chart/templates/web.yaml': [
    deployment('web', 9, 'nginx:{{ .Values.tag }}').replace(
      'replicas: 9',
      'replicas: {{ .Values.replicaCount }}',
    ),
    '---',
    configMap('settings', { color: '{{ .Values.color }}' }),
  ].join('\n'),
};

describe('sluice app, with argocd’s flags and commands', () => {
  it('creates, changes, inspects and dry-runs apps as argocd users expect', async () => {
    const k = await kube();
    const dest = `${ns()}-gb`;
    const repo = await createRepo({
      'guestbook/web.yaml': deployment('web', 2),
      'guestbook/secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c3VwZXItc2VjcmV0\n',
      ...chart,
    });
    await startController(k, ns());
    const both = await app(
      'create',
      'x',
      '--repo',
      repo.url,
      '--dest-server',
      'https://a',
      '--dest-name',
      'b',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--dest-server and --dest-name');
    const created = await app(
      'create',
      'guestbook',
      '--repo',
      repo.url,
      '--path',
      'guestbook',
      '--revision',
      'main',
      '--dest-server',
      'https://kubernetes.default.svc',
      '--dest-namespace',
      dest,
      '--sync-policy',
      'auto',
      '--sync-option',
      'CreateNamespace=true',
    );
    expect(created.code, created.stderr).toBe(0);
    try {
      expect((await app('wait', 'guestbook', '--timeout', '60')).code).toBe(0);

      // resources: argocd's columns; -o json is the status list.
      const table = await app('resources', 'guestbook');
      expect(table.stdout).toMatch(/^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+STATUS\s+HEALTH\s+HOOK/);
      expect(table.stdout).toMatch(
        new RegExp(`apps\\s+Deployment\\s+${dest}\\s+web\\s+Synced\\s+Healthy`),
      );
      const rows = JSON.parse((await app('resources', 'guestbook', '-o', 'json')).stdout) as Array<{
        kind: string;
      }>;
      expect(rows.map((r) => r.kind).sort()).toEqual(['Deployment', 'Secret']);

      // manifests from Git and live; Secret values never shown.
      const git = await app('manifests', 'guestbook');
      expect(git.code, git.stderr).toBe(0);
      const docs = parseAllDocuments(git.stdout).map((d) => d.toJS() as KubeObject);
      expect(docs.map((d) => d.kind).sort()).toEqual(['Deployment', 'Secret']);
      const live = JSON.parse(
        (await app('manifests', 'guestbook', '--source', 'live', '-o', 'json')).stdout,
      ) as KubeObject[];
      expect(live.find((o) => o.kind === 'Deployment')?.metadata.uid).toBeTruthy();
      expect(live.find((o) => o.kind === 'Deployment')?.metadata.managedFields).toBeUndefined();
      for (const out of [git.stdout, JSON.stringify(live)])
        expect(out).not.toContain('c3VwZXItc2VjcmV0');

      // diff -o json: unchanged while in sync (exit 0); drift shows as data (exit 1).
      const same = await app('diff', 'guestbook', '-o', 'json');
      expect(same.code, same.stderr).toBe(0);
      expect((JSON.parse(same.stdout) as Change[]).every((c) => c.action === 'unchanged')).toBe(
        true,
      );
      await k.mergePatch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: dest } },
        { spec: { replicas: 5 } },
      );
      const drift = await app('diff', 'guestbook', '-o', 'json');
      expect(drift.code).toBe(1);
      const web = (JSON.parse(drift.stdout) as Change[]).find((c) => c.kind === 'Deployment');
      expect(web).toMatchObject({
        group: 'apps',
        version: 'v1',
        namespace: dest,
        name: 'web',
        action: 'update',
        changedPaths: ['/spec/replicas'],
      });
      expect((web?.live?.['spec'] as { replicas: number }).replicas).toBe(5);
      expect(drift.stdout).not.toContain('c3VwZXItc2VjcmV0');

      // sync --dry-run says what a sync would do and changes nothing.
      const dry = await app('sync', 'guestbook', '--dry-run');
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(
        new RegExp(`configure\\s+Deployment\\.apps\\s+${dest}\\s+web\\s+/spec/replicas`),
      );
      expect(dry.stdout).toMatch(/unchanged\s+Secret\s+/);
      const steps = JSON.parse(
        (
          await app(
            'sync',
            'guestbook',
            '--dry-run',
            '--resource',
            'apps:Deployment:web',
            '-o',
            'json',
          )
        ).stdout,
      ) as Array<{ action: string; kind: string }>;
      expect(steps).toEqual([expect.objectContaining({ action: 'configure', kind: 'Deployment' })]);
      const after = await k.get<KubeObject & { spec: { replicas: number } }>(
        'apps/v1',
        'Deployment',
        dest,
        'web',
      );
      expect(after?.spec.replicas).toBe(5);
      expect(
        (JSON.parse((await app('get', 'guestbook', '-o', 'json')).stdout) as Application).operation,
      ).toBeUndefined();
      expect((await app('sync', 'guestbook', '--resource', 'Deployment:web')).code).toBe(2);

      // wait --operation; terminate-op with nothing running.
      expect((await app('sync', 'guestbook', '--async')).code).toBe(0);
      const waited = await app('wait', 'guestbook', '--operation', '--timeout', '60');
      expect(waited.code, waited.stderr).toBe(0);
      const done = JSON.parse((await app('get', 'guestbook', '-o', 'json')).stdout) as Application;
      expect(done.operation).toBeUndefined();
      expect(done.status?.operationState?.phase).toBe('Succeeded');
      const idle = await app('terminate-op', 'guestbook');
      expect(idle.code).toBe(1);
      expect(idle.stderr).toContain('no operation is running for guestbook');
    } finally {
      await k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } });
    }
  });

  it('sets, unsets and patches the source, values and destination of an app', async () => {
    const k = await kube();
    const repo = await createRepo(chart);
    await installCrds(k, silentProgress);
    const literal = join(await mkdtemp(join(tmpdir(), 'sluice-values-')), 'inline.yaml');
    await writeFile(literal, 'color: blue\n');
    const created = await app(
      'create',
      'web',
      '--repo',
      repo.url,
      '--path',
      'chart',
      '--dest-namespace',
      ns(),
      '--values',
      'values-production.yaml',
      '--helm-set',
      'replicaCount=3',
      '--helm-set-string',
      'tag=1.10',
      '--values-literal-file',
      literal,
    );
    expect(created.code, created.stderr).toBe(0);
    expect((await getSpec('web')).source.helm).toEqual({
      valueFiles: ['values-production.yaml'],
      values: 'color: blue\n',
      parameters: [
        { name: 'replicaCount', value: '3' },
        { name: 'tag', value: '1.10', forceString: true },
      ],
    });
    const rendered = async () => {
      const out = await app('manifests', 'web', '-o', 'json');
      expect(out.code, out.stderr).toBe(0);
      const objects = JSON.parse(out.stdout) as Array<
        KubeObject & {
          spec?: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
          data?: Record<string, string>;
        }
      >;
      const d = objects.find((o) => o.kind === 'Deployment');
      return {
        replicas: d?.spec?.replicas,
        image: d?.spec?.template.spec.containers[0]?.image,
        color: objects.find((o) => o.kind === 'ConfigMap')?.data?.['color'],
      };
    };
    expect(await rendered()).toEqual({ replicas: 3, image: 'nginx:1.10', color: 'blue' });

    const set = await app(
      'set',
      'web',
      '--values',
      'values-staging.yaml',
      '--helm-set',
      'replicaCount=5',
      '--release-name',
      'shop',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('/spec/source/helm/valueFiles/0');
    expect((await getSpec('web')).source.helm?.parameters?.[0]).toEqual({
      name: 'replicaCount',
      value: '5',
    });
    const unset = await app('unset', 'web', '--helm-set', 'replicaCount', '--values-literal');
    expect(unset.code, unset.stderr).toBe(0);
    expect(await rendered()).toEqual({ replicas: 4, image: 'nginx:1.10', color: 'red' });
    expect((await app('unset', 'web', '--values', 'nope.yaml')).stderr).toContain(
      'nothing changed',
    );
    expect((await app('set', 'web')).code).toBe(2);
    expect((await app('set', 'web', '--values', 'v.yaml', '--kustomize-image', 'web:2')).code).toBe(
      2,
    );
    const dest = await app('set', 'web', '--dest-name', 'elsewhere');
    expect(dest.code, dest.stderr).toBe(0);
    expect((await getSpec('web')).destination).toEqual({ name: 'elsewhere', namespace: ns() });

    const json = await app(
      'patch',
      'web',
      '--patch',
      '[{"op": "replace", "path": "/spec/source/targetRevision", "value": "main"}]',
    );
    expect(json.code, json.stderr).toBe(0);
    const merge = await app(
      'patch',
      'web',
      '--type',
      'merge',
      '--patch',
      '{"spec": {"destination": {"name": null, "server": "https://kubernetes.default.svc"}}}',
    );
    expect(merge.code, merge.stderr).toBe(0);
    const spec = await getSpec('web');
    expect(spec.source.targetRevision).toBe('main');
    expect(spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: ns() });
    const bad = await app('patch', 'web', '--patch', '[{"op": "replace", path: 1}]');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--patch is not valid JSON');
    expect((await app('patch', 'nope', '--type', 'merge', '--patch', '{}')).code).toBe(3);
  });
});
