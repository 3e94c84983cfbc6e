import { describe, expect, it } from 'vitest';
import type { ApplicationSpec } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import {
  applySpecFlags,
  newSpec,
  unsetSpecFlags,
  type SpecFlags,
  type UnsetFlags,
} from './spec-edit.ts';

const flags = (f: Partial<SpecFlags>): SpecFlags => ({
  values: [],
  valuesFile: [],
  helmSet: [],
  helmSetString: [],
  kustomizeImage: [],
  syncOption: [],
  dependsOn: [],
  ...f,
});
const unset = (u: Partial<UnsetFlags>): UnsetFlags => ({
  values: [],
  helmSet: [],
  kustomizeImage: [],
  syncOption: [],
  ...u,
});
const base = (extra: Partial<ApplicationSpec> = {}): ApplicationSpec => ({
  source: { repoURL: 'file:///repo', path: 'app', targetRevision: 'main' },
  destination: { server: 'https://kubernetes.default.svc', namespace: 'shop' },
  ...extra,
});

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError && err.exitCode === 2) return err.message;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('newSpec (app create)', () => {
  it('defaults like argocd: HEAD, the root, the local cluster', () => {
    expect(newSpec(flags({ repo: 'file:///r' }))).toEqual({
      project: 'default',
      source: { repoURL: 'file:///r', targetRevision: 'HEAD', path: '.' },
      destination: { server: 'https://kubernetes.default.svc' },
    });
  });

  it("takes argocd's helm flags beside Sluice's", () => {
    const spec = newSpec(
      flags({
        repo: 'file:///r',
        valuesFile: ['a.yaml'],
        values: ['values-production.yaml'],
        helmSet: ['replicas=3'],
        helmSetString: ['tag=1.10'],
        releaseName: 'web',
      }),
      'color: blue\n',
    );
    expect(spec.source.helm).toEqual({
      valueFiles: ['a.yaml', 'values-production.yaml'],
      values: 'color: blue\n',
      releaseName: 'web',
      parameters: [
        { name: 'replicas', value: '3' },
        { name: 'tag', value: '1.10', forceString: true },
      ],
    });
  });

  it('--dest-name replaces the default server', () => {
    const spec = newSpec(flags({ repo: 'file:///r', destName: 'prod', destNamespace: 'web' }));
    expect(spec.destination).toEqual({ name: 'prod', namespace: 'web' });
  });

  it('--auto-prune alone means automated sync with pruning', () => {
    expect(newSpec(flags({ repo: 'file:///r', autoPrune: true })).syncPolicy).toEqual({
      automated: { prune: true, selfHeal: false },
    });
  });
});

