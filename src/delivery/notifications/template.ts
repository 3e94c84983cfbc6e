/**
 * The templates of notifications: a small, safe subset of Go's text/template, the syntax Argo CD
 * notifications users already write — field references only:
 *
 *   {{ .app.name }}   {{ .revision | short }}   {{ .details.step | default "?" }}   {{ .message | trunc 80 }}
 *
 * Why not all of Go templates (or JavaScript): a template is written by whoever may create a
 * Notification, and runs in the controller; references to the event's fields with a few pure
 * filters (`default`, `upper`, `lower`, `short`, `trunc N`) cannot loop, call out or read
 * anything else, and each template is checked when the Notification is read (an unknown field or
 * filter is an `InvalidSpec` condition naming it, not an empty string at 3 a.m.).
 *
 * Escaping follows where the text goes: `render(t, ctx, escape)` escapes each substituted value
 * (never the template's own text), e.g. `jsonString` inside JSON text, `slackText` for Slack's
 * `&`, `<`, `>`. Structured bodies (`renderValue`) are rendered string by string and serialized
 * afterwards, so they are valid JSON whatever the values hold; a string that is exactly one
 * reference keeps the value's type (`"{{ .details }}"` is an object).
 */

export type Escape = (s: string) => string;

interface Filter {
  name: 'default' | 'upper' | 'lower' | 'short' | 'trunc';
  arg?: string;
}

interface Ref {
  path: string[];
  filters: Filter[];
  /** The reference as written, for messages. */
  source: string;
}

export type Part = string | Ref;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const EXPR = /\{\{-?\s*(.*?)\s*-?\}\}/gs;
const PATH = /^\.[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

function parseFilter(text: string, source: string): Filter {
  const m = /^(\w+)(?:\s+(.+))?$/.exec(text.trim());
  const name = m?.[1];
  const arg = m?.[2];
  if (name === 'upper' || name === 'lower' || name === 'short') {
    if (arg !== undefined) throw new TemplateError(`${source}: ${name} takes no argument`);
    return { name };
  }
  if (name === 'default' && arg && /^"(?:[^"\\]|\\.)*"$/.test(arg)) {
    return { name, arg: JSON.parse(arg) as string };
  }
  if (name === 'trunc' && arg && /^\d+$/.test(arg)) return { name, arg };
  throw new TemplateError(
    `${source}: unknown filter "${text.trim()}" (use default "text", upper, lower, short, trunc N)`,
  );
}

function parseRef(body: string, source: string): Ref {
  // Pipes split filters, except inside a quoted argument (`default "a|b"`).
  const [head = '', ...rest] = body.match(/(?:[^|"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const path = head.trim();
  if (!PATH.test(path)) {
    throw new TemplateError(`${source}: only field references like {{ .app.name }} are allowed`);
  }
  return {
    path: path.slice(1).split('.'),
    filters: rest.map((f) => parseFilter(f, source)),
    source,
  };
}

/** Parses a template; throws TemplateError naming the reference that is not allowed. */
export function compile(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(EXPR)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(parseRef(m[1] ?? '', m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const stray = parts.find((p) => typeof p === 'string' && p.includes('{{'));
  if (typeof stray === 'string') throw new TemplateError(`unclosed {{ in "${stray.slice(0, 40)}"`);
  return parts;
}

/** The field paths a template reads (to check them against the event's fields). */
export function references(parts: readonly Part[]): string[][] {
  return parts.filter((p): p is Ref => typeof p !== 'string').map((p) => p.path);
}

export type Context = Readonly<Record<string, unknown>>;

function lookup(ctx: Context, path: readonly string[]): unknown {
  let v: unknown = ctx;
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

export function stringify(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function applyFilter(s: string, f: Filter): string {
  switch (f.name) {
    case 'default':
      return s === '' ? (f.arg ?? '') : s;
    case 'upper':
      return s.toUpperCase();
    case 'lower':
      return s.toLowerCase();
    case 'short':
      return /^[0-9a-f]{40}$/i.test(s) ? s.slice(0, 7) : s;
    case 'trunc': {
      const n = Number(f.arg);
      return s.length > n ? `${s.slice(0, Math.max(0, n - 1))}…` : s;
    }
  }
}

function value(ref: Ref, ctx: Context): string {
  return ref.filters.reduce(applyFilter, stringify(lookup(ctx, ref.path)));
}

export function render(parts: readonly Part[], ctx: Context, escape: Escape = (s) => s): string {
  return parts.map((p) => (typeof p === 'string' ? p : escape(value(p, ctx)))).join('');
}

/** Text rendered once (compile + render). */
export function renderText(text: string, ctx: Context, escape?: Escape): string {
  return render(compile(text), ctx, escape);
}

/** The inside of a JSON string: quotes, backslashes and control characters escaped. */
export const jsonString: Escape = (s) => JSON.stringify(s).slice(1, -1);

/** Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting). */
export const slackText: Escape = (s) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A structured template (a JSON value) rendered string by string: a string that is one bare
 * reference keeps the referenced value's type; other strings are text.
 */
export function renderValue(template: unknown, ctx: Context, escape?: Escape): unknown {
  if (typeof template === 'string') {
    const parts = compile(template);
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only !== undefined && typeof only !== 'string' && only.filters.length === 0) {
      return lookup(ctx, only.path) ?? '';
    }
    return render(parts, ctx, escape);
  }
  if (Array.isArray(template)) return template.map((t) => renderValue(t, ctx, escape));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([k, v]) => [k, renderValue(v, ctx, escape)]),
    );
  }
  return template;
}

/** JSON text with references (Argo CD's webhook `body: |`): values escaped, result parsed. */
export function renderJsonText(text: string, ctx: Context): unknown {
  const out = render(compile(text), ctx, jsonString);
  try {
    return JSON.parse(out) as unknown;
  } catch (err) {
    throw new TemplateError(`the body is not valid JSON once rendered: ${(err as Error).message}`);
  }
}

/** Every string template inside a structured value (to check them all). */
export function templateStrings(template: unknown): string[] {
  if (typeof template === 'string') return [template];
  if (Array.isArray(template)) return template.flatMap(templateStrings);
  if (template !== null && typeof template === 'object') {
    return Object.values(template).flatMap(templateStrings);
  }
  return [];
}
