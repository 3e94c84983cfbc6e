/**
 * Signed commits (spec.source.verify) and ssh host keys without trust on first use, with the
 * in-process controller on the dev cluster and real git, gpg, ssh-keygen and sshd.
 *
 * - a signed commit syncs; an unsigned one, or one by a key the Secret does not hold, is refused
 *   (Ready=False UnverifiedCommit naming the commit, the key and the Secret) and nothing of it is
 *   applied; a missing Secret is a retried GateFailed naming it; Tag mode checks the tag.
 * - an ssh repository whose host key is trusted nowhere fails with the key's fingerprint; the
 *   ConfigMap sluice-ssh-known-hosts makes it sync.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { Application } from '../../src/api/application.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { Kube } from '../../src/kube/api.ts';
import { freePort, hasSshd, sshKeygen, startSshd } from '../../src/source/testing/sshd.ts';
import {
  commitFiles,
  pgpSigner,
  sshSigner,
  tag,
  type Signer,
} from '../../src/source/verify/testing.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import {
  configMap,
  createApp,
  createRepo,
  repoSecret,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';
import { kube, useNamespace } from './harness.ts';

const ns = useNamespace('verify');
const sshAvailable = (await hasSshd()) || Boolean(process.env['CI']);

let keysDir: string;
let alice: Signer; // trusted (PGP)
let mallory: Signer; // not trusted (PGP)
let bob: Signer; // trusted (ssh)

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'sluice-signers-'));
  [alice, mallory, bob] = await Promise.all([
    pgpSigner(keysDir, 'alice'),
    pgpSigner(keysDir, 'mallory'),
    sshSigner(keysDir, 'bob'),
  ]);
}, 60_000);

// The dev cluster is shared: another checkout may have installed its own Application CRD since.
beforeEach(async () => {
  await installCrds(await kube(), silentProgress);
});

afterAll(async () => {
  await Promise.all([alice, mallory].map((s) => s?.stop()));
  await rm(keysDir, { recursive: true, force: true });
});

const ready = (a: Application) => getCondition(a.status?.conditions, 'Ready');
const reason = (r: string) => (a: Application) => ready(a)?.reason === r;

async function signersSecret(k: Kube, data: Record<string, string>): Promise<void> {
  await k.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'signers', namespace: ns() },
    stringData: data,
  });
}

const liveValue = async (k: Kube, name: string): Promise<string | undefined> =>
  ((await k.get('v1', 'ConfigMap', ns(), name))?.['data'] as Record<string, string> | undefined)?.[
    'v'
  ];

describe('signed commits (spec.source.verify)', () => {
  it('syncs a signed commit; refuses an unsigned one and one by an unknown key, applying nothing of them', async () => {
    const k = await kube();
    const repo = await createRepo({});
    await commitFiles(repo.dir, { 'app/cm.yaml': configMap('signed', { v: '1' }) }, 'v1', alice);
    await signersSecret(k, { ...alice.secretData, ...bob.secretData });
    const controller = await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: {
        repoURL: repo.url,
        targetRevision: 'main',
        path: 'app',
        verify: { mode: 'HEAD', secretRef: { name: 'signers' } },
      },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    expect(await liveValue(k, 'signed')).toBe('1');

    // Unsigned: refused, naming the commit and the Secret; the live object keeps its value.
    const unsigned = await commitFiles(
      repo.dir,
      { 'app/cm.yaml': configMap('signed', { v: '2' }) },
      'v2',
    );
    controller.applications.refresh(ns(), name);
    let app = await waitApp(k, ns(), name, 'UnverifiedCommit', reason('UnverifiedCommit'));
    expect(ready(app)?.status).toBe('False');
    expect(ready(app)?.message).toContain(`commit ${unsigned} is not signed`);
    expect(ready(app)?.message).toContain(`Secret ${ns()}/signers`);
    expect(await liveValue(k, 'signed')).toBe('1');

    // Signed by a key the Secret does not hold: refused, naming the key.
    const byMallory = await commitFiles(
      repo.dir,
      { 'app/cm.yaml': configMap('signed', { v: '3' }) },
      'v3',
      mallory,
    );
    controller.applications.refresh(ns(), name);
    app = await waitApp(k, ns(), name, 'refusal of the unknown key', (a) =>
      Boolean(ready(a)?.message?.includes(byMallory)),
    );
    expect(ready(app)?.reason).toBe('UnverifiedCommit');
    expect(ready(app)?.message).toContain(
      `commit ${byMallory} is signed by PGP key ${mallory.keyId} (fingerprint ${mallory.fingerprint}), which is not in Secret ${ns()}/signers`,
    );
    expect(await liveValue(k, 'signed')).toBe('1');

    // An ssh-signed commit by a trusted key syncs.
    const byBob = await commitFiles(
      repo.dir,
      { 'app/cm.yaml': configMap('signed', { v: '4' }) },
      'v4',
      bob,
    );
    controller.applications.refresh(ns(), name);
    await waitApp(
      k,
      ns(),
      name,
      'synced at the signed commit',
      (a) => syncedHealthy(a) && a.status?.sync?.revision === byBob,
    );
    expect(await liveValue(k, 'signed')).toBe('4');

    // Verdicts are cached: more reconciles of the same commit check no signature again.
    const { checks } = controller.applications.signedCommits.stats;
    for (let i = 0; i < 3; i++) controller.applications.refresh(ns(), name);
    await new Promise((r) => setTimeout(r, 1500));
    expect(controller.applications.signedCommits.stats.checks).toBe(checks);
    expect(controller.applications.signedCommits.stats.cached).toBeGreaterThan(0);
  });

  it('a missing Secret is a retried GateFailed naming it; once created, the app syncs', async () => {
    const k = await kube();
    const repo = await createRepo({});
    await commitFiles(repo.dir, { 'app/cm.yaml': configMap('later', { v: '1' }) }, 'v1', alice);
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', verify: { secretRef: { name: 'signers' } } },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(k, ns(), name, 'GateFailed', reason('GateFailed'));
    expect(ready(app)?.message).toContain(
      `Secret ${ns()}/signers (the trusted signature keys) not found`,
    );
    // Not stalled: retried with backoff until the Secret exists.
    expect(getCondition(app.status?.conditions, 'Stalled')?.status).toBe('False');
    expect(await k.get('v1', 'ConfigMap', ns(), 'later')).toBeUndefined();
    await signersSecret(k, alice.secretData);
    await waitApp(k, ns(), name, 'Synced/Healthy after the Secret appears', syncedHealthy, 60_000);
  });

  it('Tag mode checks the annotated tag, and refuses a lightweight one', async () => {
    const k = await kube();
    const repo = await createRepo({});
    // The commit is unsigned: in Tag mode only the tag's signature counts (as in Flux).
    await commitFiles(repo.dir, { 'app/cm.yaml': configMap('tagged', { v: '1' }) }, 'v1');
    await tag(repo.dir, 'v1.0.0', { signer: alice });
    await tag(repo.dir, 'light', 'lightweight');
    await signersSecret(k, alice.secretData);
    await startController(k, ns());
    const verify = { mode: 'Tag' as const, secretRef: { name: 'signers' } };
    const good = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'v1.0.0', verify },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), good, 'Synced/Healthy', syncedHealthy);
    const light = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app', targetRevision: 'light', verify },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(k, ns(), light, 'UnverifiedTag', reason('UnverifiedTag'));
    expect(ready(app)?.message).toContain(
      'tag light is a lightweight tag and carries no signature',
    );
  });
});

describe.skipIf(!sshAvailable)('ssh host keys (no trust on first use)', () => {
  it('an unknown host fails with its key fingerprint; the ConfigMap sluice-ssh-known-hosts makes it sync', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/cm.yaml': configMap('over-ssh', { v: '1' }) });
    const root = await mkdtemp(join(tmpdir(), 'sluice-ssh-'));
    await execFile('git', ['clone', '-q', '--bare', repo.dir, join(root, 'deploy.git')]);
    const hostKey = join(root, 'host_ed25519');
    await sshKeygen(hostKey);
    const client = await sshKeygen(join(root, 'client'));
    const port = await freePort();
    const sshd = await startSshd({ dir: root, port, hostKey, authorizedKey: client.publicKey });
    try {
      const url = `ssh://${sshd.user}@127.0.0.1:${port}${join(root, 'deploy.git')}`;
      await repoSecret(k, ns(), { url, sshPrivateKey: client.privateKey }, 'ssh-creds');
      await startController(k, ns());
      const name = await createApp(k, ns(), {
        source: { repoURL: url, path: 'app' },
        syncPolicy: { automated: {} },
      });
      const app = await waitApp(k, ns(), name, 'SourceFailed', reason('SourceFailed'));
      const fingerprint = (
        await execFile('ssh-keygen', ['-l', '-f', `${hostKey}.pub`])
      ).stdout.split(' ')[1];
      const message = ready(app)?.message ?? '';
      expect(message).toContain('the ssh host key is not known (no trust on first use)');
      expect(message).toContain(`offers ED25519 ${fingerprint ?? '?'}`);
      expect(message).toContain('sluice-ssh-known-hosts');
      expect(await k.get('v1', 'ConfigMap', ns(), 'over-ssh')).toBeUndefined();

      const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ');
      await k.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'sluice-ssh-known-hosts', namespace: ns() },
        data: {
          ssh_known_hosts: `# the test's sshd\n[127.0.0.1]:${port} ${type ?? ''} ${key ?? ''}\n`,
        },
      });
      await waitApp(k, ns(), name, 'Synced/Healthy with the ConfigMap', syncedHealthy, 60_000);
      expect(await liveValue(k, 'over-ssh')).toBe('1');
    } finally {
      await sshd.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
