/**
 * Go durations as Tekton manifests write them (`timeout: 1h0m0s`, `90s`, `1.5h`, `300ms`, `0`),
 * to milliseconds and back. `0` is valid and means "no timeout" to the callers that allow it.
 *
 * @example
 * parseGoDuration('1h30m'); // 5_400_000
 * formatGoDuration(3_600_000); // '1h0m0s'
 */
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds, or undefined when `text` is not a Go duration. Negative durations are refused. */
export function parseGoDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (t === '' || t.startsWith('-')) return undefined;
  const body = t.startsWith('+') ? t.slice(1) : t;
  PART.lastIndex = 0;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    PART.lastIndex = at;
    const m = PART.exec(body);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    at = PART.lastIndex;
  }
  return at > 0 ? Math.round(total) : undefined;
}

/** `1h0m0s`, `5m0s`, `30s`, `1.5s`, `250ms`: what Go's time.Duration.String prints. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
