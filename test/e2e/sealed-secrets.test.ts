/**
 * The SealedSecret controller against the real dev cluster, running in the test process in a
 * Manager (as `sluice controller` runs it), with the test's namespace as its own: its keys are
 * created there. Blobs are sealed for the certificate it serves at /v1/cert.pem.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  SLUICE_SEALED_API_VERSION,
  type SealedSecret,
  type Secret,
} from '../../src/api/sealedsecret.ts';
import { installCrds } from '../../src/api/install.ts';
import type { Kube } from '../../src/kube/api.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { SealedSecretsController } from '../../src/sealed/controller.ts';
import { generateSealingKey, keyPem, parseCertificate } from '../../src/sealed/keys.ts';
import { KEY_LABEL } from '../../src/sealed/keystore.ts';
import { sealSecret } from '../../src/sealed/seal.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, useNamespace } from './harness.ts';

const ns = useNamespace('sealed');

beforeAll(async () => {
  await installCrds(await kube(), silentProgress);
}, 60_000);

interface Running {
  controller: SealedSecretsController;
  /** Base URL of the controller's HTTP routes. */
  url: string;
}

/** The controller for this test's namespace (keys there too), stopped when the test ends. */
async function startController(
  k: Kube,
  options: { renewEveryMs?: number; keyBits?: number; logLines?: string[] } = {},
): Promise<Running> {
  const lines = options.logLines;
  const log = lines
    ? createLogger('debug', (l) => lines.push(l))
    : process.env['SLUICE_TEST_LOG']
      ? createLogger('debug')
      : silentLogger;
  const manager = new Manager({
    kube: k,
    namespace: ns(),
    log,
    leaderElection: { enabled: false },
  });
  const controller = new SealedSecretsController({
    kube: k,
    log,
    namespace: ns(),
    namespaces: [ns()],
    keyBits: options.keyBits ?? 2048,
    ...(options.renewEveryMs ? { renewEveryMs: options.renewEveryMs } : {}),
  });
  manager.add(controller);
  const server: Server = createServer((req, res) => {
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
  return { controller, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function fetchCert(url: string): Promise<string> {
  return eventually('the controller certificate', async () => {
    const res = await fetch(`${url}/v1/cert.pem`);
    return res.status === 200 ? res.text() : undefined;
  });
}

function secretDoc(name: string, values: Record<string, string>): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns(), labels: { app: 'shop' } },
    type: 'Opaque',
    stringData: values,
  };
}

const getSecret = (k: Kube, name: string) => k.get<Secret>('v1', 'Secret', ns(), name);
const getSealed = (k: Kube, name: string) =>
  k.get<SealedSecret>(SLUICE_SEALED_API_VERSION, 'SealedSecret', ns(), name);
const text = (s: Secret | undefined, key: string) =>
  Buffer.from(s?.data?.[key] ?? '', 'base64').toString();

/** Waits for the Synced condition to have `status`; answers the condition. */
function synced(k: Kube, name: string, status: 'True' | 'False') {
  return eventually(`SealedSecret ${name} Synced=${status}`, async () => {
    const c = (await getSealed(k, name))?.status?.conditions?.find((x) => x.type === 'Synced');
    return c?.status === status ? c : undefined;
  });
}

describe('SealedSecret controller', () => {
  it('creates its key, serves the certificate, and unseals into a Secret it owns; updates follow', async () => {
    const k = await kube();
    const logLines: string[] = [];
    const { url } = await startController(k, { keyBits: 4096, logLines });
    const cert = parseCertificate(await fetchCert(url));
    const keys = await k.list<Secret>('v1', 'Secret', {
      namespace: ns(),
      labelSelector: `${KEY_LABEL}=active`,
    });
    expect(keys.items).toHaveLength(1);
    expect(keys.items[0]?.type).toBe('kubernetes.io/tls');
    expect(keys.items[0]?.metadata.name).toMatch(/^sealed-secrets-key/);

    const sealed = sealSecret(secretDoc('db', { password: 'hunter2', user: 'app' }), {
      certificate: cert,
    });
    expect(sealed.spec.encryptedData['password']?.startsWith('Ag')).toBe(true);
    const created = await k.create<SealedSecret>(sealed);
    const c = await synced(k, 'db', 'True');
    expect(c.reason).toBe('Unsealed');
    const secret = await getSecret(k, 'db');
    expect(text(secret, 'password')).toBe('hunter2');
    expect(text(secret, 'user')).toBe('app');
    expect(secret?.metadata.labels).toEqual({ app: 'shop' });
    expect(secret?.metadata.ownerReferences).toEqual([
      {
        apiVersion: SLUICE_SEALED_API_VERSION,
        kind: 'SealedSecret',
        name: 'db',
        uid: created.metadata.uid,
        controller: true,
      },
    ]);

    // The plaintext shows nowhere but in the Secret: not in status, events or the log.
    const planted = ['hunter2', Buffer.from('hunter2').toString('base64')];
    const events = await k.list('v1', 'Event', { namespace: ns() });
    const seen = JSON.stringify([await getSealed(k, 'db'), events.items]) + logLines.join('');
    expect(events.items.some((e) => e['reason'] === 'Unsealed')).toBe(true);
    for (const p of planted) expect(seen).not.toContain(p);

    // A new value sealed into the same SealedSecret reaches the Secret.
    const again = sealSecret(secretDoc('db', { password: 'correct horse', user: 'app' }), {
      certificate: cert,
    });
    await k.mergePatch(created, { spec: { encryptedData: again.spec.encryptedData } });
    await eventually('the new value in the Secret', async () =>
      text(await getSecret(k, 'db'), 'password') === 'correct horse' ? true : undefined,
    );
  });

  it('says which blobs do not open and why, and writes no Secret for them', async () => {
    const k = await kube();
    const { url } = await startController(k);
    const cert = parseCertificate(await fetchCert(url));
    const stranger = await generateSealingKey({ bits: 2048 });
    const forOther = sealSecret(secretDoc('other', { pw: 'x' }), { certificate: cert });
    const truncated = sealSecret(secretDoc('cut', { pw: 'x' }), { certificate: cert });
    const fromElsewhere = sealSecret(secretDoc('foreign', { pw: 'x' }), { certificate: stranger });
    const cases: Array<[string, Record<string, string>, string, RegExp]> = [
      [
        'renamed',
        forOther.spec.encryptedData,
        'SealedForAnotherObject',
        new RegExp(
          `^SealedSecret/${ns()}/renamed: encryptedData\\.pw was not sealed for ${ns()}/renamed`,
        ),
      ],
      [
        'cut',
        { pw: (truncated.spec.encryptedData['pw'] ?? '').slice(0, 100) },
        'BlobCorrupt',
        /encryptedData\.pw is corrupt/,
      ],
      [
        'foreign',
        fromElsewhere.spec.encryptedData,
        'NoKeyOpensBlob',
        /sealed with none of the 1 known keys/,
      ],
    ];
    for (const [name, encryptedData] of cases) {
      await k.create({
        apiVersion: SLUICE_SEALED_API_VERSION,
        kind: 'SealedSecret',
        metadata: { name, namespace: ns() },
        spec: { encryptedData },
      });
    }
    for (const [name, , reason, message] of cases) {
      const c = await synced(k, name, 'False');
      expect(c.reason).toBe(reason);
      expect(c.message).toMatch(message);
      expect(await getSecret(k, name)).toBeUndefined();
    }
  });

  it('never overwrites a Secret it does not control, until the Secret is handed over', async () => {
    const k = await kube();
    const { url } = await startController(k);
    const cert = parseCertificate(await fetchCert(url));
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: ns() },
      stringData: { password: 'by hand' },
    });
    await k.create(sealSecret(secretDoc('db', { password: 'sealed' }), { certificate: cert }));
    const c = await synced(k, 'db', 'False');
    expect(c.reason).toBe('SecretNotOwned');
    expect(c.message).toContain('already exists and is not managed by this SealedSecret');
    expect(text(await getSecret(k, 'db'), 'password')).toBe('by hand');

    const live = await getSecret(k, 'db');
    if (!live) throw new Error('the Secret went away');
    await k.mergePatch(live, {
      metadata: { annotations: { 'sealedsecrets.bitnami.com/managed': 'true' } },
    });
    // Annotating the Secret does not wake the SealedSecret; touching the SealedSecret does.
    const ss = await getSealed(k, 'db');
    if (!ss) throw new Error('the SealedSecret went away');
    await k.mergePatch(ss, { metadata: { labels: { touched: 'yes' } } });
    await synced(k, 'db', 'True');
    expect(text(await getSecret(k, 'db'), 'password')).toBe('sealed');
  });

  it('renews its key on schedule; blobs of the old key still open, the new certificate is served', async () => {
    const k = await kube();
    const { url, controller } = await startController(k, { renewEveryMs: 4000 });
    const first = await fetchCert(url);
    const sealed = sealSecret(secretDoc('db', { pw: 'old key' }), {
      certificate: parseCertificate(first),
    });
    await eventually(
      'a second key',
      async () => {
        const keys = await k.list('v1', 'Secret', {
          namespace: ns(),
          labelSelector: `${KEY_LABEL}=active`,
        });
        return keys.items.length >= 2 ? true : undefined;
      },
      20_000,
    );
    const second = await fetchCert(url);
    expect(second).not.toBe(first);
    expect(controller.certificatePem()).toBe(second);
    await k.create(sealed);
    await synced(k, 'db', 'True');
    expect(text(await getSecret(k, 'db'), 'pw')).toBe('old key');
  });

  it('uses a key restored from a backup at once: what did not open, opens', async () => {
    const k = await kube();
    await fetchCert((await startController(k)).url);
    const backup = await generateSealingKey({ bits: 2048 });
    await k.create(sealSecret(secretDoc('db', { pw: 'restored' }), { certificate: backup }));
    expect((await synced(k, 'db', 'False')).reason).toBe('NoKeyOpensBlob');
    const pem = keyPem(backup);
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'sealed-secrets-keyrestored',
        namespace: ns(),
        labels: { [KEY_LABEL]: 'active' },
      },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(pem.cert).toString('base64'),
        'tls.key': Buffer.from(pem.key).toString('base64'),
      },
    });
    await synced(k, 'db', 'True');
    expect(text(await getSecret(k, 'db'), 'pw')).toBe('restored');
  });
});
