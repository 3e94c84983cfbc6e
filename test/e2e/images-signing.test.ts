/**
 * Signed images against the dev cluster's real registry and the real cosign (v2.6.5, built from
 * its Go module into the tool cache by the setup), both ways:
 * - `sluice image sign` (with a PEM key, and with the cosign.key cosign wrote) → `cosign verify
 *   --key` accepts it;
 * - `cosign sign --key` → `sluice image verify --key` accepts it (exit 0), a wrong key or an
 *   unsigned image is "not verified" (exit 1);
 * - an Application with `spec.verifyImages` (the in-process controller): a signed Deployment
 *   image syncs; an unsigned one is refused (Ready=False UnsignedImage naming the image and the
 *   app, nothing applied); a signature copied onto another digest's .sig tag is refused as a
 *   digest mismatch.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { COSIGN, ensureExtraTool } from '../../src/devcluster/build.ts';
import { SluiceError } from '../../src/errors.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { consoleProgress, silentProgress } from '../../src/util/progress.ts';
import { kube, uniqueName, useNamespace } from './harness.ts';
import {
  application,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';
import { pushTag, registry, startProxy } from './images-harness.ts';

const ns = useNamespace('signing');
const PASSWORD = 'correct horse';
let cosign = '';
let dir = '';
let reg = '';

const env = (): NodeJS.ProcessEnv => ({ ...process.env, COSIGN_PASSWORD: PASSWORD, HOME: dir });

async function runCosign(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return execFile(cosign, args, { cwd: dir, env: env(), timeoutMs: 120_000 });
}

/** `cosign sign --key KEY IMAGE` against the plain-http registry, with no transparency log. */
function cosignSign(
  image: string,
  key: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCosign([
    'sign',
    '--key',
    key,
    '--tlog-upload=false',
    '--allow-insecure-registry',
    '--allow-http-registry',
    '-y',
    image,
  ]);
}

const sluice = (args: string[]) =>
  execFile(process.execPath, [join(process.cwd(), 'bin/sluice.js'), ...args], {
    cwd: dir,
    env: env(),
  });

/** cosign against the plain-http registry, with no transparency log (no network). */
const cosignVerify = (image: string, key: string) =>
  runCosign([
    'verify',
    '--key',
    key,
    '--insecure-ignore-tlog',
    '--allow-insecure-registry',
    '--allow-http-registry',
    image,
  ]);

