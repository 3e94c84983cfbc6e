/**
 * Running external programs (git, helm, kustomize, go, openssl) with their output captured.
 * Nothing here goes through a shell: arguments are passed as an array, never interpolated.
 */
import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Kill the process after this many milliseconds. */
  timeoutMs?: number;
  /** Called with every chunk of stdout/stderr as it arrives (for progress and logs). */
  onOutput?: (chunk: Buffer) => void;
  /**
   * Kill the process once stdout and stderr together pass this many bytes (the output is then
   * cut short and `overflowed` is set), so a runaway program cannot fill this process's memory.
   */
  maxOutputBytes?: number;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The output passed `maxOutputBytes` and the process was killed. */
  overflowed?: boolean;
}

/** Runs `cmd args...`; resolves with its output whatever the exit code (callers decide). */
export function execFile(
  cmd: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let overflowed = false;
    let size = 0;
    const keep = (into: Buffer[], c: Buffer): void => {
      size += c.length;
      if (options.maxOutputBytes !== undefined && size > options.maxOutputBytes) {
        if (!overflowed) child.kill('SIGKILL');
        overflowed = true;
        return;
      }
      into.push(c);
      options.onOutput?.(c);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (c: Buffer) => keep(out, c));
    child.stderr.on('data', (c: Buffer) => keep(err, c));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ...(overflowed ? { overflowed } : {}),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** True when `cmd` can be started (it is on the PATH or is a path that exists). */
export async function commandExists(
  cmd: string,
  versionArgs: readonly string[] = ['version'],
): Promise<boolean> {
  try {
    await execFile(cmd, versionArgs, { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The last `n` lines of a text, for error messages that quote a tool's log. */
export function tail(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}
