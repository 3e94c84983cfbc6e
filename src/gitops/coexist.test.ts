import { describe, expect, it } from 'vitest';
import { refKey, type KubeObject } from '../kube/types.ts';
import {
  carryRules,
  GIT_CONTROLS_ANNOTATION,
  rolloutRoles,
  yieldToOwners,
  type RouteSplit,
} from './coexist.ts';
import type { RouteRule } from '../rollouts/traffic/gatewayapi.ts';
import type { DesiredResource } from './preflight.ts';

const NS = 'shop';
const HASH = 'rollouts-pod-template-hash';
const ROUTES = 'gateway.networking.k8s.io';

function resource(object: KubeObject): DesiredResource {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  const ref = { group, kind: object.kind, namespace: NS, name: object.metadata.name ?? '' };
  return {
    ref,
    key: refKey(ref),
    version: 'v1',
    object,
    namespaced: true,
    wave: 0,
    options: new Map(),
  };
}

/** A managedFields entry of `manager` owning `fields` (a fieldsV1 tree). */
const owns = (manager: string, fields: object, subresource?: string) => ({
  manager,
  operation: 'Update',
  fieldsType: 'FieldsV1',
  fieldsV1: fields,
  ...(subresource ? { subresource } : {}),
});

function rollout(spec: Record<string, unknown> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 4,
      template: { spec: { containers: [{ name: 'web', image: 'app:v1' }] } },
      strategy: {
        canary: {
          stableService: 'web-stable',
          canaryService: 'web-canary',
          trafficRouting: {
            plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web' } },
            managedRoutes: [{ name: 'beta' }],
          },
          steps: [{ setWeight: 30 }, { pause: {} }],
        },
      },
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'legacy' },
      ...spec,
    },
    ...extra,
  };
}

const service = (name: string, selector: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { selector, ports: [{ port: 80 }] },
});

const ref = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
});

