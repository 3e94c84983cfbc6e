/**
 * Rollouts deployed by GitOps (ADR 0008): `sluice controller` runs both controllers; an
 * Application (automated, selfHeal, prune) holds a canary Rollout with a Gateway API HTTPRoute
 * and its stable and canary Services. A new image committed to Git steps through the weights
 * while the Application stays Synced (Suspended at the pause, Progressing between steps) and no
 * sync or self-heal ever puts the route's weights or the Services' versions back; a change of the
 * route in Git still applies, with the weights kept; `sluice rollout pause` is not undone by
 * self-heal until Git itself changes `spec.paused`; a Rollout removed from Git is pruned and its
 * route and Services go back to what Git says. Pods run on the kwok nodes (Ready at once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import type { Rollout } from '../../src/api/rollout.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { HASH_LABEL } from '../../src/rollouts/replicasets.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import {
  controllerArgs,
  createApp,
  createRepo,
  getApp,
  syncedHealthy,
  waitApp,
  type TestRepo,
} from './gitops-harness.ts';

const ns = useNamespace('gro');
const RO_API = 'sluice.dev/v1alpha1';
const ROUTE_API = 'gateway.networking.k8s.io/v1';

let child: ChildProcess | undefined;
let logs: string[] = [];
let cacheDir = '';

beforeAll(async () => {
  await installCrds(await kube(), silentProgress);
});

afterEach(async () => {
  const c = child;
  child = undefined;
  if (c && c.exitCode === null) {
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await gone;
  }
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

/** `sluice controller` with the Rollout controller, deploying only into the test's namespace. */
async function startSluice(): Promise<void> {
  cacheDir = await mkdtemp(join(tmpdir(), 'sluice-gro-'));
  logs = [];
  const args = controllerArgs(ns()).filter((a) => a !== '--no-rollouts');
  child = spawn(process.execPath, [...args, '--destination-namespace', ns()], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SLUICE_CACHE_DIR: cacheDir },
  });
  child.stderr?.on('data', (b: Buffer) => logs.push(b.toString()));
}

const cli = async (...args: string[]): Promise<string> => {
  const r = await execFile(
    process.execPath,
    ['bin/sluice.js', 'rollout', ...args, '--kubeconfig', kubeconfigPath(), '-n', ns()],
    { timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1' } },
  );
  if (r.code !== 0) throw new Error(`sluice rollout ${args.join(' ')}: ${r.stderr}`);
  return r.stderr;
};

function rolloutYaml(image: string, extra = ''): string {
  return `apiVersion: ${RO_API}
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
${extra}  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: ${image}
  strategy:
    canary:
      stableService: web-stable
      canaryService: web-canary
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: { httpRoute: web }
        managedRoutes: [{ name: beta }]
      steps:
        - setWeight: 25
        - setHeaderRoute:
            name: beta
            match: [{ headerName: x-beta, headerValue: { exact: '1' } }]
        - pause: {}
        - setWeight: 60
        - pause: { duration: 2s }
`;
}

const serviceYaml = (name: string, labels = ''): string => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
${labels}spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

const routeYaml = (match = ''): string => `apiVersion: ${ROUTE_API}
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{ name: gateway }]
  rules:
    - ${match}backendRefs:
        - { name: web-stable, port: 80, weight: 100 }
        - { name: web-canary, port: 80, weight: 0 }
`;

const manifests = (image: string, rolloutExtra = ''): Record<string, string> => ({
  'app/rollout.yaml': rolloutYaml(image, rolloutExtra),
  'app/stable.yaml': serviceYaml('web-stable'),
  'app/canary.yaml': serviceYaml('web-canary'),
  'app/route.yaml': routeYaml(),
});

/** What a person would look at, all at one moment. */
interface Seen {
  sync: string | undefined;
  revision: string | undefined;
  health: string | undefined;
  /** When the app's last sync operation started: a self-heal or a retry would change it. */
  operation: string | undefined;
  phase: string | undefined;
  stableRS: string | undefined;
  paused: boolean | undefined;
  weights: Record<string, number | undefined>;
  selectors: { stable: string | undefined; canary: string | undefined };
  route: KubeObject | undefined;
}

type Svc = KubeObject & {
  metadata: { labels?: Record<string, string> };
  spec?: { selector?: Record<string, string> };
};
type Route = KubeObject & {
  spec?: {
    rules?: Array<{
      name?: string;
      matches?: unknown;
      backendRefs?: Array<{ name: string; weight?: number }>;
    }>;
  };
};

const ruleNames = (s: Seen): Array<string | undefined> =>
  ((s.route as Route | undefined)?.spec?.rules ?? []).map((r) => r.name);

async function look(k: Kube, app: string): Promise<Seen> {
  const [a, ro, route, stable, canary] = await Promise.all([
    getApp(k, ns(), app),
    k.get<Rollout>(RO_API, 'Rollout', ns(), 'web'),
    k.get<Route>(ROUTE_API, 'HTTPRoute', ns(), 'web'),
    k.get<Svc>('v1', 'Service', ns(), 'web-stable'),
    k.get<Svc>('v1', 'Service', ns(), 'web-canary'),
  ]);
  return {
    sync: a?.status?.sync?.status,
    revision: a?.status?.sync?.revision,
    health: a?.status?.health?.status,
    operation: a?.status?.operationState?.startedAt,
    phase: ro?.status?.phase,
    stableRS: ro?.status?.stableRS,
    paused: ro?.spec.paused,
    weights: Object.fromEntries(
      (route?.spec?.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight]),
    ),
    selectors: {
      stable: stable?.spec?.selector?.[HASH_LABEL],
      canary: canary?.spec?.selector?.[HASH_LABEL],
    },
    route,
  };
}

