/**
 * What one render may produce, checked before the memory is spent: the objects it yields, the
 * bytes of its output with every YAML alias and merge key expanded (measured as JSON), and how
 * many aliases it expands. A file is measured before it is read, a tool's output while it is
 * printed, a YAML document on its syntax tree before it becomes objects (measure.ts).
 *
 * Defaults are far above any real app; an app that needs more says so in
 * `spec.source.limits`. A limit hit is a RenderLimitError naming the file, the limit and how
 * to raise it.
 */
import type { ApplicationSource } from '../api/application.ts';
import { RenderError } from './errors.ts';

/** The limits of one render. */
export interface RenderLimits {
  /** Objects one render may produce (List items count one each). */
  maxObjects: number;
  /** Bytes of the rendered output, aliases and merge keys expanded, measured as JSON. */
  maxBytes: number;
  /** YAML aliases (`*name`, `<<: *name`) one render may expand, nested expansions included. */
  maxAliases: number;
}

export type LimitName = keyof RenderLimits;

const MiB = 1024 * 1024;

/**
 * Above any real app (the largest Helm charts render a few MiB and a few thousand objects;
 * Argo CD refuses directory apps over 10 MB by default), and within what the controller's
 * default heap (192 MiB) holds while it diffs and applies an app: measured, an app of 15 MiB
 * and 8,000 objects synced; one of 45 MiB and 24,000 objects ran that heap out (ADR 0006).
 */
export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxObjects: 25_000,
  maxBytes: 16 * MiB,
  maxAliases: 10_000,
});

/**
 * The limits of an app: its `spec.source.limits` over the defaults.
 *
 * @example resolveLimits({ repoURL, limits: { maxObjects: 200_000 } }).maxObjects // 200000
 */
export function resolveLimits(source: Pick<ApplicationSource, 'limits'>): RenderLimits {
  return { ...DEFAULT_RENDER_LIMITS, ...source.limits };
}

/** `64 MiB`, `1.5 KiB`, `12 bytes`. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${Number((n / MiB).toFixed(1))} MiB`;
  if (n >= 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  return `${n} bytes`;
}

const WHAT: Record<LimitName, (n: number) => string> = {
  maxObjects: (n) => `${n} objects`,
  maxBytes: formatBytes,
  maxAliases: (n) => `${n} YAML alias expansions`,
};

/** A render went over one of its limits. `limit` and `max` are data, for callers and tests. */
export class RenderLimitError extends RenderError {
  readonly limit: LimitName;
  readonly max: number;

  constructor(limit: LimitName, max: number, message: string, hint: string, file?: string) {
    super('RenderLimitExceeded', message, { hint, ...(file === undefined ? {} : { file }) });
    this.limit = limit;
    this.max = max;
  }
}

/** Where in the render a limit was hit: a message label and the file, when there is one. */
export interface Place {
  label: string;
  file?: string | undefined;
}

/**
 * The hint of a limit error: raise the limit for this app (with the command), or fix the source.
 *
 * @example limitHint('web', 'maxBytes', 64 * 1024 * 1024)
 */
export function limitHint(app: string, limit: LimitName, max: number): string {
  const raised = JSON.stringify({ spec: { source: { limits: { [limit]: max * 2 } } } });
  return (
    `if the app is meant to be this large, raise spec.source.limits.${limit} (now ${max}) on the ` +
    `Application, e.g. \`sluice app patch ${app} --type merge --patch '${raised}'\` (an app ` +
    'much larger than the defaults may also need a larger controller heap: ' +
    'SLUICE_CONTROLLER_HEAP_MB, default 192); otherwise fix the manifests in Git'
  );
}

/**
 * The running totals of one render against its limits. Every charge throws a RenderLimitError
 * as soon as a total would go over, before the thing charged is read or built.
 */
export class RenderBudget {
  readonly limits: RenderLimits;
  /** The Application's name, for the hint's command. */
  readonly app: string;
  objects = 0;
  bytes = 0;
  aliases = 0;

  constructor(limits: RenderLimits = { ...DEFAULT_RENDER_LIMITS }, app = '<app>') {
    this.limits = limits;
    this.app = app;
  }

  /** A text about to be read or parsed (a file, a tool's output) must fit on its own. */
  text(place: Place, bytes: number): void {
    if (bytes > this.limits.maxBytes)
      throw this.over('maxBytes', place, `is ${formatBytes(bytes)}`);
  }

  /** A tool's output that was cut short at the limit (the tool was stopped). */
  outputCut(place: Place): RenderLimitError {
    return this.over('maxBytes', place, `is larger than ${formatBytes(this.limits.maxBytes)}`);
  }

  /** A document about to become objects: its expanded size and alias expansions count. */
  document(place: Place, measured: { bytes: number; aliases: number }): void {
    if (this.aliases + measured.aliases > this.limits.maxAliases) {
      const total = this.aliases === 0 ? '' : `, ${this.aliases + measured.aliases} in all`;
      throw this.over('maxAliases', place, `expands ${measured.aliases} YAML aliases${total}`);
    }
    if (this.bytes + measured.bytes > this.limits.maxBytes) {
      const total = this.bytes === 0 ? '' : `, ${formatBytes(this.bytes + measured.bytes)} in all`;
      const how = measured.aliases > 0 ? ' with its YAML aliases expanded' : '';
      throw this.over('maxBytes', place, `is ${formatBytes(measured.bytes)}${how}${total}`);
    }
    this.aliases += measured.aliases;
    this.bytes += measured.bytes;
  }

  /** One more object. */
  object(place: Place): void {
    if (this.objects + 1 > this.limits.maxObjects)
      throw this.over('maxObjects', place, 'brings the render over its object count');
    this.objects++;
  }

  private over(limit: LimitName, place: Place, what: string): RenderLimitError {
    const max = this.limits[limit];
    return new RenderLimitError(
      limit,
      max,
      `${place.label} ${what}: over the limit of ${WHAT[limit](max)} per render (${limit})`,
      limitHint(this.app, limit, max),
      place.file,
    );
  }
}
