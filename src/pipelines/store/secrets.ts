/**
 * Masking: secret values never reach the store. A `SecretSet` holds one run's secret values
 * (Secret-sourced env values, secret params; see sources.ts) and replaces every occurrence with
 * `***`: in whole strings (records, params, results) and in a log stream written in pieces
 * (`stream()`), where a value split across two chunks is still masked: the end of a chunk that
 * could be the start of a secret is held back until the next chunk (or the step's end) decides.
 *
 * Which values count: each value trimmed, and each trimmed line of a multi-line value (a Secret
 * read from a file usually ends with a newline that logs do not repeat; whitespace around a
 * value is no secret, and keeping it keeps the log's line breaks). Values that are empty or
 * only whitespace are not masked (that would mask every space).
 * At one position the longest value wins; the output of a stream equals masking the whole text.
 *
 * @example
 * const secrets = new SecretSet(['hunter2']);
 * const m = secrets.stream();
 * m.push('password: hun') + m.push('ter2\n') + m.end(); // 'password: ***\n'
 */
import type { Param, ParamValue } from '../../api/pipeline.ts';

export const MASK = '***';

/** The KMP failure table: f[i] = length of the longest proper border of s[0..i]. */
function borders(s: string): Int32Array {
  const f = new Int32Array(s.length);
  let k = 0;
  for (let i = 1; i < s.length; i++) {
    while (k > 0 && s[i] !== s[k]) k = f[k - 1] ?? 0;
    if (s[i] === s[k]) k++;
    f[i] = k;
  }
  return f;
}

/** Length of the longest proper prefix of `secret` that `text` ends with (0 if none). */
function heldLength(text: string, secret: string, f: Int32Array): number {
  let k = 0;
  for (let i = Math.max(0, text.length - secret.length + 1); i < text.length; i++) {
    while (k > 0 && text[i] !== secret[k]) k = f[k - 1] ?? 0;
    if (text[i] === secret[k]) k++;
    if (k === secret.length) k = f[k - 1] ?? 0;
  }
  return k;
}

/** A value trimmed, and each line of it trimmed (whitespace around a value is no secret). */
function variants(value: string): string[] {
  const lines = value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()) : [];
  return [value.trim(), ...lines].filter((v) => v !== '');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SecretSet {
  static readonly none = new SecretSet([]);

  /** The values masked, longest first. */
  readonly values: readonly string[];
  /** Params recorded as `***` whatever their value (marked secret by name). */
  readonly paramNames: ReadonlySet<string>;
  private readonly pattern: RegExp | undefined;
  private readonly tables: readonly Int32Array[];

  constructor(values: Iterable<string>, paramNames: Iterable<string> = []) {
    const all = new Set<string>();
    for (const v of values) for (const x of variants(v)) all.add(x);
    this.values = [...all].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.paramNames = new Set(paramNames);
    this.pattern = this.values.length
      ? new RegExp(this.values.map(escape).join('|'), 'g')
      : undefined;
    this.tables = this.values.map(borders);
  }

  get empty(): boolean {
    return this.values.length === 0;
  }

  /** A set with these values and names too. */
  with(values: Iterable<string>, paramNames: Iterable<string> = []): SecretSet {
    return new SecretSet([...this.values, ...values], [...this.paramNames, ...paramNames]);
  }

  mask(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }

  maskValue(value: ParamValue): ParamValue {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((v) => this.mask(v));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.mask(v)]));
  }

  /** Params as they may be stored: secret ones `***` (each element), the rest masked. */
  maskParams<P extends Param>(params: readonly P[]): P[] {
    return params.map((p) => {
      if (!this.paramNames.has(p.name)) return { ...p, value: this.maskValue(p.value) };
      const v = p.value;
      const hidden: ParamValue =
        typeof v === 'string'
          ? MASK
          : Array.isArray(v)
            ? v.map(() => MASK)
            : Object.fromEntries(Object.keys(v).map((k) => [k, MASK]));
      return { ...p, value: hidden };
    });
  }

  /** A masker for one log stream. */
  stream(): StreamMasker {
    return new StreamMasker(this);
  }

  /** The leftmost match in `text` (the longest value at that position). */
  firstMatch(text: string): { index: number; length: number } | undefined {
    if (!this.pattern) return undefined;
    this.pattern.lastIndex = 0;
    const m = this.pattern.exec(text);
    return m ? { index: m.index, length: m[0].length } : undefined;
  }

  /** How many chars at the end of `text` could be the start of a value: to hold back. */
  heldLength(text: string): number {
    let held = 0;
    this.values.forEach((v, i) => {
      const table = this.tables[i];
      if (table) held = Math.max(held, heldLength(text, v, table));
    });
    return held;
  }
}

/** Masks one stream written in pieces; `end()` releases what was held back. */
export class StreamMasker {
  private carry = '';
  private readonly secrets: SecretSet;

  constructor(secrets: SecretSet) {
    this.secrets = secrets;
  }

  /** Chars received but not yet released (a possible secret's start). */
  get pending(): string {
    return this.carry;
  }

  push(text: string): string {
    if (this.secrets.empty) return text;
    let rest = this.carry + text;
    let out = '';
    for (;;) {
      // A match that starts before the held-back tail is final: no longer value can start
      // earlier (that would be a longer held-back tail).
      const cut = rest.length - this.secrets.heldLength(rest);
      const m = this.secrets.firstMatch(rest);
      if (m && m.index < cut) {
        out += rest.slice(0, m.index) + MASK;
        rest = rest.slice(m.index + m.length);
        continue;
      }
      this.carry = rest.slice(cut);
      return out + rest.slice(0, cut);
    }
  }

  end(): string {
    const rest = this.secrets.mask(this.carry);
    this.carry = '';
    return rest;
  }
}
