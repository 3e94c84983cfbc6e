/**
 * The dev cluster's local OCI registry: Debian's `docker-registry` (distribution v2.8), plain
 * HTTP, no auth, images kept on the filesystem.
 *
 * It runs detached like the other components (src/devcluster/process.ts) and is stopped with
 * `stopComponent`. On a cluster with a real node it listens on the node's address inside the
 * node's network namespace (`netns`), so pods and the node's containerd reach it there; the
 * process is then started through `nsenter --net=/var/run/netns/<name>`, which execs the registry
 * in place (same PID), so the PID check of `isRunning` keeps working.
 *
 * @example
 * const reg = await startRegistry({ rootDir, listen: '127.0.0.1:5001', log, configPath });
 * await waitRegistryReady('127.0.0.1:5001', reg);
 * // ... later
 * await stopComponent(reg);
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { DevClusterError } from './errors.ts';
import { startComponent, waitReady, type RunningComponent } from './process.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const NSENTER_BINARY = '/usr/bin/nsenter';

export interface RegistryOptions {
  /** The registry's storage: `<rootDir>/docker/registry/v2/{blobs,repositories}`. */
  rootDir: string;
  /** `host:port` to listen on. */
  listen: string;
  /** Log file (stdout and stderr). */
  log: string;
  /** Where the generated config.yml is written. */
  configPath: string;
  /** Run inside this network namespace (`ip netns` name), e.g. the real node's. */
  netns?: string;
  /** Override the binary (tests). */
  binary?: string;
}

/**
 * The registry's config.yml: filesystem storage, deletes allowed (so images can be cleaned up),
 * no auth, warnings only and no access log (a pull would log one line per layer).
 * `secret` signs upload state between requests; any random string does for one instance.
 */
export function registryConfig(opts: { rootDir: string; listen: string; secret: string }): string {
  return stringify({
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: opts.rootDir },
      delete: { enabled: true },
    },
    http: { addr: opts.listen, secret: opts.secret },
  });
}

/** The command line that runs `binary args...` in network namespace `netns` (or as is). */
export function inNetns(
  netns: string | undefined,
  binary: string,
  args: readonly string[],
): { binary: string; args: string[] } {
  if (netns === undefined) return { binary, args: [...args] };
  return { binary: NSENTER_BINARY, args: [`--net=/var/run/netns/${netns}`, '--', binary, ...args] };
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function requirePrerequisites(binary: string, netns: string | undefined): Promise<void> {
  if (!(await executable(binary))) {
    throw new DevClusterError('ToolMissing', `docker-registry is not installed (no ${binary})`, {
      hint: "install Debian's registry: `apt-get install docker-registry`",
    });
  }
  if (netns === undefined) return;
  try {
    await access(`/var/run/netns/${netns}`);
  } catch {
    throw new DevClusterError(
      'ComponentDied',
      `registry: network namespace "${netns}" does not exist (/var/run/netns/${netns})`,
      {
        hint: "the real node's namespace is created by `sluice dev-cluster up`; run `sluice dev-cluster down`, then `up` again",
      },
    );
  }
}

/** `argv[0]` of a running process, or undefined once it is gone. */
async function argv0(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0];
  } catch {
    return undefined;
  }
}

/**
 * Writes the config and starts the registry; resolves once the process runs the registry binary
 * (after nsenter's exec, when in a namespace). Call `waitRegistryReady` next.
 */
export async function startRegistry(opts: RegistryOptions): Promise<RunningComponent> {
  const binary = opts.binary ?? REGISTRY_BINARY;
  await requirePrerequisites(binary, opts.netns);
  await mkdir(opts.rootDir, { recursive: true });
  await mkdir(dirname(opts.configPath), { recursive: true });
  await mkdir(dirname(opts.log), { recursive: true });
  const secret = randomBytes(16).toString('hex');
  await writeFile(opts.configPath, registryConfig({ ...opts, secret }), { mode: 0o600 });
  const args = ['serve', opts.configPath];
  const cmd = inNetns(opts.netns, binary, args);
  const started = startComponent('registry', cmd.binary, cmd.args, opts.log);
  const component: RunningComponent = { ...started, binary, args };
  if (cmd.binary !== binary) {
    // nsenter joins the namespace, then execs the registry under the same PID.
    const deadline = Date.now() + 5000;
    while ((await argv0(started.pid)) === cmd.binary && Date.now() < deadline) await sleep(10);
  }
  return component;
}

/** True when `GET http://<address>/v2/` answers 200 (the registry serves the API). */
export async function registryReady(address: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Waits until the registry answers at `address`. Given the registry's component, fails fast
 * (quoting its log) if the process dies meanwhile.
 */
export async function waitRegistryReady(
  address: string,
  registry?: RunningComponent,
  timeoutMs = 15_000,
): Promise<void> {
  if (registry !== undefined) {
    await waitReady(registry, () => registryReady(address), timeoutMs);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await registryReady(address))) {
    if (Date.now() > deadline) {
      throw new DevClusterError(
        'ComponentNotReady',
        `the registry at ${address} did not answer GET /v2/ within ${Math.round(timeoutMs / 1000)}s`,
        { hint: 'check that it runs (`sluice dev-cluster status`) and read its log' },
      );
    }
    await sleep(100);
  }
}
