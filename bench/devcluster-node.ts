/** Real-node figures for bench/devcluster.ts: pod start latency and the node agents' memory. */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kube } from '../src/kube/api.ts';
import { clusterPaths } from '../src/devcluster/paths.ts';
import { readState } from '../src/devcluster/state.ts';

/**
 * Creates `count` pods one after another on the real node (the pinned pause image, so no pull)
 * and returns, for each, the milliseconds from the create request to the pod reading Running.
 */
export async function podStartTimes(kubeconfig: string, count: number): Promise<number[]> {
  const k = await Kube.connect(kubeconfig);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `start-${i}`;
      const t = Date.now();
      await k.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: {
          nodeSelector: { 'sluice.dev/real-node': 'true' },
          tolerations: [{ key: 'sluice.dev/real-node', operator: 'Exists' }],
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image: 'sluice.dev/pause:1', imagePullPolicy: 'Never' }],
        },
      });
      for (;;) {
        const pod = await k.get<{ status?: { phase?: string } } & Parameters<Kube['create']>[0]>(
          'v1',
          'Pod',
          'default',
          name,
        );
        if (pod?.status?.phase === 'Running') break;
        if (Date.now() - t > 60_000) throw new Error(`pod ${name} not Running after 60 s`);
        await sleep(10);
      }
      times.push(Date.now() - t);
    }
  } finally {
    await k.close();
  }
  return times;
}

/** Resident memory (MB) of each of the real node's agents. */
export async function agentRss(cluster: string): Promise<Record<string, number>> {
  const state = await readState(clusterPaths(cluster).state);
  const out: Record<string, number> = {};
  for (const c of state?.components ?? []) {
    if (!['containerd', 'kubelet', 'kube-proxy', 'coredns'].includes(c.name)) continue;
    const status = await readFile(`/proc/${c.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    out[c.name] = Math.round(kb / 1024);
  }
  return out;
}
