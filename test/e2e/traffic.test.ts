/**
 * Traffic routers against the dev cluster: the Ingress NGINX router's canary Ingress and the
 * Gateway API router's HTTPRoute, read back at every step of 0 → 10 → 50 → 100 → 0 and with
 * header routes; a second call at the same weight writes nothing; a missing stable Ingress,
 * HTTPRoute or Service is a typed error naming it, with nothing written. The Gateway API CRDs
 * are installed from the pinned Go module (and a second install is skipped).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import { installGatewayApiCrds } from '../../src/devcluster/gateway-api.ts';
import type { Kube } from '../../src/kube/api.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import {
  deleteCanaryIngress,
  GatewayApiRouter,
  NginxRouter,
  scopeOf,
  TrafficRouterError,
  type HeaderRoute,
  type TrafficRouter,
} from '../../src/rollouts/traffic/index.ts';
import type { HTTPRoute } from '../../src/rollouts/traffic/gatewayapi.ts';
import type { Ingress } from '../../src/rollouts/traffic/nginx.ts';
import {
  httpRoute,
  ingress,
  path,
  service,
  testRollout,
  weightedRule,
  type RolloutFixture,
} from '../../src/rollouts/traffic/testing.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { kube, useNamespace } from './harness.ts';

const ns = useNamespace('traffic');
const PLUGIN = 'argoproj-labs/gatewayAPI';
const WRITES = ['apply', 'create', 'patch', 'update', 'delete'] as const;
const beta: HeaderRoute = {
  name: 'beta',
  match: [{ headerName: 'X-Beta', headerValue: { exact: 'yes' } }],
};
const betaPrefix: HeaderRoute = {
  name: 'beta',
  match: [{ headerName: 'X-Beta', headerValue: { prefix: 'v2.' } }],
};

let k: Kube;
beforeAll(async () => {
  k = await kube();
  await installCrds(k, silentProgress);
  const first = await installGatewayApiCrds(k);
  const again = await installGatewayApiCrds(k);
  console.log(
    `Gateway API CRDs: ${first.skipped ? 'already there' : `installed in ${first.ms} ms`}; again: ${again.ms} ms`,
  );
  expect(again).toMatchObject({ skipped: true, applied: [], version: 'v1.6.3' });
});

/** Creates the Rollout (so the canary Ingress has a live owner) and both Services. */
async function setup(
  f: Omit<RolloutFixture, 'namespace'>,
  services = ['web-stable', 'web-canary'],
) {
  for (const s of services) await k.create(service(ns(), s));
  const created = await k.create<Rollout>(testRollout({ ...f, namespace: ns() }));
  return { rollout: created, scope: scopeOf(created, { stable: 'aaa', canary: 'bbb' }) };
}

async function get<T extends KubeObject>(
  apiVersion: string,
  kind: string,
  name: string,
): Promise<T | undefined> {
  return k.get<T>(apiVersion, kind, ns(), name);
}

async function expectRouterError(p: Promise<unknown>, reason: string, object: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TrafficRouterError);
  expect(err).toMatchObject({ reason });
  expect((err as Error).message.startsWith(`${object}: `)).toBe(true);
}