/**
 * Samples everything every 100 ms until `done`, checking `always` at every sample; fails with the
 * samples seen (and the controller's log) when a check fails or time runs out.
 */
async function watch(
  k: Kube,
  app: string,
  what: string,
  done: (s: Seen) => boolean,
  always: (s: Seen) => void,
  trace: Seen[],
  timeoutMs = 60_000,
): Promise<Seen> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await look(k, app);
    trace.push(s);
    try {
      always(s);
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    } catch (err) {
      const last = trace.slice(-5).map(({ route: _r, ...rest }) => rest);
      throw new Error(
        `${(err as Error).message}\nlast samples: ${JSON.stringify(last, null, 1)}\ncontroller log:\n${logs.join('').slice(-4000)}`,
        { cause: err },
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fetches now (as a push webhook would), instead of waiting for the next poll. */
async function refresh(k: Kube, app: string): Promise<void> {
  await k.mergePatch(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name: app, namespace: ns() } },
    { metadata: { annotations: { 'sluice.dev/refresh': String(Math.random()) } } },
  );
}

/** Commits, and waits until the app synced that commit (Synced at it, no operation running). */
async function commitAndSync(
  k: Kube,
  repo: TestRepo,
  app: string,
  files: Record<string, string | null>,
): Promise<{ sha: string; app: Application }> {
  const sha = await repo.commit(files);
  await refresh(k, app);
  const synced = await waitApp(
    k,
    ns(),
    app,
    `Synced at ${sha.slice(0, 7)}`,
    (a) =>
      a.status?.sync?.status === 'Synced' &&
      a.status.sync.revision === sha &&
      a.status.operationState?.phase === 'Succeeded',
    60_000,
  );
  return { sha, app: synced };
}

async function deploy(k: Kube, files: Record<string, string>) {
  const repo = await createRepo(files);
  await startSluice();
  const app = await createApp(k, ns(), {
    source: { repoURL: repo.url, path: 'app' },
    syncPolicy: { automated: { prune: true, selfHeal: true } },
  });
  await waitApp(
    k,
    ns(),
    app,
    'Synced/Healthy with the Rollout Healthy',
    (a) => syncedHealthy(a) && (a.status?.resources ?? []).some((r) => r.kind === 'Rollout'),
    90_000,
  );
  const first = await look(k, app);
  expect(first.phase).toBe('Healthy');
  return { repo, app, v1: first.stableRS ?? '' };
}

