/**
 * Progress for long operations. Progress goes to stderr so that stdout stays machine-readable
 * (`eval "$(sluice dev-cluster up)"` works).
 */
export interface Progress {
  /** A new step starts ("building kubernetes v1.36.3"). */
  step(message: string): void;
  /** Detail within the current step ("compiled 812 packages, 4m10s"). */
  detail(message: string): void;
}

export const silentProgress: Progress = { step: () => undefined, detail: () => undefined };

export function consoleProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const dim = (s: string): string => (stream.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
  return {
    step: (m) => stream.write(`• ${m}\n`),
    detail: (m) => stream.write(`${dim(`  ${m}`)}\n`),
  };
}

/** "3m05s" / "12.4s" for people. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
