/**
 * RenderError: why a revision could not be turned into objects. Every message names the file
 * (relative to the repository root), the document and line where known, quotes helm's or
 * kustomize's own words, and the hint says what to change.
 */
import { SluiceError } from '../errors.ts';
import { tail } from '../util/exec.ts';

export type RenderErrorCode =
  | 'PathNotFound'
  | 'MalformedManifest'
  | 'KustomizeFailed'
  | 'HelmFailed'
  | 'ChartNotFound'
  | 'ValuesFileNotFound'
  | 'ToolMissing'
  | 'RenderTimeout'
  /** A limit of limits.ts (objects, bytes, aliases); the error is a RenderLimitError. */
  | 'RenderLimitExceeded'
  /** The render needed more memory than its worker may use (pool.ts). */
  | 'RenderOutOfMemory'
  /** The render's worker stopped for another reason. */
  | 'RenderCrashed';

const NOT_FOUND: ReadonlySet<RenderErrorCode> = new Set([
  'PathNotFound',
  'ChartNotFound',
  'ValuesFileNotFound',
]);

export class RenderError extends SluiceError {
  declare readonly code: RenderErrorCode;
  /** The file at fault, relative to the repository root, when there is one. */
  readonly file?: string;

  constructor(
    code: RenderErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; file?: string } = {},
  ) {
    const exitCode = code === 'RenderTimeout' ? 4 : NOT_FOUND.has(code) ? 3 : 1;
    super(code, message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      cause: options.cause,
      exitCode,
    });
    this.name = 'RenderError';
    if (options.file !== undefined) this.file = options.file;
  }
}

/** Lines of a tool's stderr worth quoting: the last few, minus blank ones. */
const STDERR_LINES = 15;

/**
 * A tool's stderr made fit for a message: absolute paths of the checkout and of Sluice's
 * temporary directories replaced by readable names, trimmed to the useful tail.
 *
 * @example quoteStderr('Error: x in /tmp/r/a/b.yaml', { '/tmp/r/': '' }) // 'Error: x in a/b.yaml'
 */
export function quoteStderr(stderr: string, replacements: Record<string, string> = {}): string {
  let text = stderr;
  // Longest first, so a path never loses only its prefix to a shorter one.
  const keys = Object.keys(replacements).sort((a, b) => b.length - a.length);
  for (const k of keys) if (k.length > 0) text = text.split(k).join(replacements[k] ?? '');
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  const quoted = tail(lines.join('\n'), STDERR_LINES);
  return quoted.length > 0 ? quoted : '(no output on stderr)';
}

/** Indents a quoted block under a message line. */
export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
