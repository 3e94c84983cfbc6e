/**
 * How big a YAML document becomes once its aliases are expanded, found on its syntax tree
 * without expanding anything: each node is measured once, an alias (`*a`, `<<: *a`) adds the
 * measure of its anchor, so a document of 1 MiB whose anchor is aliased 98 times measures
 * ~99 MiB and a "billion laughs" document measures 10^9 aliases, in time proportional to the
 * text. Sizes are those of the JSON the objects become (what Sluice hashes, sends and diffs):
 * strings in UTF-8 plus quotes, numbers as written, braces, commas and colons.
 *
 * An alias that names an anchor still being defined around it (`&a [*a]`) would make a cyclic
 * object, which no Kubernetes object can be: it is refused here.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';

/** A document's (or node's) expanded size. */
export interface Measure {
  /** JSON bytes, aliases expanded. */
  bytes: number;
  /** Aliases expanded, nested ones included (an alias of a node holding 10 aliases is 11). */
  aliases: number;
}

/** An alias that refers to the node it sits in. */
export class CyclicAliasError extends Error {
  readonly anchor: string;
  constructor(anchor: string) {
    super(`the alias *${anchor} refers to the node it is part of (an endless, cyclic value)`);
    this.name = 'CyclicAliasError';
    this.anchor = anchor;
  }
}

const IN_PROGRESS: Measure = Object.freeze({ bytes: Number.NaN, aliases: Number.NaN });

/** Anchors seen so far in document order, each with its measure (IN_PROGRESS while inside it). */
type Anchors = Map<string, Measure>;

function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8') + 2;
  if (value === null || value === undefined) return 4;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value).length;
  return 26; // a Date (YAML 1.1 timestamps), as an ISO string
}

function add(a: Measure, b: Measure, extraBytes: number): Measure {
  return { bytes: a.bytes + b.bytes + extraBytes, aliases: a.aliases + b.aliases };
}

function measureAlias(source: string, anchors: Anchors): Measure {
  const m = anchors.get(source);
  if (m === IN_PROGRESS) throw new CyclicAliasError(source);
  // An unknown anchor: toJS reports it, with its own words.
  return m === undefined ? { bytes: 4, aliases: 1 } : { bytes: m.bytes, aliases: m.aliases + 1 };
}

function measureItems(items: readonly unknown[], anchors: Anchors): Measure {
  // `[a,b]` / `{"k":v,"l":w}`: brackets, a comma between items, a colon in each pair.
  let total: Measure = { bytes: 2 + Math.max(0, items.length - 1), aliases: 0 };
  for (const item of items) {
    if (isPair(item)) {
      const kv = add(measureNode(item.key, anchors), measureNode(item.value, anchors), 1);
      total = add(total, kv, 0);
    } else {
      total = add(total, measureNode(item, anchors), 0);
    }
  }
  return total;
}

/** The expanded measure of one node of a parsed document. */
function measureNode(node: unknown, anchors: Anchors): Measure {
  if (node === null || node === undefined) return { bytes: 4, aliases: 0 };
  if (isAlias(node)) return measureAlias(node.source, anchors);
  const anchor = (node as { anchor?: unknown }).anchor;
  const named = typeof anchor === 'string' ? anchor : undefined;
  if (named !== undefined) anchors.set(named, IN_PROGRESS);
  let m: Measure;
  if (isScalar(node)) m = { bytes: scalarBytes(node.value), aliases: 0 };
  else if (isMap(node) || isSeq(node)) m = measureItems(node.items, anchors);
  else m = { bytes: 4, aliases: 0 };
  if (named !== undefined) anchors.set(named, m);
  return m;
}

/**
 * The expanded size of a parsed document. Throws CyclicAliasError for a cyclic alias and
 * RangeError when the document nests deeper than the stack allows.
 *
 * @example measureDocument(parseDocument('a: &x [1, 2]\nb: *x\nc: *x\n')) // { bytes: 29, aliases: 2 }
 */
export function measureDocument(doc: Document.Parsed): Measure {
  return measureNode(doc.contents, new Map());
}