describe('applySpecFlags (app set)', () => {
  it.each<[string, Partial<SpecFlags>, Partial<ApplicationSpec>]>([
    [
      'source',
      { repo: 'file:///other', path: 'p', revision: 'v2' },
      { source: { repoURL: 'file:///other', path: 'p', targetRevision: 'v2' } },
    ],
    [
      'destination by name drops the server',
      { destName: 'prod' },
      { destination: { name: 'prod', namespace: 'shop' } },
    ],
    [
      'values files replace the list',
      { values: ['prod.yaml'] },
      { source: { ...base().source, helm: { valueFiles: ['prod.yaml'] } } },
    ],
    [
      'images replace the image of the same name',
      { kustomizeImage: ['ghcr.io/o/web:2', 'db:9'] },
      {
        source: {
          ...base().source,
          kustomize: { images: ['ghcr.io/o/web:2', 'cache:1', 'db:9'] },
        },
      },
    ],
    [
      'sync options: same key replaced, ! removes',
      { syncOption: ['PruneLast=false', '!CreateNamespace=true'] },
      { syncPolicy: { automated: { prune: true }, syncOptions: ['PruneLast=false'] } },
    ],
    [
      'sync policy none removes automation',
      { syncPolicy: 'none' },
      { syncPolicy: { syncOptions: ['CreateNamespace=true', 'PruneLast=true'] } },
    ],
  ])('%s', (_case, f, want) => {
    const current = base({
      source: { ...base().source, kustomize: { images: ['ghcr.io/o/web:1', 'cache:1'] } },
      syncPolicy: {
        automated: { prune: true },
        syncOptions: ['CreateNamespace=true', 'PruneLast=true'],
      },
    });
    if (want.source?.helm) delete current.source.kustomize;
    if (!('syncPolicy' in want)) delete current.syncPolicy;
    const out = applySpecFlags(current, flags(f));
    expect(out).toMatchObject(want);
    if (want.destination) expect(out.destination).toEqual(want.destination);
    if (want.syncPolicy) expect(out.syncPolicy).toEqual(want.syncPolicy);
  });

  it('helm parameters are replaced by name', () => {
    const current = base({
      source: {
        ...base().source,
        helm: {
          parameters: [
            { name: 'a', value: '1' },
            { name: 'b', value: '2' },
          ],
        },
      },
    });
    expect(applySpecFlags(current, flags({ helmSet: ['b=3', 'c=4'] })).source.helm).toEqual({
      parameters: [
        { name: 'a', value: '1' },
        { name: 'b', value: '3' },
        { name: 'c', value: '4' },
      ],
    });
  });

  it('--auto-sync resumes a paused app; --no-auto-sync pauses it', () => {
    const paused = base({ syncPolicy: { automated: { enabled: false, prune: true } } });
    expect(applySpecFlags(paused, flags({ autoSync: true })).syncPolicy?.automated).toEqual({
      enabled: true,
      prune: true,
    });
    const on = base({ syncPolicy: { automated: {} } });
    expect(applySpecFlags(on, flags({ autoSync: false })).syncPolicy?.automated).toEqual({
      enabled: false,
    });
  });

  it.each<[string, Partial<SpecFlags>, string]>([
    ['both clusters', { destServer: 'https://x', destName: 'x' }, '--dest-server and --dest-name'],
    ['helm and kustomize', { values: ['v.yaml'], kustomizeImage: ['web:2'] }, 'mix Helm'],
    ['kustomize and directory', { namePrefix: 'a-', directoryRecurse: true }, 'mix Kustomize'],
    ['none and prune', { syncPolicy: 'none', autoPrune: true }, '--sync-policy none contradicts'],
    ['prune on a manual app', { selfHeal: true }, 'cannot set --self-heal'],
    ['bad --helm-set', { helmSet: ['x'] }, '--helm-set "x" must look like name=value'],
    ['a project name that cannot be one', { project: 'Team A' }, 'is not an AppProject name'],
  ])('refuses %s', (_case, f, message) => {
    expect(usage(() => applySpecFlags(base(), flags(f)))).toContain(message);
  });
});

describe('unsetSpecFlags (app unset)', () => {
  const full = base({
    source: {
      ...base().source,
      helm: {
        valueFiles: ['a.yaml', 'b.yaml'],
        values: 'x: 1\n',
        parameters: [{ name: 'p', value: '1' }],
        releaseName: 'r',
      },
    },
    syncPolicy: { syncOptions: ['CreateNamespace=true'] },
  });

  it('removes what it names and drops what is left empty', () => {
    const out = unsetSpecFlags(
      full,
      unset({
        values: ['a.yaml'],
        helmSet: ['p'],
        valuesLiteral: true,
        syncOption: ['CreateNamespace'],
      }),
    );
    expect(out.source.helm).toEqual({ valueFiles: ['b.yaml'], releaseName: 'r' });
    expect(out.syncPolicy).toEqual({});
  });

  it('drops the helm block when nothing is left', () => {
    const out = unsetSpecFlags(
      full,
      unset({
        values: ['a.yaml', 'b.yaml'],
        helmSet: ['p'],
        valuesLiteral: true,
        releaseName: true,
      }),
    );
    expect(out.source).toEqual(base().source);
  });

  it('removes kustomize images by name', () => {
    const k = base({
      source: {
        ...base().source,
        kustomize: { images: ['web:1', 'db=postgres:16'], namePrefix: 'a-' },
      },
    });
    const out = unsetSpecFlags(k, unset({ kustomizeImage: ['web'], namePrefix: true }));
    expect(out.source.kustomize).toEqual({ images: ['db=postgres:16'] });
  });

  it('leaves the spec alone when there is nothing to remove', () => {
    expect(unsetSpecFlags(base(), unset({ values: ['x.yaml'] }))).toEqual(base());
  });
});
