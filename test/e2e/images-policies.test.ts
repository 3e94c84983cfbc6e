/**
 * ImagePolicies on the dev cluster's real registry: the newest by build time (the image config's
 * `created`), numerical order of a value extracted from the tags, the digest reflected and
 * written through `:name`/`:digest` markers of a Helm values file — by an automation whose
 * source is an Application, pushing to a branch it creates; and a policy that names two kinds
 * is InvalidPolicy and Stalled.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImagePolicy, ImageUpdateAutomation } from '../../src/api/image.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { git, TestRepo } from '../../src/source/testing/fixtures.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { IMAGE_API, pushTag, registry, startImageAutomation } from './images-harness.ts';

const ns = useNamespace('imgpol');
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

type WithStatus = KubeObject & {
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
};
const cond = (o: WithStatus | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);
const create = (
  k: Kube,
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
) =>
  k.create({
    apiVersion: IMAGE_API,
    kind,
    metadata: { name, namespace: ns(), ...(labels ? { labels } : {}) },
    spec,
  });
const policy = (k: Kube, name: string) => k.get<ImagePolicy>(IMAGE_API, 'ImagePolicy', ns(), name);
const selected = (k: Kube, name: string, tag: string) =>
  eventually(`policy ${name} selects ${tag}`, async () => {
    const p = await policy(k, name);
    return p?.status?.latestRef?.tag === tag ? p : undefined;
  });

describe('image policies', () => {
  it('newestBuild follows the build time; numerical orders the extracted value', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = `e2e-${randomBytes(4).toString('hex')}/app`;
    await pushTag(reg, repo, 'aaaaaaa', new Date('2024-01-02T00:00:00Z'));
    await pushTag(reg, repo, 'bbbbbbb', new Date('2024-01-03T00:00:00Z'));
    await pushTag(reg, repo, 'ccccccc', new Date('2024-01-01T00:00:00Z'));
    await pushTag(reg, repo, 'main-3f2a9c1-1700000100');
    await pushTag(reg, repo, 'main-9d8e7f6-1700000300');
    await pushTag(reg, repo, 'feature-x-1700009999');
    await startImageAutomation(k, ns());
    await create(k, 'ImageRepository', 'app', {
      image: `${reg}/${repo}`,
      interval: '2s',
      insecure: true,
    });
    await create(k, 'ImagePolicy', 'newest', {
      imageRepositoryRef: { name: 'app' },
      filterTags: { pattern: '^[a-f0-9]{7}$' },
      policy: { newestBuild: {} },
    });
    await create(k, 'ImagePolicy', 'timestamp', {
      imageRepositoryRef: { name: 'app' },
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
      policy: { numerical: { order: 'asc' } },
    });
    await selected(k, 'newest', 'bbbbbbb');
    await selected(k, 'timestamp', 'main-9d8e7f6-1700000300');
    await pushTag(reg, repo, 'ddddddd', new Date('2024-02-01T00:00:00Z'));
    await selected(k, 'newest', 'ddddddd');
  });

  it('reflects the digest and writes it with :name and :digest markers, to a branch it creates from an Application source', async () => {
    const k = await kube();
    const reg = await registry();
    const repo = `e2e-${randomBytes(4).toString('hex')}/api`;
    const digest = await pushTag(reg, repo, 'v2.1.0');
    const root = await mkdtemp(join(tmpdir(), 'sluice-imgpol-'));
    dirs.push(root);
    const work = await TestRepo.init(join(root, 'work'));
    await work.commit(
      {
        'charts/api/values-dev.yaml': `image:
  repository: old/api # {"$imagepolicy": "${ns()}:api:name"}
  tag: v2.0.0 # {"$imagepolicy": "${ns()}:api:tag"}
  digest: "" # {"$imagepolicy": "${ns()}:api:digest"}
`,
      },
      'initial',
    );
    const bare = join(root, 'deploy.git');
    await execFile('git', ['clone', '-q', '--bare', work.dir, bare]);
    await k.create({
      apiVersion: IMAGE_API,
      kind: 'Application',
      metadata: { name: 'api', namespace: ns() },
      spec: {
        project: 'default',
        source: { repoURL: `file://${bare}`, targetRevision: 'main', path: 'charts/api' },
        destination: { server: 'https://kubernetes.default.svc', namespace: ns() },
      },
    });
    await startImageAutomation(k, ns());
    await create(k, 'ImageRepository', 'api', {
      image: `${reg}/${repo}`,
      interval: '1m',
      insecure: true,
    });
    await create(k, 'ImagePolicy', 'api', {
      imageRepositoryRef: { name: 'api' },
      policy: { semver: { range: '>=2.0.0' } },
      digestReflectionPolicy: 'IfNotPresent',
    });
    const p = await selected(k, 'api', 'v2.1.0');
    expect(p.status?.latestRef).toEqual({ image: `${reg}/${repo}`, tag: 'v2.1.0', digest });
    await create(k, 'ImageUpdateAutomation', 'api', {
      interval: '10m',
      sourceRef: { kind: 'Application', name: 'api' },
      git: {
        commit: { author: { email: 'images@sluice.dev' } },
        push: { branch: 'image-updates' },
      },
      update: { path: 'charts' },
    });
    const auto = await eventually('pushed to image-updates', async () => {
      const a = await k.get<ImageUpdateAutomation>(IMAGE_API, 'ImageUpdateAutomation', ns(), 'api');
      return a?.status?.lastPushCommit ? a : undefined;
    });
    expect(auto.status?.observedSourceRevision).toBe(
      `image-updates@sha1:${auto.status?.lastPushCommit ?? ''}`,
    );
    expect(await git(bare, 'log', '--format=%s', 'main')).toBe('initial');
    expect(await git(bare, 'show', 'image-updates:charts/api/values-dev.yaml')).toBe(
      `image:
  repository: ${reg}/${repo} # {"$imagepolicy": "${ns()}:api:name"}
  tag: v2.1.0 # {"$imagepolicy": "${ns()}:api:tag"}
  digest: "${digest}" # {"$imagepolicy": "${ns()}:api:digest"}`,
    );
    expect(await git(bare, 'log', '-1', '--format=%an <%ae>|%s', 'image-updates')).toBe(
      `Sluice <images@sluice.dev>|Update from image update automation ${ns()}/api`,
    );
  });

  it('a policy naming two kinds is InvalidPolicy and Stalled', async () => {
    const k = await kube();
    await startImageAutomation(k, ns());
    await create(k, 'ImagePolicy', 'both', {
      imageRepositoryRef: { name: 'nope' },
      policy: { semver: { range: '1.x' }, alphabetical: {} },
    });
    const p = await eventually('invalid', async () => {
      const x = await policy(k, 'both');
      return cond(x, 'Ready')?.reason === 'InvalidPolicy' ? x : undefined;
    });
    expect(cond(p, 'Ready')?.message).toBe(
      'spec.policy names semver and alphabetical: give exactly one',
    );
    expect(cond(p, 'Stalled')?.status).toBe('True');
  });
});
