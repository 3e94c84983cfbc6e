/**
 * Private repositories: credentials come from a Secret labelled sluice.dev/secret-type=repository
 * in the controller's namespace. A Git smart-HTTP server (real `git http-backend`) demands Basic
 * auth; the right Secret syncs, a wrong password is a clear condition that never shows it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCondition } from '../../src/gitops/conditions.ts';
import { startGitHttpServer, type GitHttpServer } from '../../src/source/git-http-server.ts';
import { freePort, hasSshd, sshKeygen, startSshd } from '../../src/source/testing/sshd.ts';
import { execFile } from '../../src/util/exec.ts';
import { kube, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  repoSecret,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('sources');
const sshAvailable = (await hasSshd()) || Boolean(process.env['CI']);
const servers: Array<{ server: GitHttpServer; root: string }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.server.close();
    await rm(s.root, { recursive: true, force: true });
  }
});

async function serve(password: string): Promise<string> {
  const repo = await createRepo({ 'app/cm.yaml': configMap('private', { from: 'https' }) });
  const root = await mkdtemp(join(tmpdir(), 'sluice-http-'));
  await execFile('git', ['clone', '-q', '--bare', repo.dir, join(root, 'deploy.git')]);
  const server = await startGitHttpServer({
    projectRoot: root,
    username: 'bot',
    password,
    bearerToken: 'unused-token',
  });
  servers.push({ server, root });
  return `${server.baseURL}/deploy.git`;
}

describe('repository credentials', () => {
  it('syncs from an authenticated https-style repository with a username/password Secret', async () => {
    const k = await kube();
    const url = await serve('s3cret-pass');
    await repoSecret(k, ns(), { url, username: 'bot', password: 's3cret-pass' }, 'repo-creds');
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: url, path: 'app' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    expect(await k.get('v1', 'ConfigMap', ns(), 'private')).toBeDefined();
  });

  it('bad credentials: a SourceFailed condition that names the repo and hides the password', async () => {
    const k = await kube();
    const url = await serve('right-pass');
    await repoSecret(k, ns(), { url, username: 'bot', password: 'wrong-pass-123' }, 'repo-creds');
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: url, path: 'app' },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(
      k,
      ns(),
      name,
      'SourceFailed',
      (a) => getCondition(a.status?.conditions, 'Ready')?.reason === 'SourceFailed',
    );
    const message = getCondition(app.status?.conditions, 'Ready')?.message ?? '';
    expect(message).toContain(url);
    expect(message).toMatch(/auth/i);
    expect(JSON.stringify(app)).not.toContain('wrong-pass-123');
    expect(await k.get('v1', 'ConfigMap', ns(), 'private')).toBeUndefined();
  });

  it.skipIf(!sshAvailable)('syncs over ssh with the key and host key of the Secret', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/cm.yaml': configMap('over-ssh', { from: 'ssh' }) });
    const root = await mkdtemp(join(tmpdir(), 'sluice-ssh-'));
    await execFile('git', ['clone', '-q', '--bare', repo.dir, join(root, 'deploy.git')]);
    const hostKey = join(root, 'host_ed25519');
    await sshKeygen(hostKey);
    const client = await sshKeygen(join(root, 'client'));
    const port = await freePort();
    const sshd = await startSshd({ dir: root, port, hostKey, authorizedKey: client.publicKey });
    try {
      const url = `ssh://${sshd.user}@127.0.0.1:${port}${join(root, 'deploy.git')}`;
      // The host key comes with the Secret (known_hosts): no host is trusted on first use.
      const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ');
      const known_hosts = `[127.0.0.1]:${port} ${type ?? ''} ${key ?? ''}\n`;
      const creds = { url, sshPrivateKey: client.privateKey, known_hosts };
      await repoSecret(k, ns(), creds, 'ssh-creds');
      await startController(k, ns());
      const name = await createApp(k, ns(), {
        source: { repoURL: url, path: 'app' },
        syncPolicy: { automated: {} },
      });
      await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
      expect(await k.get('v1', 'ConfigMap', ns(), 'over-ssh')).toBeDefined();
    } finally {
      await sshd.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
