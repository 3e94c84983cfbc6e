/**
 * Starting and stopping the dev cluster's component processes.
 *
 * Components run detached (their own process group), with stdout and stderr in one log file
 * each, so `sluice dev-cluster up` can exit while the cluster keeps running. Before a PID is
 * signalled we check that it still runs the binary we started, so a recycled PID is never hit.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tail } from '../util/exec.ts';
import { DevClusterError } from './errors.ts';

export type ComponentName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'registry'
  | 'containerd'
  | 'kubelet'
  | 'kube-proxy'
  | 'coredns'
  | 'volume-provisioner';

export interface RunningComponent {
  name: ComponentName;
  pid: number;
  binary: string;
  args: string[];
  log: string;
  /**
   * Commands that prepare the process and then exec the binary (`nsenter --net=...`, the real
   * node's launcher): the PID stays the component's, and /proc shows the binary.
   */
  wrapper?: string[];
  env?: Record<string, string>;
}

export interface StartOptions {
  wrapper?: string[];
  env?: Record<string, string>;
}

export function startComponent(
  name: ComponentName,
  binary: string,
  args: string[],
  log: string,
  options: StartOptions = {},
): RunningComponent {
  const fd = openSync(log, 'a');
  const wrapper = options.wrapper ?? [];
  const [command, ...rest] = [...wrapper, binary, ...args];
  try {
    const child = spawn(command ?? binary, rest, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...options.env },
    });
    child.unref();
    if (child.pid === undefined) {
      throw new DevClusterError('ComponentDied', `${name} could not be started (${binary})`, {
        logPath: log,
        hint: `check that ${binary} exists and is executable; \`sluice dev-cluster build\` rebuilds it`,
      });
    }
    return {
      name,
      pid: child.pid,
      binary,
      args,
      log,
      ...(options.wrapper ? { wrapper: options.wrapper } : {}),
      ...(options.env ? { env: options.env } : {}),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * The programs a component's PID may show: its binary, or while starting, one of its wrapper's
 * commands (they exec each other, keeping the PID).
 */
export function programs(c: RunningComponent): string[] {
  return [c.binary, ...(c.wrapper ?? [])];
}

/**
 * True while `pid` runs `binary` (or one of several; checked through /proc, so a recycled PID
 * does not count).
 */
export async function isRunning(pid: number, binary: string | readonly string[]): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; it only waits for its parent to reap it.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const argv0 = cmdline.split('\0')[0] ?? '';
    if (state === 'Z') return false;
    // In the middle of an exec (a wrapper becoming the component) the command line reads empty.
    if (argv0 === '') return true;
    return (typeof binary === 'string' ? [binary] : binary).includes(argv0);
  } catch {
    return false;
  }
}

/** The error for a component that exited while starting, quoting its log. */
export async function diedError(c: RunningComponent): Promise<DevClusterError> {
  const text = await readFile(c.log, 'utf8').catch(() => '');
  const portMatch = /listen tcp [^:]*:(\d+): bind: address already in use/.exec(text);
  if (portMatch) {
    return new DevClusterError(
      'PortInUse',
      `${c.name} could not listen on port ${portMatch[1]}: it is already in use`,
      {
        logPath: c.log,
        hint: 'another process holds that port; stop it, or start the cluster on other ports (`--api-port`), then run `sluice dev-cluster up` again',
      },
    );
  }
  return new DevClusterError(
    'ComponentDied',
    `${c.name} exited while starting\n--- last lines of ${c.log} ---\n${tail(text, 20)}`,
    {
      logPath: c.log,
      hint: `read ${c.log}; \`sluice dev-cluster down\` cleans up what was started`,
    },
  );
}

/**
 * Polls `ready()` until it returns true, failing fast if the component dies.
 * `ready` must not throw for "not yet"; it returns false.
 */
export async function waitReady(
  c: RunningComponent,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isRunning(c.pid, programs(c)))) throw await diedError(c);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      const text = await readFile(c.log, 'utf8').catch(() => '');
      throw new DevClusterError(
        'ComponentNotReady',
        `${c.name} did not become ready within ${Math.round(timeoutMs / 1000)}s\n--- last lines of ${c.log} ---\n${tail(text, 20)}`,
        { logPath: c.log, hint: `read ${c.log}; the machine may be overloaded` },
      );
    }
    await sleep(100);
  }
}

/** SIGTERM the component's process group, then SIGKILL after `graceMs`. */
export async function stopComponent(c: RunningComponent, graceMs = 10_000): Promise<void> {
  if (!(await isRunning(c.pid, programs(c)))) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-c.pid, sig);
    } catch {
      try {
        process.kill(c.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(c.pid, programs(c)))) return;
    await sleep(50);
  }
  signal('SIGKILL');
  while (await isRunning(c.pid, programs(c))) await sleep(50);
}

/**
 * Kills (SIGKILL) every process whose command line mentions `dir/`: the components of a cluster
 * whose `up` died before it could record them. Returns their PIDs.
 */
export async function killProcessesUsing(dir: string): Promise<number[]> {
  const killed: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(`${dir}/`)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed.push(Number(pid));
    } catch {
      // gone already
    }
  }
  return killed;
}
