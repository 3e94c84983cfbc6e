/**
 * The pipelines benchmark's Tekton rows (`--tekton DIR`): Tekton's controller in place of
 * Sluice's on the same cluster, once with its shipped feature flags, then once more with
 * `--tekton-flags` when given; each pass after the load of Sluice's run has fallen, in a
 * namespace of its own, measured as Sluice was (pipelines-measure.ts).
 */
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from '../src/kube/api.ts';
import { execFile } from '../src/util/exec.ts';
import type { Progress } from '../src/util/progress.ts';
import { row } from './pipelines-doc.ts';
import { figures, load1, timings, warmUp, type Sizes } from './pipelines-measure.ts';
import { type ContainerdEvents, TEKTON, Watches } from './pipelines-observe.ts';
import type { World } from './pipelines-phases.ts';
import {
  installTekton,
  parseFlags,
  pushEntrypoint,
  setFeatureFlags,
  startTektonController,
  TEKTON_API,
} from './pipelines-tekton.ts';

const NAMESPACE = 'bench-tk';

export interface TektonOptions {
  kube: Kube;
  kubeconfig: string;
  /** The cluster registry's address, as the bench pushes to it. */
  registry: string;
  containerd: ContainerdEvents;
  progress: Progress;
  sizes: Sizes;
  /** The checkout and its built binaries (`buildTekton`). */
  src: string;
  bin: string;
  /** What the rows name: `rev`, else the checkout's git commit. */
  rev: string;
  /** `k=v,...` for a second pass; empty for none. */
  flags: string;
  /** The cluster's name (the controller's log file is named after it). */
  cluster: string;
  /** The run's start, as every row of the run shows. */
  started: Date;
  /** The load each pass waits for (3 min at most). */
  quiet: number;
}

type TektonFigures = ReturnType<typeof figures> & {
  load: Record<string, number>;
  parts: Record<string, number>;
};

/**
 * One pass of Tekton's controller in place of Sluice's, same cluster, its own namespace: the
 * same warm-up, chain, DAG and runs. The namespace is deleted afterwards (Tekton keeps every
 * finished pod; the next pass starts with a node as clean as the first).
 */
async function tektonPass(
  o: TektonOptions,
  image: string,
  flags: Record<string, string>,
  namespace: string,
): Promise<TektonFigures> {
  const { kube, progress } = o;
  await setFeatureFlags(kube, flags);
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  await kube.apply(ns, { fieldManager: 'bench' });
  const watches = new Watches(kube, namespace, TEKTON);
  await watches.start();
  // Outside the work dir (removed at the end): read it after a failed run.
  const log = join(tmpdir(), `${o.cluster}-${namespace}-controller.log`);
  progress.detail(`Tekton's controller logs to ${log}`);
  const child = await startTektonController(o.bin, o.kubeconfig, image, log);
  const stopped = () => progress.detail(`Tekton's controller exited early; see ${log}`);
  child.once('exit', stopped);
  const load: Record<string, number> = { start: load1() };
  try {
    const w: World = {
      kube,
      namespace,
      apiVersion: TEKTON_API,
      watches,
      containerd: o.containerd,
      progress,
    };
    await warmUp(w);
    const t = await timings(w, o.sizes, load, 'Tekton');
    load['end'] = load1();
    return { ...figures(t), load, parts: t.parts };
  } finally {
    child.off('exit', stopped);
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(10_000)]);
    watches.stop();
    await kube.delete(ns);
    const t0 = Date.now();
    while (Date.now() - t0 < 180_000 && (await kube.get('v1', 'Namespace', undefined, namespace)))
      await sleep(500);
  }
}

/**
 * Waits (3 min at most) for the 1-minute load to fall to `target`: Tekton's passes follow the
 * burst of Sluice's queue phase and must not be measured in its wake.
 */
async function coolDown(target: number, progress: Progress): Promise<void> {
  const t0 = Date.now();
  if (load1() > target) progress.detail(`load ${load1()}: waiting for ${target} (3 min at most)`);
  while (load1() > target && Date.now() - t0 < 180_000) await sleep(5_000);
}

/** Tekton's rows: its shipped feature flags, then `--tekton-flags` when given. */
export async function tektonRows(o: TektonOptions): Promise<string[]> {
  const { kube, progress } = o;
  progress.step(`Tekton's controller (built from ${o.src}) on the same cluster`);
  const image = await pushEntrypoint(o.bin, o.registry);
  await installTekton(kube, o.src);
  const commit =
    o.rev || (await execFile('git', ['-C', o.src, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const passes = [{}, ...(o.flags ? [parseFlags(o.flags)] : [])];
  const rows: string[] = [];
  for (const [i, flags] of passes.entries()) {
    const text = Object.entries(flags)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    if (text) progress.step(`Tekton again, feature flags ${text}`);
    await coolDown(o.quiet, progress);
    const tk = await tektonPass(o, image, flags, `${NAMESPACE}${i || ''}`);
    const who = `Tekton ${commit || o.src}, ${text || 'shipped feature flags'}; same cluster, after Sluice`;
    rows.push(
      row({
        who,
        started: o.started,
        cpus: cpus().length,
        load: tk.load,
        result: tk,
        parts: tk.parts,
        nodeOptions: '',
      }),
    );
  }
  return rows;
}
