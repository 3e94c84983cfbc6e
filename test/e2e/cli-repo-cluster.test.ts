/**
 * `sluice repo add|list|rm` and `sluice cluster add|list|rm` against the real dev cluster: the
 * Secrets they write are the ones the controller reads, credentials never show, and a cluster
 * Applications deploy to is not removed by accident.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isClusterProblem, parseClusterSecret } from '../../src/api/cluster.ts';
import { installCrds } from '../../src/api/install.ts';
import { credentialsFor } from '../../src/gitops/credentials.ts';
import { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { kube, kubeconfigPath, uniqueName, useNamespace } from './harness.ts';

const ns = useNamespace('cliadm');
const run = (args: string[], input?: string) =>
  execFile(process.execPath, ['bin/sluice.js', ...args], {
    timeoutMs: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
    ...(input === undefined ? {} : { input }),
  });
const admin = (args: string[], input?: string) =>
  run([...args, '--kubeconfig', kubeconfigPath(), '--controller-namespace', ns()], input);
const app = (...args: string[]) =>
  run(['app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()]);

describe('sluice repo and sluice cluster', () => {
  it('registers repository credentials the controller can read, and never prints them', async () => {
    const k = await kube();
    const url = 'https://git.example.com/org';
    const stdin = ['--username', 'bot', '--password-stdin', '--name', 'org'];
    const added = await admin(['repo', 'add', url, ...stdin], 'hunter2\n');
    expect(added.code, added.stderr).toBe(0);
    const again = await admin(['repo', 'add', `${url}/`, '--bearer-token', 't0ken']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already registered');
    const twoWays = ['--bearer-token', 't', '--username', 'u', '--password', 'p'];
    const contradictory = await admin(['repo', 'add', url, ...twoWays]);
    expect(contradictory.code).toBe(2);
    expect(contradictory.stderr).toContain('give one way to authenticate');
    const secrets = await k.list('v1', 'Secret', {
      namespace: ns(),
      labelSelector: 'sluice.dev/secret-type=repository',
    });
    expect(secrets.items.map((s) => s.metadata.name)).toEqual(['repo-org']);
    // The password came from stdin; the controller reads what was written.
    expect(credentialsFor(`${url}/app.git`, secrets.items)).toEqual({
      username: 'bot',
      password: 'hunter2',
    });

    const key = join(await mkdtemp(join(tmpdir(), 'sluice-key-')), 'id');
    await writeFile(key, 'PRIVATE-KEY-TEXT');
    expect(
      (
        await admin([
          'repo',
          'add',
          'git@git.example.com:org/app.git',
          '--ssh-private-key-path',
          key,
        ])
      ).code,
    ).toBe(0);
    const upsert = await admin([
      'repo',
      'add',
      url,
      '--bearer-token',
      'secret-t0ken',
      '--upsert',
      '--name',
      'org',
    ]);
    expect(upsert.code, upsert.stderr).toBe(0);
    const list = await admin(['repo', 'list', '-o', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        url: 'git@git.example.com:org/app.git',
        type: 'ssh',
        auth: 'ssh-key',
      }),
      {
        url,
        type: 'https',
        auth: 'bearer-token',
        insecure: false,
        name: 'org',
        secret: 'repo-org',
      },
    ]);
    const table = await admin(['repo', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^URL\\s+TYPE\\s+AUTH\\s+INSECURE\\s+SECRET\\n`));
    for (const out of [list.stdout, table.stdout])
      expect(out).not.toMatch(/secret-t0ken|PRIVATE-KEY/);

    expect((await admin(['repo', 'rm', url])).code).toBe(0);
    expect((await admin(['repo', 'rm', url])).code).toBe(3);
    expect(JSON.parse((await admin(['repo', 'list', '-o', 'json'])).stdout)).toHaveLength(1);
  });

  it('registers a cluster from a kubeconfig with certificate files, and refuses to remove one in use', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    // The dev cluster's kubeconfig, rewritten to point at certificate files (as many are).
    const dir = await mkdtemp(join(tmpdir(), 'sluice-kc-'));
    const source = new KubeConfig();
    source.loadFromFile(kubeconfigPath());
    const [c, u] = [source.getCurrentCluster(), source.getCurrentUser()];
    for (const [file, data] of [
      ['ca.crt', c?.caData],
      ['admin.crt', u?.certData],
      ['admin.key', u?.keyData],
    ] as const)
      await writeFile(join(dir, file), Buffer.from(data ?? '', 'base64'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(
      kc,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: b\n  cluster: {server: '${c?.server ?? ''}', certificate-authority: ca.crt}\nusers:\n- name: admin\n  user: {client-certificate: admin.crt, client-key: admin.key}\ncontexts:\n- name: other\n  context: {cluster: b, user: admin}\n- name: b-admin\n  context: {cluster: b, user: admin}\ncurrent-context: other\n`,
    );

    const name = uniqueName('b');
    const hub = ['--hub-kubeconfig', kubeconfigPath(), '--controller-namespace', ns()];
    const wrong = await run([
      'cluster',
      'add',
      name,
      '--kubeconfig',
      kc,
      '--context',
      'nope',
      ...hub,
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('its contexts: other, b-admin');
    const added = await run([
      'cluster',
      'add',
      name,
      '--kubeconfig',
      kc,
      '--context',
      'b-admin',
      ...hub,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect((await run(['cluster', 'add', name, '--kubeconfig', kc, ...hub])).code).toBe(1);

    // The Secret is the contract's, and its kubeconfig connects on its own.
    const secret = await k.get('v1', 'Secret', ns(), `cluster-${name}`);
    const spec = secret && parseClusterSecret(secret);
    if (!spec || isClusterProblem(spec) || !('kubeconfig' in spec.auth))
      throw new Error(`bad Secret: ${JSON.stringify(spec)}`);
    expect(spec.server).toBe(c?.server);
    expect(spec.auth.kubeconfig).not.toContain(dir);
    const flat = new KubeConfig();
    flat.loadFromString(spec.auth.kubeconfig);
    const remote = await Kube.connect(flat);
    try {
      expect(await remote.get('v1', 'Namespace', undefined, ns())).toBeDefined();
    } finally {
      await remote.close();
    }

    const list = await admin(['cluster', 'list', '-o', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: 'in-cluster', server: 'https://kubernetes.default.svc', secret: '' },
      { name, server: c?.server, secret: `cluster-${name}` },
    ]);
    expect((await admin(['cluster', 'list'])).stdout).toMatch(
      /^NAME\s+SERVER\s+SECRET\nin-cluster\s+https:\/\/kubernetes.default.svc\n/,
    );

    expect(
      (await app('create', 'remote', '--repo', 'file:///nowhere', '--dest-name', name)).code,
    ).toBe(0);
    const inUse = await admin(['cluster', 'rm', name]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain(`${ns()}/remote`);
    expect((await admin(['cluster', 'rm', name, '--force'])).code).toBe(0);
    expect((await admin(['cluster', 'rm', name])).code).toBe(3);
  });
});
