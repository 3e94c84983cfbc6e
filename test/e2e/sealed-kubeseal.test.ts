/**
 * Interoperability with the real `kubeseal` (Sealed Secrets' CLI, built from its Go module into
 * the tool cache by the setup below), both ways:
 * - kubeseal seals with the certificate Sluice's controller serves; the controller unseals it
 *   (the SealedSecret changed only in its apiVersion);
 * - `sluice seal` output (and `--re-encrypt` output) is opened by `kubeseal --recovery-unseal`
 *   with Sluice's keys, given as kubeseal reads them: a backup of the key Secrets, or a PEM key.
 * The controller runs in the test process with the test's namespace as its own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { installCrds } from '../../src/api/install.ts';
import {
  SLUICE_SEALED_API_VERSION,
  type SealedSecret,
  type Secret,
} from '../../src/api/sealedsecret.ts';
import { ensureExtraTool, KUBESEAL } from '../../src/devcluster/build.ts';
import type { Kube } from '../../src/kube/api.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { SealedSecretsController } from '../../src/sealed/controller.ts';
import { parseCertificate } from '../../src/sealed/keys.ts';
import { KEY_LABEL } from '../../src/sealed/keystore.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentLogger } from '../../src/util/log.ts';
import { consoleProgress, silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('kubeseal');
let kubeseal = '';
let dir = '';

beforeAll(async () => {
  kubeseal = await ensureExtraTool(
    KUBESEAL,
    process.env['CI'] ? consoleProgress() : silentProgress,
  );
  await installCrds(await kube(), silentProgress);
  dir = await mkdtemp(join(tmpdir(), 'sluice-kubeseal-'));
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** kubeseal with the dev cluster's kubeconfig (it is only read for defaults). */
async function runKubeseal(args: string[], input: string): Promise<string> {
  const r = await execFile(kubeseal, args, {
    input,
    env: { ...process.env, KUBECONFIG: kubeconfigPath() },
  });
  if (r.code !== 0) throw new Error(`kubeseal ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sluice = (args: string[], input = '') =>
  execFile(process.execPath, ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath()], {
    input,
  });

/** The controller for this test's namespace; answers the URL of its HTTP routes. */
async function startController(k: Kube): Promise<string> {
  const manager = new Manager({
    kube: k,
    namespace: ns(),
    log: silentLogger,
    leaderElection: { enabled: false },
  });
  const controller = new SealedSecretsController({
    kube: k,
    log: silentLogger,
    namespace: ns(),
    namespaces: [ns()],
  });
  manager.add(controller);
  const server = createServer((req, res) => {
    if (!controller.handler(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await manager.start();
  onTestFinished(async () => {
    await manager.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await eventually('the controller certificate', async () =>
    (await fetch(`${url}/v1/cert.pem`)).status === 200 ? true : undefined,
  );
  return url;
}

function secretYaml(
  name: string,
  values: Record<string, string>,
  annotations?: Record<string, string>,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns(), ...(annotations ? { annotations } : {}) },
    type: 'Opaque',
    stringData: values,
  });
}

const text = (s: Secret | undefined, key: string) =>
  Buffer.from(s?.data?.[key] ?? '', 'base64').toString();

async function syncedSecret(k: Kube, name: string): Promise<Secret> {
  return eventually(`Secret ${name} from its SealedSecret`, async () => {
    const ss = await k.get<SealedSecret>(SLUICE_SEALED_API_VERSION, 'SealedSecret', ns(), name);
    const c = ss?.status?.conditions?.find((x) => x.type === 'Synced');
    if (c?.status === 'False') throw new Error(`${c.reason ?? ''}: ${c.message ?? ''}`);
    return c?.status === 'True' ? k.get<Secret>('v1', 'Secret', ns(), name) : undefined;
  });
}

/** The key Secrets as `kubectl get secret -l ... -o yaml` gives them: a kubeseal recovery file. */
async function keyBackup(k: Kube): Promise<string> {
  const list = await k.list('v1', 'Secret', {
    namespace: ns(),
    labelSelector: `${KEY_LABEL}=active`,
  });
  const file = join(dir, `${ns()}-keys.yaml`);
  await writeFile(file, stringify({ apiVersion: 'v1', kind: 'List', items: list.items }));
  return file;
}

describe('kubeseal interoperability', () => {
  it('kubeseal seals with the certificate Sluice serves, and Sluice unseals', async () => {
    const k = await kube();
    const url = await startController(k);
    const certFile = join(dir, `${ns()}-cert.pem`);
    const certPem = await (await fetch(`${url}/v1/cert.pem`)).text();
    await writeFile(certFile, certPem);
    // Should a blob not open, say for which key kubeseal sealed and which key Secrets exist.
    const why = async (err: unknown): Promise<never> => {
      const secrets = await k.list('v1', 'Secret', {
        namespace: ns(),
        labelSelector: `${KEY_LABEL}=active`,
      });
      const names = secrets.items.map(
        (s) => `${s.metadata.name ?? ''} (${s.metadata.creationTimestamp ?? ''})`,
      );
      throw new Error(
        `${String(err)}\nkubeseal sealed for ${parseCertificate(certPem).fingerprint}; key Secrets: ${names.join(', ')}`,
      );
    };

    // A whole Secret, strict scope: kubeseal's output with only the apiVersion changed.
    const out = parse(
      await runKubeseal(
        ['--cert', certFile, '-o', 'yaml'],
        secretYaml('db', { password: 'hunter2' }),
      ),
    ) as SealedSecret;
    expect(out.apiVersion).toBe('bitnami.com/v1alpha1');
    await k.create({ ...out, apiVersion: SLUICE_SEALED_API_VERSION });
    expect(text(await syncedSecret(k, 'db').catch(why), 'password')).toBe('hunter2');

    // A raw value, namespace-wide, opened under a name kubeseal never saw.
    await writeFile(join(dir, `${ns()}-value`), 'namespace value');
    const blob = await runKubeseal(
      [
        '--raw',
        '--cert',
        certFile,
        '--scope',
        'namespace-wide',
        '--namespace',
        ns(),
        '--from-file',
        join(dir, `${ns()}-value`),
      ],
      '',
    );
    await k.create({
      apiVersion: SLUICE_SEALED_API_VERSION,
      kind: 'SealedSecret',
      metadata: {
        name: 'any-name',
        namespace: ns(),
        annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
      },
      spec: { encryptedData: { value: blob } },
    });
    expect(text(await syncedSecret(k, 'any-name').catch(why), 'value')).toBe('namespace value');
  });

  it('kubeseal --recovery-unseal opens what `sluice seal` sealed, with Sluice’s keys', async () => {
    const k = await kube();
    await startController(k);
    const sealed = await sluice(
      [
        'seal',
        '--controller-namespace',
        ns(),
        '--api-version',
        'bitnami.com/v1alpha1',
        '-o',
        'yaml',
      ],
      secretYaml('db', { password: 'from sluice', user: 'app' }),
    );
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    const backup = await keyBackup(k);
    const unsealed = JSON.parse(
      await runKubeseal(
        ['--recovery-unseal', '--recovery-private-key', backup, '-o', 'json'],
        sealed.stdout,
      ),
    ) as Secret;
    expect(text(unsealed, 'password')).toBe('from sluice');
    expect(text(unsealed, 'user')).toBe('app');

    // The same key as a PEM file (tls.key), as a person restoring from a key file would.
    const keys = await k.list<Secret>('v1', 'Secret', {
      namespace: ns(),
      labelSelector: `${KEY_LABEL}=active`,
    });
    const pemFile = join(dir, `${ns()}-key.pem`);
    await writeFile(pemFile, Buffer.from(keys.items[0]?.data?.['tls.key'] ?? '', 'base64'));
    const again = JSON.parse(
      await runKubeseal(
        ['--recovery-unseal', '--recovery-private-key', pemFile, '-o', 'json'],
        sealed.stdout,
      ),
    ) as Secret;
    expect(text(again, 'password')).toBe('from sluice');
  });

  it('`sluice seal --re-encrypt` output opens in kubeseal; --validate says which blob does not open', async () => {
    const k = await kube();
    await startController(k);
    const sealed = await sluice(
      ['seal', '--controller-namespace', ns(), '-o', 'yaml'],
      secretYaml('db', { pw: 'v1' }),
    );
    expect(sealed.code).toBe(0);
    const ok = await sluice(['seal', '--validate', '--controller-namespace', ns()], sealed.stdout);
    expect(ok.stdout).toBe(`SealedSecret/${ns()}/db: 1 value open\n`);
    expect(ok.code).toBe(0);

    const renamed = sealed.stdout.replace(/^ {2}name: db$/m, '  name: other');
    const bad = await sluice(['seal', '--validate', '--controller-namespace', ns()], renamed);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `SealedSecret/${ns()}/other: encryptedData.pw was not sealed for ${ns()}/other`,
    );

    const rotated = await sluice(
      ['seal', '--re-encrypt', '--controller-namespace', ns()],
      sealed.stdout,
    );
    expect(rotated.code).toBe(0);
    const doc = parse(rotated.stdout) as SealedSecret;
    const before = parse(sealed.stdout) as SealedSecret;
    expect(doc.spec.encryptedData['pw']).not.toBe(before.spec.encryptedData['pw']);
    const unsealed = JSON.parse(
      await runKubeseal(
        ['--recovery-unseal', '--recovery-private-key', await keyBackup(k), '-o', 'json'],
        JSON.stringify({ ...doc, apiVersion: 'bitnami.com/v1alpha1' }),
      ),
    ) as Secret;
    expect(text(unsealed, 'pw')).toBe('v1');
  });
});