describe('Rollouts under GitOps', () => {
  it('a canary steps through its weights while the app stays Synced; self-heal never resets the route or the Services', async () => {
    const k = await kube();
    const { repo, app, v1 } = await deploy(k, manifests('sample-app:v1'));
    const start = await look(k, app);
    expect(start.weights).toEqual({ 'web-stable': 100, 'web-canary': 0 });
    expect(start.selectors).toEqual({ stable: v1, canary: v1 });

    // 1. A new image in Git: synced once, then the rollout walks alone.
    let { sha, app: synced } = await commitAndSync(k, repo, app, {
      'app/rollout.yaml': rolloutYaml('sample-app:v2'),
    });
    let operation = synced.status?.operationState?.startedAt;
    const trace: Seen[] = [];
    const steady = (s: Seen): void => {
      expect(s.sync, 'the app stays Synced').toBe('Synced');
      expect(s.revision).toBe(sha);
      expect(s.operation, 'no sync or self-heal starts while the rollout runs').toBe(operation);
      expect(['Progressing', 'Suspended', 'Healthy']).toContain(s.health);
    };
    const paused = await watch(
      k,
      app,
      'paused at 25 %, the app Suspended',
      // The app's health follows the Rollout's status on its next reconcile: wait for both.
      (s) => s.phase === 'Paused' && s.weights['web-canary'] === 25 && s.health === 'Suspended',
      steady,
      trace,
    );
    const v2 = paused.selectors.canary ?? '';
    expect(v2).not.toBe(v1);
    expect(paused.health).toBe('Suspended');
    expect(paused.selectors).toEqual({ stable: v1, canary: v2 });
    expect(paused.weights).toEqual({ 'web-stable': 75, 'web-canary': 25 });
    const headerRule = {
      name: 'sluice-web-beta',
      matches: [{ headers: [{ type: 'Exact', name: 'x-beta', value: '1' }] }],
      backendRefs: [{ name: 'web-canary', port: 80, weight: 100 }],
    };
    expect(ruleNames(paused)).toEqual([undefined, 'sluice-web-beta']);

    // 2. While paused, Git changes the route's match and labels a Service: that applies, and
    //    the weights and versions the controller set stay.
    ({ sha, app: synced } = await commitAndSync(k, repo, app, {
      'app/route.yaml': routeYaml(
        'matches: [{ path: { type: PathPrefix, value: /shop } }]\n      ',
      ),
      'app/stable.yaml': serviceYaml('web-stable', '  labels: { tier: front }\n'),
    }));
    operation = synced.status?.operationState?.startedAt;
    const changed = await look(k, app);
    // Git's rule applies; the controller's header rule stays (its match follows Git's at the
    // Rollout's next reconcile: the Rollout controller does not watch HTTPRoutes yet).
    expect(changed.route?.['spec']).toMatchObject({
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/shop' } }] },
        { name: headerRule.name, backendRefs: headerRule.backendRefs },
      ],
    });
    expect(changed.weights).toEqual({ 'web-stable': 75, 'web-canary': 25 });
    expect(changed.selectors).toEqual({ stable: v1, canary: v2 });
    const stableSvc = await k.get<Svc>('v1', 'Service', ns(), 'web-stable');
    expect(stableSvc?.metadata.labels?.['tier']).toBe('front');
    expect(changed.health).toBe('Suspended');
    // A second later nothing has moved: no self-heal put Git's 100/0 back.
    await new Promise((r) => setTimeout(r, 1000));
    steady(await look(k, app));
    expect((await look(k, app)).weights).toEqual({ 'web-stable': 75, 'web-canary': 25 });

    // 3. Promote: 60 %, a 2 s pause, then the new version is stable.
    await cli('promote', 'web');
    const done = await watch(
      k,
      app,
      'Synced and Healthy at v2',
      (s) => s.health === 'Healthy' && s.phase === 'Healthy' && s.stableRS === v2,
      steady,
      trace,
    );
    expect(done.weights).toEqual({ 'web-stable': 100, 'web-canary': 0 });
    expect(done.selectors).toEqual({ stable: v2, canary: v2 });
    expect(ruleNames(done)).toEqual([undefined]); // the header route is gone with the canary

    // Read at every sample: before the switch the canary's share only grew, and the canary
    // Service never went back to the old version.
    const before = trace.filter((s) => s.selectors.stable === v1);
    const shares = before.map((s) => s.weights['web-canary'] ?? 0);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    expect(shares).toContain(60);
    const canaryVersions = trace.map((s) => s.selectors.canary);
    expect(canaryVersions.slice(canaryVersions.indexOf(v2))).not.toContain(v1);
    expect(trace.every((s) => s.health !== 'Degraded')).toBe(true);
  });

  it('`sluice rollout pause` is not undone by self-heal; Git wins once Git changes spec.paused', async () => {
    const k = await kube();
    // Git says `paused: false` itself: without ADR 0008 every self-heal would unpause.
    const { repo, app } = await deploy(k, manifests('sample-app:v1', '  paused: false\n'));
    const ro = { apiVersion: RO_API, kind: 'Rollout', metadata: { name: 'web', namespace: ns() } };
    const operation = (await look(k, app)).operation;

    /** Drifts `spec.replicas` by hand and waits for self-heal to put Git's 2 back. */
    const healReplicas = async (): Promise<void> => {
      await k.mergePatch(ro, { spec: { replicas: 5 } });
      await eventually('self-heal put replicas back to 2', async () => {
        const r = await k.get<Rollout>(RO_API, 'Rollout', ns(), 'web');
        return r?.spec.replicas === 2 ? r : undefined;
      });
    };

    await cli('pause', 'web');
    await healReplicas();
    // The self-heal's operation is recorded on the app just after its writes.
    let now = await eventually('self-heal recorded', async () => {
      const l = await look(k, app);
      return l.operation !== operation ? l : undefined;
    });
    expect(now.paused, 'the pause survived self-heal').toBe(true);
    await waitApp(k, ns(), app, 'Synced', (a) => a.status?.sync?.status === 'Synced');

    // Git changes its own value: Git wins, now and after the CLI acts again.
    await cli('promote', 'web'); // unpauses
    expect((await look(k, app)).paused).toBe(false);
    await commitAndSync(k, repo, app, {
      'app/rollout.yaml': rolloutYaml('sample-app:v1', '  paused: true\n'),
    });
    expect((await look(k, app)).paused).toBe(true);
    await cli('promote', 'web');
    await healReplicas();
    now = await look(k, app);
    expect(now.paused, 'Git has not changed since: the CLI’s resume stays').toBe(false);
    expect(now.sync).toBe('Synced');
  });

  it('a Rollout removed from Git mid-canary is pruned; its route and Services go back to Git', async () => {
    const k = await kube();
    const { repo, app, v1 } = await deploy(k, manifests('sample-app:v1'));
    await commitAndSync(k, repo, app, { 'app/rollout.yaml': rolloutYaml('sample-app:v2') });
    await watch(
      k,
      app,
      'paused at 25 %, the app Suspended',
      // The app's health follows the Rollout's status on its next reconcile: wait for both.
      (s) => s.phase === 'Paused' && s.weights['web-canary'] === 25 && s.health === 'Suspended',
      () => undefined,
      [],
    );
    expect((await look(k, app)).selectors.stable).toBe(v1);

    await commitAndSync(k, repo, app, { 'app/rollout.yaml': null });
    await waitApp(k, ns(), app, 'Synced/Healthy without the Rollout', syncedHealthy);
    // A last reconcile of the Rollout racing its prune may point a Service at a version once
    // more; self-heal puts Git's selector back (the Service is no longer named by a Rollout).
    const after = await eventually('the Services back on Git', async () => {
      const l = await look(k, app);
      return l.selectors.stable === undefined && l.selectors.canary === undefined ? l : undefined;
    });
    expect(after.phase).toBeUndefined();
    expect(after.weights).toEqual({ 'web-stable': 100, 'web-canary': 0 });
    // Its ReplicaSets go with it (owned by the Rollout).
    await eventually('the ReplicaSets garbage-collected', async () => {
      const sets = await k.list('apps/v1', 'ReplicaSet', { namespace: ns() });
      return sets.items.length === 0 ? true : undefined;
    });
  });
});
