/**
 * People other than the admin, for tests of who may do what: a client certificate for `user`
 * signed by the dev cluster's CA (so the API server authenticates them as that user, with RBAC
 * deciding the rest) and a kubeconfig for it, in a temp dir (without the CA's key), and Roles to
 * grant them.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { writeKubeconfig } from '../../src/devcluster/kubeconfig.ts';
import { issueLeaf } from '../../src/devcluster/pki.ts';
import type { Kube } from '../../src/kube/api.ts';
import { kubeconfigPath } from './harness.ts';

interface Kubeconfig {
  clusters: Array<{ cluster: { server: string } }>;
}

/** A kubeconfig that authenticates as `user`; answers its path. */
export async function userKubeconfig(user: string): Promise<string> {
  const admin = kubeconfigPath();
  const pki = join(dirname(admin), 'pki');
  const dir = await mkdtemp(join(tmpdir(), `sluice-user-${user}-`));
  await copyFile(join(pki, 'ca.crt'), join(dir, 'ca.crt'));
  await copyFile(join(pki, 'ca.key'), join(dir, 'ca.key'));
  const client = await issueLeaf(dir, { file: user, subject: `/CN=${user}`, usage: 'clientAuth' });
  await rm(join(dir, 'ca.key'));
  const server = (parse(await readFile(admin, 'utf8')) as Kubeconfig).clusters[0]!.cluster.server;
  const path = join(dir, 'kubeconfig');
  await writeKubeconfig(path, {
    clusterName: `as-${user}`,
    server,
    caCert: join(dir, 'ca.crt'),
    user,
    client,
    embed: true,
  });
  return path;
}

/** A Role in `namespace` with `rules`, bound to `user`. */
export async function grant(
  k: Kube,
  namespace: string,
  user: string,
  rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>,
): Promise<void> {
  const name = `test-${user}`;
  await k.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules,
  });
  await k.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
}
