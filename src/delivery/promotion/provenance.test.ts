/**
 * Where a promoted version came from: which of the previous environment's apps to look in, which
 * commit may speak for the version, and — on a real deploy repository and Git mirror — the
 * trailers a set-image commit wrote carried on by promotion after promotion, none ever invented.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../api/application.ts';
import { application, syncedStatus } from '../../gitops/testing/fixtures.ts';
import { GitMirrors, SourceError, type CommitTime } from '../../source/index.ts';
import { TestRepo, tempDir } from '../../source/testing/fixtures.ts';
import { silentLogger } from '../../util/log.ts';
import type { SourceChange } from '../dora/trailers.ts';
import { promotionMessage } from './message.ts';
import { originsOf, sourceOf, trailersFor, type ChangeHistory, type Origin } from './provenance.ts';

const REPO = 'localhost:5000/team/web';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const REV = 'a'.repeat(40);
const SRC = 'f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
const TIME = '2026-12-01T09:40:00Z';
const TRAILERS = `Source commit: ${SRC}\nSource commit time: ${TIME}\n`;

function app(
  name: string,
  o: { images?: string[]; revision?: string; sync?: 'Synced' | 'OutOfSync'; path?: string } = {},
): Application {
  const status = syncedStatus(o.revision ?? REV, {
    summary: { total: 1, images: o.images ?? [`${REPO}:abc@${D1}`, 'localhost:5000/sidecar:1'] },
  });
  if (o.sync) status.sync = { status: o.sync, revision: o.revision ?? REV };
  const a = application({ name, namespace: 'apps', status });
  a.spec.source = {
    repoURL: 'file:///srv/deploy.git',
    ...(o.path !== undefined ? { path: o.path } : { path: 'envs/dev' }),
  };
  return a;
}

describe('originsOf', () => {
  const dev: Origin = { repoURL: 'file:///srv/deploy.git', path: 'envs/dev', revision: REV };
  const cases: Array<[string, Array<Application | undefined>, Origin[]]> = [
    ['an app Synced on the version', [app('web')], [dev]],
    ['two apps of the same source: once', [app('web'), app('web-worker')], [dev]],
    ['an app at the repository root', [app('web', { path: '' })], [{ ...dev, path: '' }]],
    ['an app that runs another version', [app('web', { images: [`${REPO}@${D2}`] })], []],
    ['an app of another repository only', [app('web', { images: ['other/web@' + D1] })], []],
    ['an app not Synced', [app('web', { sync: 'OutOfSync' })], []],
    ['a revision that is no commit SHA', [app('web', { revision: 'main' })], []],
    ['an app not found', [undefined], []],
  ];
  it.each(cases)('%s', (_name, apps, want) => {
    expect(originsOf(apps, REPO, D1)).toEqual(want);
  });
});

describe('trailersFor', () => {
  const commit = (message: string): CommitTime => ({ sha: REV, committedAt: TIME, message });
  const cases: Array<[string, string, string, SourceChange]> = [
    [
      'a digest: any commit writing it names its build',
      D1,
      `x\n\n${TRAILERS}`,
      { commit: SRC, time: TIME },
    ],
    [
      'a tag the message names',
      '3f2a9c1',
      `set-image: envs/dev -> web:3f2a9c1\n\n${TRAILERS}`,
      { commit: SRC, time: TIME },
    ],
    [
      'a tag the message does not name: not its commit, maybe',
      '1.4',
      `bump chart\n\n${TRAILERS}`,
      {},
    ],
    ['no trailers', D1, 'set-image: envs/dev -> web\n', {}],
  ];
  it.each(cases)('%s', (_name, version, message, want) => {
    expect(trailersFor(commit(message), version)).toEqual(want);
  });
});

describe('sourceOf (history given as data)', () => {
  const calls: string[] = [];
  /** Answers by `path`: a message, undefined (no commit) or an Error to throw. */
  const history = (by: Record<string, string | Error | undefined>): ChangeHistory => ({
    lastChange: (repoURL, sha, path) => {
      calls.push(`${repoURL} ${path || '(root)'}`);
      const a = by[`${repoURL} ${path}`];
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve(a === undefined ? undefined : { sha, committedAt: TIME, message: a });
    },
  });
  const o = (repoURL: string, path: string): Origin => ({ repoURL, path, revision: REV });
  const cases: Array<
    [string, Origin[], Record<string, string | Error | undefined>, SourceChange, string[]]
  > = [
    [
      'the commit under the app path',
      [o('r1', 'envs/dev')],
      { 'r1 envs/dev': `set\n\n${TRAILERS}` },
      { commit: SRC, time: TIME },
      ['r1 envs/dev'],
    ],
    [
      'nothing under the path: the whole tree (values beside the chart)',
      [o('r1', 'charts/web')],
      { 'r1 ': `set\n\n${TRAILERS}` },
      { commit: SRC, time: TIME },
      ['r1 charts/web', 'r1 (root)'],
    ],
    [
      'the commit that brought it names no source: none, the tree is not searched',
      [o('r1', 'envs/dev')],
      { 'r1 envs/dev': 'bump by hand\n', 'r1 ': `set\n\n${TRAILERS}` },
      {},
      ['r1 envs/dev'],
    ],
    [
      'a git error: logged, the next app is asked',
      [o('r1', 'envs/dev'), o('r2', '')],
      {
        'r1 envs/dev': new SourceError('RevisionNotFound', 'gone', { repoURL: 'r1' }),
        'r2 ': `set\n\n${TRAILERS}`,
      },
      { commit: SRC, time: TIME },
      ['r1 envs/dev', 'r2 (root)'],
    ],
    ['no origin: none', [], {}, {}, []],
  ];
  it.each(cases)('%s', async (_name, origins, by, want, asked) => {
    calls.length = 0;
    expect(await sourceOf(history(by), origins, D1, silentLogger)).toEqual(want);
    expect(calls).toEqual(asked);
  });
});

