/**
 * The vocabulary of `sluice convert`: a conversion is a list of edits to one object (so the
 * same edits can be made to the parsed YAML, keeping its comments, and to plain JSON), and a
 * list of issues, each naming the object and the field path it is about.
 */

/** A step into a JSON value: an object key or an array index. */
export type PathSeg = string | number;
export type Path = readonly PathSeg[];

export type Edit =
  | { op: 'set'; path: Path; value: unknown }
  | { op: 'delete'; path: Path }
  | { op: 'move'; from: Path; path: Path };

/**
 * - unsupported: Sluice has no equivalent of a feature the object uses (it is kept as written);
 * - unknown-field: a field Sluice's schema does not have (the API server would drop it);
 * - schema: the converted object breaks Sluice's schema (a wrong type, a missing field);
 * - changed: rewritten to Sluice's equivalent; said so, but nothing is lost.
 * Everything but `changed` makes `sluice convert` exit 1.
 */
export type IssueKind = 'unsupported' | 'unknown-field' | 'schema' | 'changed';

export interface Issue {
  /** `Rollout/shop/web`, or `Rollout/web` without a namespace. */
  object: string;
  /** Dotted, with indexes: `spec.strategy.canary.steps[2].experiment`; empty for the whole. */
  path: string;
  kind: IssueKind;
  message: string;
}

/** The edits and issues a kind's rules produce for one object. */
export interface Rewrite {
  edits: Edit[];
  issues: Array<Omit<Issue, 'object'>>;
}

export const isFailure = (i: Pick<Issue, 'kind'>): boolean => i.kind !== 'changed';

/** `spec.steps[2].pause`. */
export function formatPath(path: Path): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

/** Is `inner` the same path as `outer`, or below it? */
export function within(inner: string, outer: string): boolean {
  return (
    inner === outer ||
    outer === '' ||
    inner.startsWith(`${outer}.`) ||
    inner.startsWith(`${outer}[`)
  );
}

export type Json = Record<string, unknown>;

export const isJson = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path`, or undefined. */
export function getAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof seg === 'number') v = Array.isArray(v) ? (v as unknown[])[seg] : undefined;
    else v = isJson(v) ? v[seg] : undefined;
  }
  return v;
}