beforeAll(async () => {
  cosign = await ensureExtraTool(COSIGN, process.env['CI'] ? consoleProgress() : silentProgress);
  reg = await registry();
  dir = await mkdtemp(join(tmpdir(), 'sluice-signing-'));
  const gen = await runCosign(['generate-key-pair']);
  if (gen.code !== 0) throw new Error(`cosign generate-key-pair: ${gen.stderr}`);
  const ours = await sluice([
    'image',
    'generate-key-pair',
    '--pem',
    '--output-key-prefix',
    'sluice',
  ]);
  if (ours.code !== 0) throw new Error(`sluice image generate-key-pair: ${ours.stderr}`);
}, 900_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A new image in the registry: `{ image: host/repo:tag, digest }`. */
async function newImage(tag = 'v1'): Promise<{ repo: string; image: string; digest: string }> {
  const repo = `signing/${uniqueName('web')}`;
  const digest = await pushTag(reg, repo, tag);
  return { repo, image: `${reg}/${repo}:${tag}`, digest };
}

describe('sluice image sign / verify with the real cosign', () => {
  it('sluice image sign (PEM key, then cosign.key): cosign verify --key accepts both', async () => {
    const { image, digest } = await newImage();
    const signed = await sluice([
      'image',
      'sign',
      image,
      '--key',
      'sluice.key',
      '--allow-insecure-registry',
    ]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(`sha256-${digest.slice(7)}.sig`);
    const v = await cosignVerify(image, 'sluice.pub');
    expect(v.stderr).toContain('The signatures were verified against the specified public key');
    expect(v.code).toBe(0);
    const claims = JSON.parse(v.stdout) as Array<{ critical: { image: Record<string, string> } }>;
    expect(claims[0]?.critical.image['docker-manifest-digest']).toBe(digest);

    // cosign's own encrypted key file, opened with COSIGN_PASSWORD.
    const withCosignKey = await sluice([
      'image',
      'sign',
      image,
      '--key',
      'cosign.key',
      '--plain-http',
    ]);
    expect(withCosignKey.code).toBe(0);
    expect((await cosignVerify(image, 'cosign.pub')).code).toBe(0);
    // Both signatures are kept: each key still verifies.
    expect((await cosignVerify(image, 'sluice.pub')).code).toBe(0);
  });

  it('cosign sign --key: sluice image verify --key accepts it; another key or no signature is "not verified"', async () => {
    const { image, digest } = await newImage();
    const s = await cosignSign(image, 'cosign.key');
    expect(s.stderr).not.toContain('Error');
    expect(s.code).toBe(0);

    const ok = await sluice([
      'image',
      'verify',
      image,
      '--key',
      'cosign.pub',
      '--allow-insecure-registry',
      '-o',
      'json',
    ]);
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout) as { outcome: string; digest: string; verified: boolean };
    expect(result).toMatchObject({ outcome: 'Verified', digest, verified: true });

    const wrongKey = await sluice([
      'image',
      'verify',
      image,
      '--key',
      'sluice.pub',
      '--allow-insecure-registry',
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('NOT verified');
    expect(wrongKey.stdout).toContain('none of its 1 signature(s) verifies with a trusted key');

    const unsigned = await newImage();
    const none = await sluice([
      'image',
      'verify',
      unsigned.image,
      '--key',
      'cosign.pub',
      '--allow-insecure-registry',
    ]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`image ${unsigned.image}`);
    expect(none.stdout).toContain('is not signed');

    const noKey = await sluice([
      'image',
      'verify',
      image,
      '--key',
      'missing.pub',
      '--allow-insecure-registry',
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--key missing.pub: ENOENT');
  });
});

/**
 * The in-process controller, after (re)installing this version's CRDs: the dev cluster is shared,
 * and a run of another version may have put its own Application CRD back meanwhile.
 */
async function controller(k: Kube): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await installCrds(k, silentProgress);
    try {
      await startController(k, ns());
      return;
    } catch (err) {
      if (!(err instanceof SluiceError && err.code === 'CrdOutdated') || attempt === 5) throw err;
    }
  }
}

describe('an Application with verifyImages', () => {
  async function appWith(
    k: Kube,
    image: string,
    keys: 'secret' | 'inline' | 'bad-pem' | 'missing-secret',
    extra: { imageReferences?: string[]; credentials?: string } = {},
  ): Promise<string> {
    const repo = await createRepo({ 'app/web.yaml': deployment('web', 1, image) });
    const pub = await readFile(join(dir, 'cosign.pub'), 'utf8');
    if (keys === 'secret')
      await k.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'image-keys', namespace: ns() },
        stringData: { 'cosign.pub': pub },
      });
    const rule = {
      imageReferences: extra.imageReferences ?? [`${reg}/signing/*`],
      insecure: true,
      ...(extra.credentials ? { imageRegistryCredentials: { secrets: [extra.credentials] } } : {}),
      attestors: [
        {
          entries: [
            {
              keys:
                keys === 'secret'
                  ? { secret: { name: 'image-keys' } }
                  : keys === 'missing-secret'
                    ? { secret: { name: 'no-such-keys' } }
                    : { publicKeys: keys === 'bad-pem' ? 'ssh-ed25519 AAAA not a PEM key' : pub },
            },
          ],
        },
      ],
    };
    // The dev cluster is shared: another run may put back an Application CRD without
    // verifyImages, which the API server would then drop silently. So the app is created without
    // automated sync (nothing is applied), checked, and only then made automated.
    for (let attempt = 1; attempt <= 5; attempt++) {
      await installCrds(k, silentProgress);
      const name = await createApp(k, ns(), {
        source: { repoURL: repo.url, path: 'app' },
        verifyImages: [rule],
      });
      const stored = await k.get<Application>(API_VERSION, KIND, ns(), name);
      if (stored?.spec.verifyImages) {
        const automated = await k.mergePatch<Application>(stored, {
          spec: { syncPolicy: { automated: { prune: true } } },
        });
        if (!automated.spec.verifyImages)
          throw new Error('the Application CRD was replaced by another version during the test');
        return name;
      }
      await k.delete(
        stored ?? application(ns(), name, { source: { repoURL: '' }, destination: {} }),
      );
    }
    throw new Error('the shared cluster keeps an Application CRD without verifyImages');
  }

  const refusedWith = async (k: Kube, name: string, reason: string) => {
    const app = await waitApp(k, ns(), name, `Ready=False ${reason}`, (a) => {
      const c = getCondition(a.status?.conditions, 'Ready');
      return c?.status === 'False' && c.reason === reason;
    });
    return getCondition(app.status?.conditions, 'Ready')?.message ?? '';
  };

  it('syncs when the Deployment image is signed by the key in the Secret', async () => {
    const k = await kube();
    await controller(k);
    const { image } = await newImage();
    const signed = await cosignSign(image, 'cosign.key');
    expect(signed.code).toBe(0);
    const name = await appWith(k, image, 'secret');
    await waitApp(k, ns(), name, 'Synced and Healthy', syncedHealthy, 60_000);
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeDefined();
  });

  it('refuses an unsigned image: Ready=False UnsignedImage naming the image and the app, nothing applied', async () => {
    const k = await kube();
    await controller(k);
    const { image } = await newImage();
    const name = await appWith(k, image, 'inline');
    const message = await refusedWith(k, name, 'UnsignedImage');
    expect(message).toContain(`Application ${ns()}/${name}`);
    expect(message).toContain(`image ${image}`);
    expect(message).toContain('is not signed');
    expect(message).toContain('Deployment');
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();
  });

  it('refuses a signature copied onto another digest as a digest mismatch', async () => {
    const k = await kube();
    await controller(k);
    const signedImage = await newImage('v1');
    expect((await cosignSign(signedImage.image, 'cosign.key')).code).toBe(0);
    // A second image in the same repository; its .sig tag gets the first image's signature.
    const other = await pushTag(reg, signedImage.repo, 'v2', new Date(Date.now() - 60_000));
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    const sig = await fetch(
      `http://${reg}/v2/${signedImage.repo}/manifests/sha256-${signedImage.digest.slice(7)}.sig`,
      {
        headers: { accept },
      },
    );
    expect(sig.status).toBe(200);
    const put = await fetch(
      `http://${reg}/v2/${signedImage.repo}/manifests/sha256-${other.slice(7)}.sig`,
      {
        method: 'PUT',
        headers: { 'content-type': accept },
        body: Buffer.from(await sig.arrayBuffer()),
      },
    );
    expect(put.status).toBe(201);

    const copied = `${reg}/${signedImage.repo}:v2`;
    const name = await appWith(k, copied, 'inline');
    const message = await refusedWith(k, name, 'ImageVerifyFailed');
    expect(message).toContain(`Application ${ns()}/${name}`);
    expect(message).toContain(`image ${copied}`);
    expect(message).toContain(`digest mismatch`);
    expect(message).toContain(`is for ${signedImage.digest}, not ${other}`);
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();
    // The CLI agrees.
    const v = await sluice([
      'image',
      'verify',
      copied,
      '--key',
      'cosign.pub',
      '--allow-insecure-registry',
    ]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('digest mismatch');
  });

  it('a registry that is down is retried, naming the registry; once back (with credentials from imageRegistryCredentials) the app syncs', async () => {
    const k = await kube();
    await controller(k);
    const { repo, image } = await newImage();
    const signed = await cosignSign(image, 'cosign.key');
    expect(signed.code).toBe(0);
    const credentials = { username: 'ci', password: 'let-me-in' };
    // A registry on 127.0.0.1 that wants credentials; stopped at once (the registry is down).
    const first = await startProxy(reg, { credentials });
    await first.close();
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcreds', namespace: ns() },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({ auths: { [first.address]: credentials } }),
      },
    });
    const viaProxy = `${first.address}/${repo}:v1`;
    const name = await appWith(k, viaProxy, 'inline', {
      imageReferences: ['127.0.0.1:*'],
      credentials: 'regcreds',
    });
    const message = await refusedWith(k, name, 'GateFailed');
    expect(message).toContain(`cannot check image ${viaProxy} at registry ${first.address}`);
    const app = await k.get<Application>(API_VERSION, KIND, ns(), name);
    expect(getCondition(app?.status?.conditions, 'Stalled')?.status).toBe('False');
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();

    const back = await startProxy(reg, { credentials, port: first.port });
    try {
      await waitApp(k, ns(), name, 'Synced and Healthy', syncedHealthy, 90_000);
      expect(back.requests.some((r) => r.includes('.sig'))).toBe(true);
    } finally {
      await back.close();
    }
  });

  it('names the field of a key that is not PEM (terminal) and a key Secret that is missing (retried)', async () => {
    const k = await kube();
    await controller(k);
    const { image } = await newImage();
    const badPem = await appWith(k, image, 'bad-pem');
    const message = await refusedWith(k, badPem, 'InvalidSpec');
    expect(message).toContain(
      `Application ${ns()}/${badPem}: spec.verifyImages[0].attestors[0].entries[0].keys.publicKeys: no PEM public key`,
    );
    const missing = await appWith(k, image, 'missing-secret');
    const m2 = await refusedWith(k, missing, 'GateFailed');
    expect(m2).toContain(`Secret ${ns()}/no-such-keys`);
    expect(m2).toContain('not found');
    const app = await k.get<Application>(API_VERSION, KIND, ns(), missing);
    expect(getCondition(app?.status?.conditions, 'Stalled')?.status).toBe('False');
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();
  });
});
