/**
 * Commit message templates in the subset of Go's text/template that commit messages use, so a
 * Flux `messageTemplate` keeps working:
 *
 * - `{{ .Field.Sub }}`, `{{ $var }}`, `{{ $var.Field }}`, `{{ "text" }}`;
 * - `{{ range .List }}…{{ else }}…{{ end }}`, `{{ range $k, $v := .Map }}`, `{{ if .X }}…{{ end }}`;
 * - pipes and functions: `print`, `println`, `lower`, `upper`, `trim`, `short` (the first 7
 *   characters, for commit SHAs): `{{ .SourceCommit | short }}`;
 * - `{{-` and `-}}` trim the white space before and after; comment actions (Go's slash-star form) are skipped.
 *
 * Anything else is a TemplateError naming it, so a template that cannot be rendered is said to
 * be so before anything is written. A field the data does not have is an error too; a field that
 * is there but empty renders as nothing.
 */
import { SluiceError } from '../../errors.ts';

export class TemplateError extends SluiceError {
  constructor(message: string) {
    super('TemplateError', `commit message template: ${message}`, {
      hint: 'fields are written {{ .Name }}; see `sluice set-image --help` for the fields and functions',
    });
    this.name = 'TemplateError';
  }
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'print'; pipe: string }
  | { t: 'range'; vars: string[]; pipe: string; body: Node[]; alt: Node[] }
  | { t: 'if'; pipe: string; body: Node[]; alt: Node[] };

type Token = { t: 'text'; text: string } | { t: 'action'; text: string };

/** Text and actions, with `{{-` / `-}}` trimming applied to the neighbouring text. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.trimStart();
    if (open < 0) {
      out.push({ t: 'text', text });
      break;
    }
    const close = src.indexOf('}}', open);
    if (close < 0) throw new TemplateError('an action is not closed with }}');
    let inner = src.slice(open + 2, close);
    if (inner.startsWith('- ')) text = text.trimEnd();
    trimNext = inner.endsWith(' -');
    inner = inner.replace(/^- /, '').replace(/ -$/, '').trim();
    out.push({ t: 'text', text }, { t: 'action', text: inner });
    i = close + 2;
  }
  return out.filter((tok) => tok.t === 'action' || tok.text !== '');
}

const RANGE = /^range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?(.+)$/s;

/** Parses tokens from `pos` until an `end` or `else` (returned as the stopper). */
function parseNodes(toks: Token[], pos: { i: number }): { nodes: Node[]; stop?: string } {
  const nodes: Node[] = [];
  while (pos.i < toks.length) {
    const tok = toks[pos.i++] as Token;
    if (tok.t === 'text') {
      nodes.push({ t: 'text', text: tok.text });
      continue;
    }
    const a = tok.text;
    if (a === 'end' || a === 'else') return { nodes, stop: a };
    if (a.startsWith('/*')) continue;
    const range = RANGE.exec(a);
    if (range) {
      const vars = [range[1], range[2]].filter((v): v is string => v !== undefined);
      const { body, alt } = block(toks, pos, 'range');
      nodes.push({ t: 'range', vars, pipe: range[3] ?? '', body, alt });
    } else if (a.startsWith('if ')) {
      const { body, alt } = block(toks, pos, 'if');
      nodes.push({ t: 'if', pipe: a.slice(3), body, alt });
    } else {
      nodes.push({ t: 'print', pipe: a });
    }
  }
  return { nodes };
}

function block(toks: Token[], pos: { i: number }, what: string): { body: Node[]; alt: Node[] } {
  const first = parseNodes(toks, pos);
  if (first.stop === undefined) throw new TemplateError(`{{ ${what} }} has no {{ end }}`);
  if (first.stop === 'end') return { body: first.nodes, alt: [] };
  const second = parseNodes(toks, pos);
  if (second.stop !== 'end') throw new TemplateError(`{{ ${what} }} … {{ else }} has no {{ end }}`);
  return { body: first.nodes, alt: second.nodes };
}

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

/** A field of a value: objects, Maps; undefined (and null) fields are empty, missing ones fail. */
function field(value: unknown, name: string, path: string): unknown {
  if (value instanceof Map) return value.get(name) as unknown;
  if (typeof value === 'object' && value !== null && name in value)
    return (value as Record<string, unknown>)[name];
  throw new TemplateError(`there is no field ${path}`);
}

