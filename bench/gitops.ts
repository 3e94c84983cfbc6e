/**
 * The GitOps benchmark, in the shape of fluxcd/flux-benchmark: N Applications, each a Deployment
 * scaled to 0, a ServiceAccount, a Service and an Ingress, spread over 10 Git repositories, on a
 * fresh dev cluster. The controller runs as its own process (as in production), so its CPU and
 * memory are its own.
 *
 *   npm run bench:gitops -- --apps 1000 [--concurrency 32] [--keep]
 *
 * Measures, in one run:
 *   cold sync     creating the N apps -> all Synced and Healthy; and the floor: a plain
 *                 concurrent client server-side-applying the same 4N objects, without Sluice
 *   steady state  one full reconcile pass over N in-sync apps: API requests, writes, dry-runs,
 *                 controller CPU time
 *   drift         100 live edits (replicas, a label, a deleted object) on self-healing apps:
 *                 time until reverted, p50/p99
 *   commit        20 commits, each announced by a signed webhook: time until Synced, p50/p99
 *   rss           the controller's peak resident memory
 * It appends a row to docs/benchmarks.md; its last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION, KIND, type Application } from '../src/api/application.ts';
import { installCrds } from '../src/api/install.ts';
import { down, up } from '../src/devcluster/cluster.ts';
import { freePort } from '../src/devcluster/net.ts';
import { Kube } from '../src/kube/api.ts';
import { Informer } from '../src/kube/informer.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { execFile } from '../src/util/exec.ts';
import { consoleProgress, formatDuration } from '../src/util/progress.ts';
import { mapLimit } from '../src/util/semaphore.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const APPS = Number(arg('apps', '1000'));
const CONCURRENCY = arg('concurrency', '32');
/** V8 flags for the controller process, e.g. "--max-old-space-size=192". */
const NODE_OPTIONS = arg('node-options', '');
const REPOS = 10;
const CLUSTER = 'bench-gitops';
const APP_NS = 'sluice-system';
const SECRET = 'bench-webhook-secret';
const progress = consoleProgress();
const pad = (i: number): string => String(i).padStart(4, '0');
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

