/**
 * Image update automation against the dev cluster's real registry and a real bare Git
 * repository: a new tag pushed to the registry is selected by the policy (within its semver
 * range) and committed by the automation to the manifests in Git, markers and comments kept;
 * a registry that goes down keeps the policy's image and its condition says why, and the scan
 * recovers when it is back; a registry that wants credentials gets them from a docker-registry
 * Secret (Bearer tokens and Basic), and a wrong password is AuthenticationFailed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../src/api/image.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { git, TestRepo } from '../../src/source/testing/fixtures.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  IMAGE_API,
  pushTag,
  registry,
  startImageAutomation,
  startProxy,
} from './images-harness.ts';

const ns = useNamespace('images');
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const ready = (
  o:
    | {
        status?: {
          conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
        };
      }
    | undefined,
) => o?.status?.conditions?.find((c) => c.type === 'Ready');

function create(
  k: Kube,
  kind: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<KubeObject> {
  return k.create({ apiVersion: IMAGE_API, kind, metadata: { name, namespace: ns() }, spec });
}

const get = <T extends KubeObject>(k: Kube, kind: string, name: string) =>
  k.get<T>(IMAGE_API, kind, ns(), name);

/** A bare repository with a Deployment and a Kustomization marked for policy `web`. */
async function deployRepo(image: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-images-'));
  dirs.push(root);
  const work = await TestRepo.init(join(root, 'work'));
  await work.commit(
    {
      'apps/web/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the shop front
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}:1.0.0 # {"$imagepolicy": "${ns()}:web"}
`,
      'envs/dev/kustomization.yaml': `resources: [../../apps/web]
images:
  - name: ${image}
    newTag: "1.0.0" # {"$imagepolicy": "${ns()}:web:tag"}
`,
      'README.md': 'not YAML: left alone\n',
    },
    'initial',
  );
  const bare = join(root, 'deploy.git');
  await execFile('git', ['clone', '-q', '--bare', work.dir, bare]);
  return bare;
}

const repoName = () => `e2e-${randomBytes(4).toString('hex')}/web`;

describe('image update automation', () => {
  it('a new tag in range is selected and committed to Git; one out of range is not', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = repoName();
    await pushTag(reg, repo, '1.0.0');
    const bare = await deployRepo(`${reg}/${repo}`);
    await startImageAutomation(k, ns());
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'GitRepository',
      metadata: { name: 'deploy', namespace: ns() },
      spec: { url: `file://${bare}`, ref: { branch: 'main' }, interval: '1m' },
    });
    await create(k, 'ImageRepository', 'web', {
      image: `${reg}/${repo}`,
      interval: '2s',
      insecure: true,
    });
    await create(k, 'ImagePolicy', 'web', {
      imageRepositoryRef: { name: 'web' },
      policy: { semver: { range: '>=1.0.0 <2.0.0' } },
    });
    await create(k, 'ImageUpdateAutomation', 'deploy', {
      interval: '10m',
      sourceRef: { kind: 'GitRepository', name: 'deploy' },
      git: {
        checkout: { ref: { branch: 'main' } },
        commit: {
          author: { name: 'Image Bot', email: 'images@sluice.dev' },
          messageTemplate:
            'images: {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}; {{ end }}by {{ .AutomationObject }} ({{ .Values.env }})',
          messageTemplateValues: { env: 'dev' },
        },
        push: { branch: 'main' },
      },
      update: { path: './', strategy: 'Setters' },
    });
    // Up to date at first: the manifests already have 1.0.0, nothing is committed.
    const first = await eventually('the automation ran with the policy', async () => {
      const a = await get<ImageUpdateAutomation>(k, 'ImageUpdateAutomation', 'deploy');
      return ready(a)?.status === 'True' && a?.status?.observedPolicies?.['web'] ? a : undefined;
    });
    expect(ready(first)?.message).toBe('repository up-to-date');
    expect(first.status?.observedPolicies).toEqual({
      web: { name: `${reg}/${repo}`, tag: '1.0.0' },
    });
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');

    await pushTag(reg, repo, '2.0.0');
    await pushTag(reg, repo, '1.1.0');
    const policy = await eventually('the policy selects 1.1.0', async () => {
      const p = await get<ImagePolicy>(k, 'ImagePolicy', 'web');
      return p?.status?.latestRef?.tag === '1.1.0' ? p : undefined;
    });
    expect(policy.status).toMatchObject({
      latestRef: { image: `${reg}/${repo}`, tag: '1.1.0' },
      latestImage: `${reg}/${repo}:1.1.0`,
      observedPreviousRef: { tag: '1.0.0' },
    });
    expect(ready(policy)?.message).toBe(`Latest image tag for '${reg}/${repo}' resolved to 1.1.0`);

    const auto = await eventually('the automation pushed', async () => {
      const a = await get<ImageUpdateAutomation>(k, 'ImageUpdateAutomation', 'deploy');
      return a?.status?.lastPushCommit ? a : undefined;
    });
    const head = await git(bare, 'rev-parse', 'main');
    expect(auto.status).toMatchObject({
      lastPushCommit: head,
      observedSourceRevision: `main@sha1:${head}`,
    });
    expect(ready(auto)?.message).toBe(`pushed commit '${head.slice(0, 7)}' to branch 'main'`);
    expect(await git(bare, 'log', '-1', '--format=%an <%ae>|%s', 'main')).toBe(
      `Image Bot <images@sluice.dev>|images: ${reg}/${repo}:1.0.0 -> ${reg}/${repo}:1.1.0; 1.0.0 -> 1.1.0; by ${ns()}/deploy (dev)`,
    );
    const diff = (await git(bare, 'diff', '--unified=0', 'main~1', 'main'))
      .split('\n')
      .filter((l) => /^[+-] /.test(l));
    expect(diff).toEqual([
      `-          image: ${reg}/${repo}:1.0.0 # {"$imagepolicy": "${ns()}:web"}`,
      `+          image: ${reg}/${repo}:1.1.0 # {"$imagepolicy": "${ns()}:web"}`,
      `-    newTag: "1.0.0" # {"$imagepolicy": "${ns()}:web:tag"}`,
      `+    newTag: "1.1.0" # {"$imagepolicy": "${ns()}:web:tag"}`,
    ]);
    const scanned = await get<ImageRepository>(k, 'ImageRepository', 'web');
    expect(scanned?.status).toMatchObject({
      canonicalImageName: `${reg}/${repo}`,
      lastScanResult: { tagCount: 3, latestTags: ['2.0.0', '1.1.0', '1.0.0'] },
      observedExclusionList: ['^.*\\.sig$'],
    });
  });

  it('a registry that is down keeps the selected tag and says why; it recovers when the registry is back', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = repoName();
    await pushTag(reg, repo, '1.0.0');
    let proxy = await startProxy(reg);
    const port = proxy.port;
    await startImageAutomation(k, ns());
    await create(k, 'ImageRepository', 'web', {
      image: `${proxy.address}/${repo}`,
      interval: '2s',
    });
    await create(k, 'ImagePolicy', 'web', {
      imageRepositoryRef: { name: 'web' },
      policy: { semver: { range: '1.x' } },
    });
    await eventually('the policy selects 1.0.0', async () =>
      (await get<ImagePolicy>(k, 'ImagePolicy', 'web'))?.status?.latestRef?.tag === '1.0.0'
        ? true
        : undefined,
    );

    await proxy.close();
    await pushTag(reg, repo, '1.5.0');
    const down = await eventually('the repository says the registry is down', async () => {
      const r = await get<ImageRepository>(k, 'ImageRepository', 'web');
      return ready(r)?.reason === 'RegistryUnavailable' ? r : undefined;
    });
    expect(ready(down)?.status).toBe('False');
    expect(ready(down)?.message).toMatch(
      new RegExp(
        `^registry 127\\.0\\.0\\.1:${port} repository ${repo}: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED \\(the last scan result is kept\\)$`,
      ),
    );
    const kept = await eventually('the policy keeps its tag and says why', async () => {
      const p = await get<ImagePolicy>(k, 'ImagePolicy', 'web');
      return ready(p)?.reason === 'DependencyNotReady' ? p : undefined;
    });
    expect(kept.status?.latestRef?.tag).toBe('1.0.0');
    expect(ready(kept)?.message).toMatch(
      /^ImageRepository .*\/web is not ready \(RegistryUnavailable\): registry .*ECONNREFUSED.*; keeping 1\.0\.0$/,
    );

    proxy = await startProxy(reg, { port });
    const back = await eventually(
      'the registry is back: the new tag is selected',
      async () => {
        const p = await get<ImagePolicy>(k, 'ImagePolicy', 'web');
        return p?.status?.latestRef?.tag === '1.5.0' ? p : undefined;
      },
      60_000,
    );
    expect(ready(back)?.status).toBe('True');
    await proxy.close();
  });

  it('a Git repository that cannot be reached fails with the reason and the repository; the push lands once it is there', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = repoName();
    await pushTag(reg, repo, '1.2.0');
    const bare = await deployRepo(`${reg}/${repo}`);
    const missing = `${bare}-not-yet`;
    await startImageAutomation(k, ns());
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'GitRepository',
      metadata: { name: 'deploy', namespace: ns() },
      spec: { url: `file://${missing}`, ref: { branch: 'main' } },
    });
    await create(k, 'ImageRepository', 'web', {
      image: `${reg}/${repo}`,
      interval: '1m',
      insecure: true,
    });
    await create(k, 'ImagePolicy', 'web', {
      imageRepositoryRef: { name: 'web' },
      policy: { semver: { range: '1.x' } },
    });
    await create(k, 'ImageUpdateAutomation', 'deploy', {
      interval: '2s',
      sourceRef: { name: 'deploy' },
      git: { commit: { author: { email: 'images@sluice.dev' } } },
    });
    const failed = await eventually(
      'the automation says the repository is unreachable',
      async () => {
        const a = await get<ImageUpdateAutomation>(k, 'ImageUpdateAutomation', 'deploy');
        return ready(a)?.reason === 'GitOperationFailed' ? a : undefined;
      },
    );
    expect(ready(failed)?.message).toMatch(
      new RegExp(`^repo file://${missing} branch main: cannot fetch`),
    );
    await execFile('git', ['clone', '-q', '--bare', bare, missing]);
    dirs.push(missing);
    await eventually('pushed once the repository is there', async () => {
      const a = await get<ImageUpdateAutomation>(k, 'ImageUpdateAutomation', 'deploy');
      return a?.status?.lastPushCommit ? a : undefined;
    });
    expect(await git(missing, 'show', 'main:envs/dev/kustomization.yaml')).toContain(
      'newTag: "1.2.0"',
    );
  });

  it('a registry that wants credentials: Bearer tokens and Basic from a docker-registry Secret; a wrong one is AuthenticationFailed', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = repoName();
    await pushTag(reg, repo, '0.1.0');
    const credentials = { username: 'robot', password: 'pa55-w0rd' };
    const bearer = await startProxy(reg, { credentials, bearer: true });
    const basic = await startProxy(reg, { credentials });
    try {
      const dockerconfig = (host: string, password: string) =>
        Buffer.from(
          JSON.stringify({ auths: { [host]: { username: 'robot', password } } }),
        ).toString('base64');
      const secret = (name: string, host: string, password: string) =>
        k.create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: ns() },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': dockerconfig(host, password) },
        });
      await secret('bearer', bearer.address, credentials.password);
      await secret('basic', basic.address, credentials.password);
      await secret('wrong', basic.address, 'not-it');
      await startImageAutomation(k, ns());
      await create(k, 'ImageRepository', 'bearer', {
        image: `${bearer.address}/${repo}`,
        interval: '1m',
        secretRef: { name: 'bearer' },
      });
      await create(k, 'ImageRepository', 'basic', {
        image: `${basic.address}/${repo}`,
        interval: '1m',
        secretRef: { name: 'basic' },
      });
      await create(k, 'ImageRepository', 'wrong', {
        image: `${basic.address}/${repo}`,
        interval: '1m',
        secretRef: { name: 'wrong' },
      });
      await create(k, 'ImageRepository', 'none', {
        image: `${basic.address}/${repo}`,
        interval: '1m',
      });
      for (const name of ['bearer', 'basic']) {
        const r = await eventually(`${name} scanned`, async () => {
          const x = await get<ImageRepository>(k, 'ImageRepository', name);
          return ready(x)?.status === 'True' ? x : undefined;
        });
        expect(r.status?.lastScanResult?.tagCount).toBe(1);
      }
      expect(bearer.requests.some((r) => r.startsWith('GET /token?'))).toBe(true);
      const wrong = await eventually('wrong refused', async () => {
        const x = await get<ImageRepository>(k, 'ImageRepository', 'wrong');
        return ready(x)?.reason === 'AuthenticationFailed' ? x : undefined;
      });
      expect(ready(wrong)?.message).toMatch(
        /authentication failed: the registry refused the credentials/,
      );
      expect(JSON.stringify(wrong.status)).not.toContain('not-it');
      const none = await eventually('none refused', async () => {
        const x = await get<ImageRepository>(k, 'ImageRepository', 'none');
        return ready(x)?.reason === 'AuthenticationFailed' ? x : undefined;
      });
      expect(ready(none)?.message).toMatch(/asks for credentials and none were given/);
    } finally {
      await bearer.close();
      await basic.close();
    }
  });
});
