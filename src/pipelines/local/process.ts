/**
 * One step as one process, in its own process group (as a container holds its processes):
 * stdout and stderr are read line by line; when the step's main process exits, whatever it left
 * running in its group is killed (a container's end ends them too); an abort (timeout, cancel)
 * sends SIGTERM to the group and SIGKILL a second later, as a pod deleted with a 1 s grace.
 * The exit code is a container's: the process's code, or 128 + the signal's number.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';

export const KILL_GRACE_MS = 1000;
/** How long output may still come once the step has exited (a daemon that escaped its group). */
const DRAIN_MS = 2000;

export interface ProcessSpec {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Aborting kills the process group. */
  signal: AbortSignal;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ProcessExit {
  exitCode: number;
  /** The process could not be started (not found, not executable): why. */
  startError?: string;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 9);
}

/** Runs the process to its end (or until the signal kills it). */
export function runProcess(p: ProcessSpec): Promise<ProcessExit> {
  return new Promise((resolve) => {
    const child = spawn(p.file, [...p.args], {
      cwd: p.cwd,
      env: p.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let closed = 0;
    let exit: ProcessExit | undefined;
    let hard: NodeJS.Timeout | undefined;
    let drain: NodeJS.Timeout | undefined;
    const finish = (force = false) => {
      if ((closed < 2 && !force) || !exit) return;
      clearTimeout(hard);
      clearTimeout(drain);
      p.signal.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(exit);
    };
    const onAbort = () => {
      killGroup(child.pid, 'SIGTERM');
      hard = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => p.onLine(line, name));
      lines.on('close', () => {
        closed++;
        finish();
      });
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'ENOENT' ? 127 : 126;
      exit = { exitCode: code, startError: `cannot run "${p.file}": ${err.code ?? err.message}` };
      closed = 2;
      finish();
    });
    child.on('exit', (code, signal) => {
      // what the step left behind in its group ends with it
      killGroup(child.pid, 'SIGKILL');
      exit = { exitCode: exitCodeOf(code, signal) };
      drain = setTimeout(() => finish(true), DRAIN_MS);
      finish();
    });
    if (p.signal.aborted) onAbort();
    else p.signal.addEventListener('abort', onAbort, { once: true });
  });
}