describe('Ingress NGINX router', () => {
  const stableIngress = () =>
    ingress(
      ns(),
      'web',
      [
        { host: 'shop.example', http: { paths: [path('/', 'web-stable'), path('/api', 'api')] } },
        {
          host: 'www.shop.example',
          http: { paths: [path('/', 'web-stable', 'http'), path('/static', 'web-stable')] },
        },
        { host: 'admin.example', http: { paths: [path('/', 'admin')] } },
      ],
      { className: 'nginx' },
    );
  const nginx = {
    nginx: { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-cookie': 'beta' } },
  };
  const canaryOf = () => get<Ingress>('networking.k8s.io/v1', 'Ingress', 'web-web-canary');

  it('mirrors a stable Ingress of several hosts and paths; weights 0 → 10 → 50 → 100 → 0 and header routes, read at every step', async () => {
    const stable = await k.create<Ingress>(stableIngress());
    const { rollout, scope } = await setup({ trafficRouting: nginx });
    const router: TrafficRouter = new NginxRouter({ kube: k });
    for (const [i, weight] of [0, 10, 50, 100, 0].entries()) {
      const [change] = await router.reconcile({ ...scope, weight });
      expect(change?.action).toBe(i === 0 ? 'created' : 'configured');
      const c = await canaryOf();
      expect(c?.metadata.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-weight': String(weight),
        'nginx.ingress.kubernetes.io/canary-by-cookie': 'beta',
      });
      expect(c?.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'Rollout',
        name: 'web',
        uid: rollout.metadata.uid,
      });
      expect((await router.verify(scope)).weight).toBe(weight);
    }
    const c = await canaryOf();
    expect(c?.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        { host: 'shop.example', http: { paths: [path('/', 'web-canary')] } },
        {
          host: 'www.shop.example',
          http: { paths: [path('/', 'web-canary', 'http'), path('/static', 'web-canary')] },
        },
      ],
    });
    // Header routes: exact value, then a prefix (a pattern), then removed with the weight kept.
    await router.reconcile({ ...scope, weight: 10, headerRoutes: [beta] });
    expect((await canaryOf())?.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/canary-by-header': 'X-Beta',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'yes',
    });
    await router.reconcile({ ...scope, weight: 10, headerRoutes: [betaPrefix] });
    const prefixed = (await canaryOf())?.metadata.annotations ?? {};
    expect(prefixed['nginx.ingress.kubernetes.io/canary-by-header-pattern']).toBe('^v2\\..*');
    expect(prefixed['nginx.ingress.kubernetes.io/canary-by-header-value']).toBeUndefined();
    expect((await router.verify(scope)).headerRoutes).toEqual(['beta']);
    await router.removeManagedRoutes(scope);
    const removed = (await canaryOf())?.metadata.annotations ?? {};
    expect(Object.keys(removed).filter((a) => a.includes('canary-by-header'))).toEqual([]);
    expect(removed['nginx.ingress.kubernetes.io/canary-weight']).toBe('10');
    // The user's stable Ingress was never written.
    expect((await get('networking.k8s.io/v1', 'Ingress', 'web'))?.metadata.resourceVersion).toBe(
      stable.metadata.resourceVersion,
    );
    // Every field of the canary Ingress belongs to the rollout controller's field manager.
    expect(
      (await canaryOf())?.metadata.managedFields?.map((f) => (f as { manager: string }).manager),
    ).toEqual(['sluice-rollouts']);
    expect(await deleteCanaryIngress(k, rollout)).toMatchObject({ action: 'deleted' });
    expect(await canaryOf()).toBeUndefined();
  });

  it('a second call at the same weight writes nothing', async () => {
    await k.create(stableIngress());
    const { scope } = await setup({ trafficRouting: nginx });
    const router = new NginxRouter({ kube: k });
    const [first] = await router.reconcile({ ...scope, weight: 10, headerRoutes: [beta] });
    const writes = k.client.total(WRITES);
    const [second] = await router.reconcile({ ...scope, weight: 10, headerRoutes: [beta] });
    expect(k.client.total(WRITES)).toBe(writes);
    expect(second).toMatchObject({ action: 'unchanged', resourceVersion: first?.resourceVersion });
    expect((await canaryOf())?.metadata.resourceVersion).toBe(first?.resourceVersion);
  });

  it('a missing stable Ingress or canary Service is an error naming it, and nothing is written', async () => {
    const { scope } = await setup({ trafficRouting: nginx }, ['web-stable']);
    const router = new NginxRouter({ kube: k });
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10 }),
      'RouterObjectMissing',
      `Ingress/${ns()}/web`,
    );
    await k.create(stableIngress());
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10 }),
      'RouterObjectMissing',
      `Service/${ns()}/web-canary`,
    );
    expect(await canaryOf()).toBeUndefined();
  });

  it('two header matches are HeaderRouteUnsupported; an Ingress it did not create is not taken over', async () => {
    await k.create(stableIngress());
    const { rollout, scope } = await setup({ trafficRouting: nginx });
    const router = new NginxRouter({ kube: k });
    const two: HeaderRoute = { name: 'beta', match: [...beta.match, ...betaPrefix.match] };
    const canaryName = `Ingress/${ns()}/web-web-canary`;
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10, headerRoutes: [two] }),
      'HeaderRouteUnsupported',
      canaryName,
    );
    expect(await canaryOf()).toBeUndefined();
    const theirs = await k.create<Ingress>(
      ingress(ns(), 'web-web-canary', [{ http: { paths: [path('/', 'x')] } }]),
    );
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10 }),
      'RouterObjectConflict',
      canaryName,
    );
    await expectRouterError(deleteCanaryIngress(k, rollout), 'RouterObjectConflict', canaryName);
    expect((await canaryOf())?.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
  });
});

