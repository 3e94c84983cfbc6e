/** undo picks the right revision's template; set-image changes exactly the named containers. */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../api/rollout.ts';
import { SluiceError } from '../../errors.ts';
import type { PodTemplate, ReplicaSet } from './objects.ts';
import { parseImageAssignment, setImages, undoTarget } from './template.ts';

const tpl = (image: string, hash?: string): PodTemplate => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'rollouts-pod-template-hash': hash } : {}) } },
  spec: {
    initContainers: [{ name: 'migrate', image: `${image}-migrate` }],
    containers: [
      { name: 'app', image },
      { name: 'sidecar', image: 'proxy:1' },
    ],
  },
});

const rs = (revision: number, image: string, hash: string): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name: `web-${hash}`,
    labels: { 'rollouts-pod-template-hash': hash },
    annotations: { 'rollout.argoproj.io/revision': String(revision) },
  },
  spec: { template: tpl(image, hash) },
});

const sets = [rs(1, 'app:1', 'h1'), rs(3, 'app:3', 'h3'), rs(2, 'app:2', 'h2')];

function rollout(
  image: string,
  currentPodHash: string,
  extra: Partial<Rollout['spec']> = {},
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { template: tpl(image), strategy: { canary: {} }, ...extra },
    status: { currentPodHash },
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SluiceError ? err.code : 'not a SluiceError';
  }
  return undefined;
}

describe('undo', () => {
  it.each<[string, Rollout, number | undefined, number, boolean]>([
    ['goes back one revision by default', rollout('app:3', 'h3'), undefined, 2, false],
    ['goes to the revision asked for', rollout('app:3', 'h3'), 1, 1, false],
    [
      'counts from the current revision, not the newest',
      rollout('app:2', 'h2'),
      undefined,
      1,
      false,
    ],
    ['knows when it already runs that template', rollout('app:2', 'h2'), 2, 2, true],
  ])('%s', (_name, ro, to, revision, unchanged) => {
    const t = undoTarget(ro, sets, to);
    expect(t.revision).toBe(revision);
    expect(t.unchanged).toBe(unchanged);
    expect(t.template.metadata?.labels).toEqual({ app: 'web' });
    expect(t.template.spec?.containers?.[0]?.image).toBe(`app:${revision}`);
  });

  it.each<[string, () => unknown, string, number]>([
    [
      'a revision that is gone',
      () => undoTarget(rollout('app:3', 'h3'), sets, 7),
      'RevisionNotFound',
      3,
    ],
    [
      'no revision before the first',
      () => undoTarget(rollout('app:1', 'h1'), sets),
      'NoPreviousRevision',
      1,
    ],
    [
      'a Rollout whose template lives in a Deployment',
      () =>
        undoTarget(
          rollout('app:3', 'h3', {
            workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          }),
          sets,
        ),
      'UsesWorkloadRef',
      1,
    ],
  ])('refuses %s', (_name, fn, code, exitCode) => {
    expect(codeOf(fn)).toBe(code);
    try {
      fn();
    } catch (err) {
      expect((err as SluiceError).exitCode).toBe(exitCode);
      expect((err as SluiceError).message).toMatch(/^Rollout\/shop\/web: /);
    }
  });
});

describe('set-image', () => {
  it('sets the named container and leaves the others', () => {
    const { template, changed } = setImages(rollout('app:1', 'h1'), [
      { container: 'app', image: 'app:2' },
    ]);
    expect(template.spec?.containers?.map((c) => c.image)).toEqual(['app:2', 'proxy:1']);
    expect(template.spec?.initContainers?.[0]?.image).toBe('app:1-migrate');
    expect(changed).toEqual(['app: app:1 -> app:2']);
  });

  it('sets init containers by name, and every container with *', () => {
    const ro = rollout('app:1', 'h1');
    expect(
      setImages(ro, [{ container: 'migrate', image: 'm:2' }]).template.spec?.initContainers?.[0]
        ?.image,
    ).toBe('m:2');
    const all = setImages(ro, [{ container: '*', image: 'x:9' }]).template.spec;
    expect(
      [...(all?.initContainers ?? []), ...(all?.containers ?? [])].map((c) => c.image),
    ).toEqual(['x:9', 'x:9', 'x:9']);
  });

  it('reports no change when the image is already set', () => {
    expect(
      setImages(rollout('app:1', 'h1'), [{ container: 'app', image: 'app:1' }]).changed,
    ).toEqual([]);
  });

  it('names the containers when one does not exist', () => {
    expect(codeOf(() => setImages(rollout('app:1', 'h1'), [{ container: 'db', image: 'x' }]))).toBe(
      'ContainerNotFound',
    );
  });

  it.each([
    ['app=registry:5000/app:2', { container: 'app', image: 'registry:5000/app:2' }],
    ['*=app@sha256:abc', { container: '*', image: 'app@sha256:abc' }],
  ])('parses %s', (s, expected) => {
    expect(parseImageAssignment(s)).toEqual(expected);
  });

  it.each(['app', '=app:2', 'app='])('refuses %s as a usage error', (s) => {
    expect(() => parseImageAssignment(s)).toThrow(/CONTAINER=IMAGE/);
  });
});
