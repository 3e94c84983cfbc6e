/** The state file of a running dev cluster: what was started, where, and with which ports. */
import { readFile, writeFile } from 'node:fs/promises';
import type { RealNodeState } from './node/node.ts';
import type { RunningComponent } from './process.ts';

export interface ClusterState {
  name: string;
  createdAt: string;
  kubernetesVersion: string;
  server: string;
  kubeconfig: string;
  nodes: number;
  ports: Record<string, number>;
  components: RunningComponent[];
  /** The real node, when the cluster has one. */
  realNode?: RealNodeState;
  /** The local OCI registry (`host:port`), reachable from the host, the node and its pods. */
  registry?: string;
}

export async function readState(path: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export async function writeState(path: string, state: ClusterState): Promise<void> {
  await writeFile(path, JSON.stringify(state, null, 2) + '\n');
}