const route = (rules: object[]): KubeObject => ({
  apiVersion: `${ROUTES}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'web', namespace: NS },
  spec: { parentRefs: [{ name: 'gw' }], rules },
});

const withManagers = (obj: KubeObject, ...managedFields: object[]): KubeObject => ({
  ...obj,
  metadata: { ...obj.metadata, resourceVersion: '7', managedFields },
});

const roles = rolloutRoles([resource(rollout())]);

describe('rolloutRoles', () => {
  it('names the Services, the HTTPRoute, the workloadRef and the Rollout itself', () => {
    expect([...roles.services].sort()).toEqual([
      `/Service/${NS}/web-canary`,
      `/Service/${NS}/web-stable`,
    ]);
    expect([...roles.routes.keys()]).toEqual([`${ROUTES}/HTTPRoute/${NS}/web`]);
    expect(roles.routes.get(`${ROUTES}/HTTPRoute/${NS}/web`)?.[0]).toMatchObject({
      stable: 'web-stable',
      canary: 'web-canary',
      managedRules: new Set(['sluice-web-beta']),
    });
    expect(roles.named).toContain(`apps/Deployment/${NS}/legacy`);
    expect(roles.named).toContain(`sluice.dev/Rollout/${NS}/web`);
  });

  it('knows routes in another namespace, blue-green Services, and skips what is not a Rollout', () => {
    const other = rolloutRoles([
      resource(
        rollout({
          workloadRef: undefined,
          strategy: {
            canary: {
              stableService: 's',
              canaryService: 'c',
              trafficRouting: {
                plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'r', namespace: 'edge' } },
              },
            },
          },
        }),
      ),
      resource({
        ...rollout(),
        metadata: { name: 'bg', namespace: NS },
        spec: { strategy: { blueGreen: { activeService: 'a', previewService: 'p' } } },
      }),
      resource({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'argo' },
        spec: rollout()['spec'],
      }),
      resource({ ...rollout(), metadata: { name: 'broken', namespace: NS }, spec: {} }),
      resource({
        ...rollout(),
        metadata: { name: 'malformed', namespace: NS },
        spec: {
          workloadRef: { kind: 'Deployment' },
          strategy: {
            canary: {
              stableService: 's2',
              canaryService: 'c2',
              trafficRouting: { managedRoutes: 'x' },
            },
          },
        },
      }),
    ]);
    expect([...other.routes.keys()]).toEqual([`${ROUTES}/HTTPRoute/edge/r`]);
    expect([...other.services].sort()).toEqual(
      ['a', 'c', 'c2', 'p', 's', 's2'].map((n) => `/Service/${NS}/${n}`),
    );
    expect(other.named).not.toContain(`sluice.dev/Rollout/${NS}/broken`);
  });
});

describe('yieldToOwners', () => {
  const stableKey = service('web-stable', { app: 'web' });

  it.each<[string, KubeObject, KubeObject | undefined, KubeObject, boolean]>([
    [
      'an object no Rollout names is Git’s whole',
      service('other', { app: 'web' }),
      withManagers(
        service('other', { app: 'web', [HASH]: 'h1' }),
        owns('sluice-rollouts', { 'f:spec': { 'f:selector': {} } }),
      ),
      service('other', { app: 'web' }),
      false,
    ],
    ['an object that does not exist yet is Git’s whole', stableKey, undefined, stableKey, false],
    [
      'a Service keeps the version the controller selects, and Git’s own keys',
      service('web-stable', { app: 'web', tier: 'front' }),
      withManagers(
        service('web-stable', { app: 'web', [HASH]: 'h1' }),
        owns('sluice-rollouts', { 'f:spec': { 'f:selector': {} } }),
      ),
      service('web-stable', { app: 'web', tier: 'front', [HASH]: 'h1' }),
      true,
    ],
    [
      'a Service the controller has not pointed at a version yet',
      service('web-canary', { app: 'web' }),
      withManagers(service('web-canary', { app: 'web' })),
      service('web-canary', { app: 'web' }),
      false,
    ],
  ])('%s', (_name, desired, live, want, carried) => {
    const before = structuredClone(desired);
    const y = yieldToOwners(resource(desired), live, roles);
    expect(y.object).toEqual(want);
    expect(y.carried).toBe(carried);
    expect(desired).toEqual(before); // Git's object is never changed in place
  });

  it('an HTTPRoute: Git’s rules, the controller’s weights and header rules', () => {
    const header = {
      name: 'sluice-web-beta',
      matches: [{ headers: [{ name: 'x-beta', value: '1' }] }],
      backendRefs: [ref('web-canary', 100)],
    };
    const live = withManagers(
      route([
        {
          matches: [{ path: { value: '/' } }],
          backendRefs: [ref('web-stable', 70), ref('web-canary', 30)],
        },
        header,
      ]),
      owns('sluice-rollouts', { 'f:spec': { 'f:rules': {} } }),
    );
    // Git changed the match and added a timeout and a rule of its own (weights still 100/0).
    const git = route([
      {
        matches: [{ path: { value: '/shop' } }],
        timeouts: { request: '5s' },
        backendRefs: [ref('web-stable', 100), ref('web-canary', 0)],
      },
      {
        matches: [{ path: { value: '/static' } }],
        backendRefs: [ref('cdn', 10), ref('web-stable', 90)],
      },
    ]);
    const y = yieldToOwners(resource(git), live, roles);
    expect(y.carried).toBe(true);
    expect(y.object['spec']).toEqual({
      parentRefs: [{ name: 'gw' }],
      rules: [
        {
          matches: [{ path: { value: '/shop' } }],
          timeouts: { request: '5s' },
          backendRefs: [ref('web-stable', 70), ref('web-canary', 30)],
        },
        // Not a split of the Rollout's two Services: Git's weights stand.
        {
          matches: [{ path: { value: '/static' } }],
          backendRefs: [ref('cdn', 10), ref('web-stable', 90)],
        },
        header,
      ],
    });
    // Git's object itself is not changed.
    expect(JSON.stringify(git)).toContain(
      JSON.stringify([ref('web-stable', 100), ref('web-canary', 0)]),
    );
  });

  it('fields the controller owns on a named object are left out; lists it owns in part are not', () => {
    const deployment = (replicas: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy', namespace: NS, labels: { app: 'legacy' } },
      spec: { replicas, template: { spec: { containers: [{ name: 'web', image: 'app:v1' }] } } },
    });
    const live = withManagers(
      deployment(0),
      owns('sluice-rollouts', {
        'f:metadata': { 'f:name': {}, 'f:labels': { 'f:scaled': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } },
        },
      }),
      owns('sluice-rollouts', { 'f:status': { 'f:replicas': {} } }, 'status'),
    );
    const y = yieldToOwners(resource(deployment(3)), live, roles);
    const { replicas: _r, ...rest } = deployment(3)['spec'] as Record<string, unknown>;
    expect(y.object).toEqual({ ...deployment(3), spec: rest });
    expect(y.carried).toBe(false);
  });
});

describe('a Rollout’s pause and restart from the CLI', () => {
  const byCli = (fields: object) => owns('sluice-cli', { 'f:spec': fields });
  const recorded = (controls: object) => ({
    metadata: {
      name: 'web',
      namespace: NS,
      annotations: { [GIT_CONTROLS_ANNOTATION]: JSON.stringify(controls) },
    },
  });
  const live = (
    spec: Record<string, unknown>,
    controls: object | undefined,
    ...managers: object[]
  ) => withManagers(rollout(spec, controls ? recorded(controls) : {}), ...managers);

  it.each<
    [string, Record<string, unknown>, KubeObject | undefined, Record<string, unknown> | 'absent']
  >([
    [
      'Git sets paused: recorded on the first apply',
      { paused: false },
      undefined,
      { paused: false },
    ],
    [
      'paused by `sluice rollout pause`, Git unchanged: the pause stays',
      { paused: false },
      live({ paused: true }, { paused: false }, byCli({ 'f:paused': {} })),
      'absent',
    ],
    [
      'Git changed paused since: Git wins',
      { paused: true },
      live({ paused: false }, { paused: false }, byCli({ 'f:paused': {} })),
      { paused: true },
    ],
    [
      'paused by another tool (kubectl): Git wins, self-heal reverts it',
      { paused: false },
      live(
        { paused: true },
        { paused: false },
        owns('kubectl-patch', { 'f:spec': { 'f:paused': {} } }),
      ),
      { paused: false },
    ],
    [
      'no record of Git’s value (it was not in Git, or an older Sluice applied it): Git wins',
      { paused: false },
      live({ paused: true }, undefined, byCli({ 'f:paused': {} })),
      { paused: false },
    ],
    [
      'a restart from the CLI stays while Git’s restartAt is unchanged',
      { restartAt: '2026-01-01T00:00:00Z' },
      live(
        { restartAt: '2026-02-02T00:00:00Z' },
        { restartAt: '2026-01-01T00:00:00Z' },
        byCli({ 'f:restartAt': {} }),
      ),
      'absent',
    ],
  ])('%s', (_name, gitSpec, liveObj, want) => {
    const git = rollout(gitSpec);
    const y = yieldToOwners(resource(git), liveObj, roles);
    const spec = y.object['spec'] as Record<string, unknown>;
    const field = Object.keys(gitSpec)[0]!;
    if (want === 'absent') expect(spec).not.toHaveProperty(field);
    else expect(spec[field]).toEqual(want[field]);
    expect(JSON.parse(y.object.metadata.annotations?.[GIT_CONTROLS_ANNOTATION] ?? '')).toEqual(
      gitSpec,
    );
    expect(git['spec']).toMatchObject(gitSpec); // Git's object is not changed
  });

  it('Git wins over the pod template (set-image, undo), as Argo CD', () => {
    const image = { 'f:template': { 'f:spec': { 'f:containers': {} } } };
    const liveObj = live({ paused: true }, { paused: false }, byCli({ 'f:paused': {}, ...image }));
    const git = rollout({ paused: false });
    const y = yieldToOwners(resource(git), liveObj, roles);
    const template = (o: KubeObject): unknown => (o['spec'] as Record<string, unknown>)['template'];
    expect(template(y.object)).toEqual(template(git));
  });

  it('a Rollout whose Git sets neither carries no record', () => {
    const y = yieldToOwners(resource(rollout()), undefined, roles);
    expect(y.object.metadata.annotations).toBeUndefined();
  });
});

describe('carryRules', () => {
  const split: RouteSplit = {
    stable: 'web-stable',
    canary: 'web-canary',
    namespace: NS,
    routeNamespace: NS,
    managedRules: new Set(['sluice-web-beta']),
  };

  it.each<[string, RouteRule[], RouteRule[], RouteRule[] | undefined]>([
    [
      'live has no split of the two Services: nothing to carry',
      [{ backendRefs: [ref('web-stable', 100), ref('web-canary', 0)] }],
      [{ backendRefs: [ref('web-stable', 100)] }],
      undefined,
    ],
    [
      'a weight left out (1 by default) stays left out',
      [{ backendRefs: [ref('web-stable', 100), ref('web-canary', 0)] }],
      [{ backendRefs: [ref('web-stable'), ref('web-canary')] }],
      [{ backendRefs: [ref('web-stable'), ref('web-canary')] }],
    ],
    [
      'a backendRef to a Service of another namespace is not the Rollout’s',
      [{ backendRefs: [{ ...ref('web-stable', 100), namespace: 'other' }, ref('web-canary', 0)] }],
      [{ backendRefs: [ref('web-stable', 60), ref('web-canary', 40)] }],
      undefined,
    ],
    [
      'a malformed rule in Git (not yet validated) is left as it is',
      [
        { backendRefs: 'web-stable' as unknown as [] },
        { backendRefs: [null as unknown as { name: string }] },
      ],
      [{ backendRefs: [ref('web-stable', 60), ref('web-canary', 40)] }],
      undefined,
    ],
    [
      'a header rule Git itself defines is not added twice',
      [{ name: 'sluice-web-beta', backendRefs: [ref('web-canary', 100)] }],
      [{ name: 'sluice-web-beta', backendRefs: [ref('web-canary', 100)] }],
      undefined,
    ],
  ])('%s', (_name, desired, live, want) => {
    expect(carryRules(desired, live, split)).toEqual(want);
  });
});
