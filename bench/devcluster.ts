/**
 * Dev cluster start-up figures: warm start (binaries cached) measured N times, median printed.
 * With --cold, first a cold build of every binary into empty Go and Sluice caches (minutes).
 *
 *   node bench/devcluster.ts [--runs 5] [--cold]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const times: number[] = [];
for (let i = 0; i < runs; i++) {
  await sluice(process.env, 'dev-cluster', 'down', '--name', 'bench-warm');
  const t = Date.now();
  const r = await sluice(process.env, 'dev-cluster', 'up', '--name', 'bench-warm');
  if (r.code !== 0) throw new Error(r.stderr);
  times.push(Date.now() - t);
}
await sluice(process.env, 'dev-cluster', 'down', '--name', 'bench-warm');
console.log(
  `warm start (up to export line, ${runs} runs): median ${(median(times) / 1000).toFixed(2)} s, min ${(Math.min(...times) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s`,
);
console.log(JSON.stringify({ warm_start_median_s: +(median(times) / 1000).toFixed(2), runs }));
