/**
 * The JSONPath subset web metrics and field references use: `$.a.b[0]`, `{$.data.ok}`,
 * `a.b['key.with.dots']`, `items[-1]`. Fields are read as own properties only, so a path
 * cannot reach JavaScript prototypes (`$.constructor` is simply not there).
 */
import { AnalysisError } from './errors.ts';

export type PathSegment = string | number;

/** Parses `path` into segments; throws InvalidAnalysis naming `what` when it is not valid. */
export function parsePath(path: string, what: string): PathSegment[] {
  let rest = path.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1).trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const segments: PathSegment[] = [];
  const re = /^(?:\.([A-Za-z_$][\w$-]*)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*(-?\d+)\s*\])/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m) {
      throw new AnalysisError(
        'InvalidAnalysis',
        `${what}: cannot read path ${JSON.stringify(path)} at ${JSON.stringify(rest)}`,
        {
          hint: "paths look like $.data.ok, {$.items[0].value} or metadata.labels['app']",
        },
      );
    }
    segments.push(m[4] !== undefined ? Number(m[4]) : (m[1] ?? m[2] ?? m[3] ?? ''));
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** The value at `segments` in `data`, or undefined when it is not there. */
export function readPath(data: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = data;
  for (const s of segments) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = (cur as unknown[])[s < 0 ? cur.length + s : s];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, s))
        return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}