describe('Gateway API router', () => {
  const API = 'gateway.networking.k8s.io/v1';
  const admin = weightedRule('/admin', [['admin', 1]]);
  const gateway = {
    plugins: { [PLUGIN]: { httpRoute: 'web' } },
    managedRoutes: [{ name: 'beta' }],
  };
  const routeOf = () => get<HTTPRoute>(API, 'HTTPRoute', 'web');
  /** The route as a GitOps sync would apply it (field manager `sluice`). */
  const applyRoute = () =>
    k.apply<HTTPRoute>(
      httpRoute(ns(), 'web', [
        admin,
        weightedRule('/', [
          ['web-stable', 100],
          ['web-canary', 0],
        ]),
      ]),
      {
        fieldManager: 'sluice',
        force: true,
      },
    );
  const weightsOf = (r: HTTPRoute | undefined) =>
    r?.spec?.rules?.map((x) => x.backendRefs?.map((b) => [b.name, b.weight]));

  it('sets backendRefs weights 0 → 10 → 50 → 100 → 0 and header rules, read at every step; the user rule stays', async () => {
    await applyRoute();
    const { scope } = await setup({ trafficRouting: gateway });
    const router = new GatewayApiRouter({ kube: k });
    for (const weight of [0, 10, 50, 100, 0]) {
      await router.reconcile({ ...scope, weight });
      expect(weightsOf(await routeOf())).toEqual([
        [['admin', 1]],
        [
          ['web-stable', 100 - weight],
          ['web-canary', weight],
        ],
      ]);
      expect((await router.verify(scope)).weight).toBe(weight);
    }
    await router.reconcile({ ...scope, weight: 10, headerRoutes: [beta] });
    const withHeader = await routeOf();
    expect(withHeader?.spec?.rules?.[2]).toMatchObject({
      name: 'sluice-web-beta',
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ type: 'Exact', name: 'X-Beta', value: 'yes' }],
        },
      ],
      backendRefs: [{ name: 'web-canary', weight: 100 }],
    });
    expect(await router.verify(scope)).toMatchObject({ weight: 10, headerRoutes: ['beta'] });
    await router.removeManagedRoutes(scope);
    const after = await routeOf();
    expect(after?.spec?.rules?.map((r) => r.name)).toEqual([undefined, undefined]);
    expect(weightsOf(after)?.[1]).toEqual([
      ['web-stable', 90],
      ['web-canary', 10],
    ]);
    // GitOps keeps parentRefs and hostnames; the rollout controller owns spec.rules (an atomic list).
    const owners = Object.fromEntries(
      (after?.metadata.managedFields ?? []).map((f) => {
        const e = f as { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } };
        return [e.manager, Object.keys(e.fieldsV1?.['f:spec'] ?? {}).sort()];
      }),
    );
    expect(owners).toEqual({
      sluice: ['f:hostnames', 'f:parentRefs'],
      'sluice-rollouts': ['f:rules'],
    });
  });

  it('a second call at the same weight writes nothing', async () => {
    await applyRoute();
    const { scope } = await setup({ trafficRouting: gateway });
    const router = new GatewayApiRouter({ kube: k });
    const [first] = await router.reconcile({ ...scope, weight: 30, headerRoutes: [betaPrefix] });
    const writes = k.client.total(WRITES);
    const [second] = await router.reconcile({ ...scope, weight: 30, headerRoutes: [betaPrefix] });
    expect(k.client.total(WRITES)).toBe(writes);
    expect(second).toMatchObject({ action: 'unchanged', resourceVersion: first?.resourceVersion });
    expect((await routeOf())?.metadata.resourceVersion).toBe(first?.resourceVersion);
  });

  it('a missing HTTPRoute or canary Service is an error naming it, and nothing is written', async () => {
    const { scope } = await setup({ trafficRouting: gateway }, ['web-stable']);
    const router = new GatewayApiRouter({ kube: k });
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10 }),
      'RouterObjectMissing',
      `HTTPRoute/${ns()}/web`,
    );
    const route = await applyRoute();
    await expectRouterError(
      router.reconcile({ ...scope, weight: 10 }),
      'RouterObjectMissing',
      `Service/${ns()}/web-canary`,
    );
    expect((await routeOf())?.metadata.resourceVersion).toBe(route.metadata.resourceVersion);
  });

  it('a route changed between read and write is a conflict, not overwritten', async () => {
    const stale = await applyRoute();
    const { scope } = await setup({ trafficRouting: gateway });
    await k.apply(
      httpRoute(ns(), 'web', [
        weightedRule('/', [
          ['web-stable', 1],
          ['web-canary', 1],
        ]),
      ]),
      { fieldManager: 'sluice', force: true },
    );
    // A reader whose HTTPRoute is out of date (as an informer's cache can be for a moment).
    const read = (apiVersion: string, kind: string, namespace: string, name: string) =>
      kind === 'HTTPRoute' ? Promise.resolve(stale) : k.get(apiVersion, kind, namespace, name);
    const router = new GatewayApiRouter({ kube: k, read });
    const err = await router.reconcile({ ...scope, weight: 10 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).conflict).toBe(true);
    expect(weightsOf(await routeOf())).toEqual([
      [
        ['web-stable', 1],
        ['web-canary', 1],
      ],
    ]);
  });
});