describe('sourceOf on a real deploy repository', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let deploy: TestRepo;
  let mirrors: GitMirrors;
  afterAll(async () => {
    for (const c of cleanup) await c();
  });
  beforeAll(async () => {
    const t = await tempDir('provenance');
    cleanup.push(t.remove);
    deploy = await TestRepo.init(join(t.path, 'deploy'));
    mirrors = new GitMirrors({ dir: join(t.path, 'mirrors') });
  });

  const kustomization = (digest: string): string =>
    `images:\n  - name: ${REPO}\n    newTag: "1"\n    digest: ${digest}\n`;
  const envApp = (env: string, sha: string, digest: string): Application =>
    app(env, {
      images: [`${REPO}:1@${digest}`],
      revision: sha,
      path: `envs/${env}`,
    });
  const withURL = (a: Application): Application => {
    a.spec.source.repoURL = deploy.url;
    return a;
  };
  /** What the controller does: the source of the version in `from`, then its message. */
  async function promote(from: Application, to: string, digest: string): Promise<string> {
    const source = await sourceOf(mirrors, originsOf([from], REPO, digest), digest, silentLogger);
    const message = promotionMessage({
      promotion: 'apps/web',
      repository: REPO,
      image: `${REPO}:1@${digest}`,
      version: digest,
      from: from.metadata.name,
      to,
      source,
    });
    const sha = await deploy.commit(
      { [`envs/${to}/kustomization.yaml`]: kustomization(digest) },
      message,
    );
    await mirrors.resolve(deploy.url, 'main', { refresh: true });
    return sha;
  }

  it('set-image into dev, promoted to staging, then prod: every commit names the source', async () => {
    const dev = await deploy.commit(
      { 'envs/dev/kustomization.yaml': kustomization(D1) },
      `set-image: envs/dev -> ${REPO}:1@${D1}\n\n${TRAILERS}Run: ci-1\n`,
    );
    // Later commits to other paths do not hide it.
    const later = await deploy.commit({ 'README.md': 'docs\n' }, 'docs');
    await mirrors.resolve(deploy.url, 'main', { refresh: true });
    const staging = await promote(withURL(envApp('dev', later, D1)), 'staging', D1);
    const prod = await promote(withURL(envApp('staging', staging, D1)), 'prod', D1);
    const [sm, pm] = await Promise.all([
      mirrors.commits(deploy.url, staging, dev),
      mirrors.commits(deploy.url, prod, staging),
    ]);
    expect(sm.find((c) => c.sha === staging)?.message).toBe(
      `promote ${REPO} sha256:111111111111 to staging\n\n` +
        `Promotion apps/web: dev runs ${REPO}:1@${D1}; its gates passed.\n` +
        TRAILERS +
        `Sluice-Promotion: apps/web\nSluice-Environment: staging\nSluice-Image: ${REPO}:1@${D1}\n`,
    );
    expect(pm[0]?.message).toContain(TRAILERS);
  });

  it('a version dev got without trailers (a commit by hand) is promoted naming none', async () => {
    const dev = await deploy.commit(
      { 'envs/dev/kustomization.yaml': kustomization(D2) },
      'by hand',
    );
    await mirrors.resolve(deploy.url, 'main', { refresh: true });
    const staging = await promote(withURL(envApp('dev', dev, D2)), 'staging', D2);
    const [c] = await mirrors.commits(deploy.url, staging, dev);
    expect(c?.message).not.toMatch(/Source commit/);
    expect(c?.message).toMatch(/^Sluice-Image: /m);
  });
});