function manifests(name: string, namespace: string): KubeObject[] {
  const labels = { app: name, tier: 'bench' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [{ name: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.0' }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 9898 }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace, labels },
      spec: {
        rules: [
          {
            host: `${name}.bench.local`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execFile(
    'git',
    [
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@sluice.dev',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: dir },
  );
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const appRepo = (i: number): number => i % REPOS;
const appNs = (i: number): string => `bench-${appRepo(i)}`;

async function makeRepos(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let r = 0; r < REPOS; r++) {
    const dir = join(root, `repo-${r}`);
    await mkdir(dir, { recursive: true });
    await git(dir, 'init', '-q', '-b', 'main');
    dirs.push(dir);
  }
  for (let i = 0; i < APPS; i++) {
    const dir = join(dirs[appRepo(i)] ?? '', `app-${pad(i)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'app.yaml'),
      manifests(`app-${pad(i)}`, appNs(i))
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
  }
  for (const dir of dirs) {
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'apps');
  }
  return dirs;
}

/** The floor: the same 4N objects applied by a plain concurrent client, no Sluice. */
async function floor(kube: Kube): Promise<number> {
  const objects: KubeObject[] = [];
  for (let r = 0; r < REPOS; r++)
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `floor-${r}` } },
      { fieldManager: 'bench' },
    );
  for (let i = 0; i < APPS; i++) objects.push(...manifests(`app-${pad(i)}`, `floor-${appRepo(i)}`));
  await kube.discovery.resolve('networking.k8s.io/v1', 'Ingress');
  const t = Date.now();
  await mapLimit(objects, 64, (o) => kube.apply(o, { fieldManager: 'bench', force: true }));
  return (Date.now() - t) / 1000;
}

interface Metrics {
  counts: Map<string, number>;
  reconciles: number;
}

async function scrape(url: string): Promise<Metrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(
    /^sluice_k8s_request_total\{verb="([^"]+)",code="([^"]+)"\} (\d+)/gm,
  ))
    counts.set(`${m[1]} ${m[2]}`, Number(m[3]));
  const reconciles = Number(/^sluice_reconcile_total (\d+)/m.exec(text)?.[1] ?? 0);
  return { counts, reconciles };
}

function delta(a: Metrics, b: Metrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b.counts) {
    const verb = k.split(' ')[0] ?? k;
    const d = v - (a.counts.get(k) ?? 0);
    // Watches are long-lived streams; lease renewals are leader election, not reconcile work.
    if (d !== 0 && verb !== 'watch' && !verb.startsWith('lease:')) out[verb] = (out[verb] ?? 0) + d;
  }
  return out;
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** Counts Synced+Healthy apps from a watch (polling a list of 1000 apps would load the API server). */
function healthyCounter(informer: Informer<Application>): () => number {
  return () =>
    informer
      .list()
      .filter((a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
      .length;
}

/** Whether the controller has undone drift edit `kind` (0 replicas, 1 a label, 2 a deletion). */
async function reverted(kube: Kube, kind: number, ns: string, name: string): Promise<boolean> {
  if (kind === 0) {
    const d = await kube.get<KubeObject & { spec: { replicas: number } }>(
      'apps/v1',
      'Deployment',
      ns,
      name,
    );
    return d?.spec.replicas === 0;
  }
  if (kind === 1) {
    const s = await kube.get('v1', 'Service', ns, name);
    return s?.metadata.labels?.['tier'] === 'bench';
  }
  return (await kube.get('v1', 'ServiceAccount', ns, name)) !== undefined;
}

async function main(): Promise<void> {
  const started = new Date();
  progress.step(
    `GitOps benchmark: ${APPS} apps over ${REPOS} repos, controller concurrency ${CONCURRENCY}`,
  );
  await down(CLUSTER);
  const { state } = await up({ name: CLUSTER, nodes: 3, realNodes: 0, progress });
  const kube = await Kube.connect(state.kubeconfig, { maxInFlight: 128, connections: 64 });
  const work = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  let controller: ReturnType<typeof spawn> | undefined;
  try {
    await installCrds(kube, progress);
    for (const ns of [APP_NS, ...Array.from({ length: REPOS }, (_, r) => `bench-${r}`)]) {
      await kube.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        { fieldManager: 'bench' },
      );
    }
    progress.step('creating the Git repositories');
    const repos = await makeRepos(work);

    // Where the time goes: CPU seconds of kube-apiserver and etcd during the floor and the sync.
    const serverPids = state.components
      .filter((c) => c.name === 'kube-apiserver' || c.name === 'etcd')
      .map((c) => c.pid);
    const serverCpu = async (): Promise<number> =>
      (await Promise.all(serverPids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    progress.step(`floor: applying ${APPS * 4} objects with a plain client`);
    const floorCpu0 = await serverCpu();
    const floorS = await floor(kube);
    const floorServerCpu = (await serverCpu()) - floorCpu0;
    progress.detail(
      `floor ${floorS.toFixed(1)} s; API server + etcd CPU ${floorServerCpu.toFixed(1)} s`,
    );

    progress.step('starting the controller');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    controller = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'controller',
        '--kubeconfig',
        state.kubeconfig,
        '--namespace',
        APP_NS,
        '--app-namespace',
        APP_NS,
        '--listen',
        `127.0.0.1:${port}`,
        '--concurrency',
        CONCURRENCY,
        '--poll-interval',
        '1h',
        '--log-level',
        'warn',
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          SLUICE_WEBHOOK_SECRET: SECRET,
          SLUICE_CACHE_DIR: join(work, 'cache'),
          ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}),
        },
      },
    );
    const pid = controller.pid ?? 0;
    for (;;) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }

    const appInformer = new Informer<Application>(kube, {
      apiVersion: API_VERSION,
      kind: KIND,
      namespace: APP_NS,
    });
    await appInformer.start();
    const allHealthy = healthyCounter(appInformer);
    progress.step(`cold sync: creating ${APPS} Applications`);
    const coldCpu0 = await serverCpu();
    const ctrlCpu0 = await cpuSeconds(pid);
    const t0 = Date.now();
    await mapLimit(
      Array.from({ length: APPS }, (_, i) => i),
      32,
      (i) =>
        kube.create({
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name: `app-${pad(i)}`, namespace: APP_NS },
          spec: {
            source: {
              repoURL: `file://${repos[appRepo(i)]}`,
              targetRevision: 'main',
              path: `app-${pad(i)}`,
            },
            destination: { namespace: appNs(i) },
            syncPolicy: { automated: { prune: true, selfHeal: true } },
          },
        }),
    );
    let healthy = 0;
    let lastShown = 0;
    while (healthy < APPS) {
      await sleep(100);
      healthy = allHealthy();
      if (Date.now() - lastShown > 5000) {
        progress.detail(
          `${healthy}/${APPS} Synced and Healthy after ${formatDuration(Date.now() - t0)}`,
        );
        lastShown = Date.now();
      }
      if (Date.now() - t0 > 900_000)
        throw new Error(`only ${healthy}/${APPS} apps converged in 15 min`);
    }
    const coldS = (Date.now() - t0) / 1000;
    const coldServerCpu = (await serverCpu()) - coldCpu0;
    const coldCtrlCpu = (await cpuSeconds(pid)) - ctrlCpu0;
    const coldCounts = await scrape(url);
    progress.detail(
      `API server + etcd CPU ${coldServerCpu.toFixed(1)} s, controller CPU ${coldCtrlCpu.toFixed(1)} s, controller requests ${JSON.stringify(delta({ counts: new Map(), reconciles: 0 }, coldCounts))}`,
    );
    progress.detail(`cold sync ${coldS.toFixed(1)} s (${(coldS / floorS).toFixed(2)}x the floor)`);

    progress.step('steady state: one full reconcile pass over in-sync apps');
    await sleep(3000);
    const before = await scrape(url);
    const cpuBefore = await cpuSeconds(pid);
    const queued = (
      (await (await fetch(`${url}/api/resync`, { method: 'POST' })).json()) as { queued: number }
    ).queued;
    for (;;) {
      const m = await scrape(url);
      if (m.reconciles - before.reconciles >= queued) break;
      await sleep(100);
    }
    const after = await scrape(url);
    const noop = delta(before, after);
    const noopCpu = (await cpuSeconds(pid)) - cpuBefore;
    const writes = ['apply', 'patch', 'create', 'update', 'delete'].reduce(
      (n, v) => n + (noop[v] ?? 0),
      0,
    );
    progress.detail(
      `${queued} apps reconciled: requests ${JSON.stringify(noop)}, controller CPU ${noopCpu.toFixed(2)} s`,
    );

    progress.step('drift: 100 live edits on self-healing apps');
    const drift: number[] = [];
    for (let e = 0; e < 100; e++) {
      const i = Math.floor(Math.random() * APPS);
      const name = `app-${pad(i)}`;
      const ns = appNs(i);
      const kind = e % 3;
      const t = Date.now();
      if (kind === 0) {
        await kube.mergePatch(
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns } },
          { spec: { replicas: 2 } },
        );
      } else if (kind === 1) {
        await kube.mergePatch(
          { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns } },
          { metadata: { labels: { tier: null } } },
        );
      } else {
        await kube.delete({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace: ns },
        });
      }
      while (!(await reverted(kube, kind, ns, name))) {
        if (Date.now() - t > 30_000) throw new Error(`${name}: drift not reverted in 30 s`);
        await sleep(5);
      }
      drift.push(Date.now() - t);
    }
    progress.detail(`revert p50 ${pct(drift, 50)} ms, p99 ${pct(drift, 99)} ms`);

    progress.step('commit latency: 20 commits announced by webhook');
    const commits: number[] = [];
    for (let c = 0; c < 20; c++) {
      const i = Math.floor(Math.random() * APPS);
      const name = `app-${pad(i)}`;
      const dir = repos[appRepo(i)] ?? '';
      const objs = manifests(name, appNs(i));
      const dep = objs[1] as KubeObject & { metadata: { annotations?: Record<string, string> } };
      dep.metadata.annotations = { 'bench/commit': String(c) };
      await writeFile(
        join(dir, name, 'app.yaml'),
        objs.map((o) => JSON.stringify(o)).join('\n---\n'),
      );
      await git(dir, 'commit', '-q', '-am', `commit ${c}`);
      const sha = await git(dir, 'rev-parse', 'HEAD');
      const t = Date.now();
      const body = JSON.stringify({ repository: `file://${dir}`, ref: 'refs/heads/main' });
      const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const res = await fetch(`${url}/api/webhook`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-sluice-signature': sig },
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      for (;;) {
        const a = appInformer.get(APP_NS, name);
        if (a?.status?.sync?.revision === sha && a.status.sync.status === 'Synced') break;
        if (Date.now() - t > 60_000) throw new Error(`${name}: commit not synced in 60 s`);
        await sleep(20);
      }
      commits.push(Date.now() - t);
    }
    progress.detail(`commit -> Synced p50 ${pct(commits, 50)} ms, p99 ${pct(commits, 99)} ms`);

    const result = {
      apps: APPS,
      cold_sync_s: +coldS.toFixed(1),
      floor_s: +floorS.toFixed(1),
      ratio: +(coldS / floorS).toFixed(2),
      noop_requests: Object.values(noop).reduce((a, b) => a + b, 0),
      noop_writes: writes,
      noop_dryruns: noop['dryrun'] ?? 0,
      noop_cpu_s: +noopCpu.toFixed(2),
      drift_p50_ms: pct(drift, 50),
      drift_p99_ms: pct(drift, 99),
      commit_p50_ms: pct(commits, 50),
      commit_p99_ms: pct(commits, 99),
      rss_mb: await peakRssMb(pid),
      floor_server_cpu_s: +floorServerCpu.toFixed(1),
      cold_server_cpu_s: +coldServerCpu.toFixed(1),
      cold_controller_cpu_s: +coldCtrlCpu.toFixed(1),
    };
    const row = `| ${started.toISOString().slice(0, 16).replace('T', ' ')} | ${APPS} | ${cpus().length} CPU | ${result.cold_sync_s} s | ${result.floor_s} s | ${result.ratio}x | ${result.noop_requests} / ${result.noop_writes} / ${result.noop_dryruns} | ${result.noop_cpu_s} s | ${result.drift_p50_ms} / ${result.drift_p99_ms} ms | ${result.commit_p50_ms} / ${result.commit_p99_ms} ms | ${result.rss_mb} MB${NODE_OPTIONS ? ` (${NODE_OPTIONS})` : ''} |\n`;
    await appendFile('docs/benchmarks.md', row);
    console.log(JSON.stringify(result));
    appInformer.stop();
  } finally {
    controller?.kill('SIGTERM');
    await kube.close();
    if (!process.argv.includes('--keep')) await down(CLUSTER);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
