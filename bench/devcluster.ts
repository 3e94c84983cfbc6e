/**
 * Dev cluster figures: warm `up` (binaries cached) with kwok nodes only and with the real node,
 * N times each, medians side by side; then, on the real node, pod create -> Running for 20 pods
 * with the image cached, and the node agents' memory. The last line is one JSON object.
 * With --cold, first a cold build of every binary into empty Go and Sluice caches (minutes).
 *
 *   node bench/devcluster.ts [--runs 5] [--cold]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterPaths } from '../src/devcluster/paths.ts';
import { execFile } from '../src/util/exec.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const sluice = (env: NodeJS.ProcessEnv, ...a: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', ...a], { env });
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

if (args.includes('--cold')) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cold-'));
  const env = {
    ...process.env,
    GOCACHE: join(dir, 'gocache'),
    GOMODCACHE: join(dir, 'gomod'),
    SLUICE_CACHE_DIR: join(dir, 'sluice'),
  };
  const t = Date.now();
  const r = await sluice(env, 'dev-cluster', 'build');
  console.log(
    `cold build (empty Go module and build caches): ${((Date.now() - t) / 1000).toFixed(0)} s, exit ${r.code}`,
  );
  for (const line of r.stderr.split('\n').filter((l) => l.includes('built in')))
    console.log(`  ${line.trim()}`);
  await execFile('chmod', ['-R', 'u+w', dir]);
  await rm(dir, { recursive: true, force: true });
}

/** Warm `up` (binaries cached) to the export line, `runs` times; the cluster is left running. */
async function warmUps(name: string, realNodes: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await sluice(process.env, 'dev-cluster', 'down', '--name', name);
    const t = Date.now();
    const r = await sluice(
      process.env,
      'dev-cluster',
      'up',
      '--name',
      name,
      '--real-nodes',
      String(realNodes),
    );
    if (r.code !== 0) throw new Error(r.stderr);
    times.push(Date.now() - t);
  }
  return times;
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const summary = (xs: number[]): string =>
  `median ${fmt(median(xs))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}`;

const kwokOnly = await warmUps('bench-warm', 0);
await sluice(process.env, 'dev-cluster', 'down', '--name', 'bench-warm');
const withNode = await warmUps('bench-warm', 1);
console.log(`warm up, kwok nodes only (${runs} runs):     ${summary(kwokOnly)}`);
console.log(`warm up, with the real node (${runs} runs): ${summary(withNode)}`);

const { podStartTimes, agentRss } = await import('./devcluster-node.ts');
const starts = await podStartTimes(clusterPaths('bench-warm').kubeconfig, 20);
const sorted = [...starts].sort((a, b) => a - b);
const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
console.log(
  `pod create -> Running on the real node (image cached, ${starts.length} pods one after another): ` +
    `p50 ${median(starts)} ms, p99 ${p99} ms, min ${sorted[0]} ms`,
);
const rss = await agentRss('bench-warm');
for (const [name, mb] of Object.entries(rss)) console.log(`  RSS ${name}: ${mb} MB`);
await sluice(process.env, 'dev-cluster', 'down', '--name', 'bench-warm');
console.log(
  JSON.stringify({
    warm_up_s: +(median(withNode) / 1000).toFixed(2),
    warm_up_kwok_only_s: +(median(kwokOnly) / 1000).toFixed(2),
    pod_start_p50_ms: median(starts),
    pod_start_p99_ms: p99,
    node_agent_rss_mb: Object.values(rss).reduce((a, b) => a + b, 0),
    runs,
  }),
);