function term(word: string, s: Scope): unknown {
  if (/^".*"$/s.test(word)) return JSON.parse(word) as unknown;
  if (/^-?\d+$/.test(word)) return Number(word);
  const m = /^(\$\w*|\.)?((?:\.?\w+)*)$/.exec(word);
  if (!m) throw new TemplateError(`cannot read "${word}"`);
  const [, root, rest = ''] = m;
  if (root === undefined) throw new TemplateError(`unknown function "${word}"`);
  let value: unknown;
  if (root === '.') value = s.dot;
  else if (s.vars.has(root)) value = s.vars.get(root);
  else throw new TemplateError(`undefined variable ${root}`);
  for (const name of rest.split('.').filter((n) => n !== '')) value = field(value, name, word);
  return value;
}

export function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  // Objects that say how they read (`{{ .AutomationObject }}` -> `ns/name`) do so.
  const own = (v as { toString?: () => string }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) return own.call(v);
  return JSON.stringify(v);
}

const FUNCS: Record<string, (args: unknown[]) => unknown> = {
  // Go's Sprint: a space between two operands when neither is a string.
  print: (args) =>
    args
      .map(
        (a, i) =>
          (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + show(a),
      )
      .join(''),
  println: (args) => `${args.map(show).join(' ')}\n`,
  lower: (args) => show(args[args.length - 1]).toLowerCase(),
  upper: (args) => show(args[args.length - 1]).toUpperCase(),
  trim: (args) => show(args[args.length - 1]).trim(),
  short: (args) => show(args[args.length - 1]).slice(0, 7),
};

const WORDS = /"(?:[^"\\]|\\.)*"|\S+/g;

function pipeline(pipe: string, s: Scope): unknown {
  let piped: unknown[] = [];
  for (const command of pipe.split('|').map((c) => c.trim())) {
    const words = command.match(WORDS) ?? [];
    const [head, ...rest] = words;
    if (head === undefined) throw new TemplateError(`empty command in "${pipe}"`);
    const fn = FUNCS[head];
    if (fn) piped = [fn([...rest.map((w) => term(w, s)), ...piped])];
    else if (rest.length === 0 && piped.length === 0) piped = [term(head, s)];
    else throw new TemplateError(`unknown function "${head}"`);
  }
  return piped[0];
}

function truthy(v: unknown): boolean {
  if (v instanceof Map) return v.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return v !== undefined && v !== null && v !== '' && v !== 0 && v !== false;
}

function entries(v: unknown): Array<[unknown, unknown]> {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>).entries()];
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (typeof v === 'object' && v !== null)
    return Object.keys(v)
      .sort()
      .map((k) => [k, (v as Record<string, unknown>)[k]]);
  if (v === undefined || v === null) return [];
  throw new TemplateError(`cannot range over ${show(v)}`);
}

function run(nodes: Node[], s: Scope): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.text;
    else if (n.t === 'print') out += show(pipeline(n.pipe, s));
    else if (n.t === 'if') out += run(truthy(pipeline(n.pipe, s)) ? n.body : n.alt, s);
    else out += runRange(n, s);
  }
  return out;
}

function runRange(n: Extract<Node, { t: 'range' }>, s: Scope): string {
  const items = entries(pipeline(n.pipe, s));
  if (items.length === 0) return run(n.alt, s);
  let out = '';
  for (const [k, v] of items) {
    const vars = new Map(s.vars);
    const [first, second] = n.vars;
    if (second !== undefined && first !== undefined) vars.set(first, k).set(second, v);
    else if (first !== undefined) vars.set(first, v);
    out += run(n.body, { dot: v, vars });
  }
  return out;
}

/**
 * Renders `template` with `data` as dot.
 *
 * @example
 * renderTemplate('deploy {{ .Image }} ({{ .SourceCommit | short }})', { Image: 'web:v2', SourceCommit: '3f2a9c1b7d' })
 * // 'deploy web:v2 (3f2a9c1)'
 */
export function renderTemplate(template: string, data: unknown): string {
  const pos = { i: 0 };
  const { nodes, stop } = parseNodes(tokenize(template), pos);
  if (stop !== undefined)
    throw new TemplateError(`{{ ${stop} }} without a {{ range }} or {{ if }}`);
  return run(nodes, { dot: data, vars: new Map([['$', data]]) });
}
