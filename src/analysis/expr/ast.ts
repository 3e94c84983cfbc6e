/**
 * The syntax tree of a condition (`result[0] >= 0.99`) and the values it computes with.
 *
 * Values are JSON values (what providers return) plus the numbers JSON cannot spell (NaN,
 * ±Infinity, which Prometheus does return). Objects are only ever read through their own
 * properties (see values.ts), so keys like `__proto__` or `constructor` are data, never a way
 * into JavaScript's prototypes.
 */

export type Value = null | boolean | number | string | readonly Value[] | ValueObject;
export interface ValueObject {
  readonly [key: string]: Value;
}

/** Binary operators, by their spelling in the source (`and`/`or` are stored as `&&`/`||`). */
export type BinaryOp =
  | '||'
  | '&&'
  | '??'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'not in'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '**';

export type UnaryOp = '!' | '-' | '+';

/** `pos` is where the node starts in the source, 1-based (the column of a one-line condition). */
export type Node =
  | { kind: 'literal'; pos: number; value: Value }
  | { kind: 'name'; pos: number; name: string }
  /** `#`: the element a predicate (`all(result, {# > 0})`) is looking at. */
  | { kind: 'element'; pos: number }
  | { kind: 'array'; pos: number; items: Node[] }
  | { kind: 'unary'; pos: number; op: UnaryOp; operand: Node }
  | { kind: 'binary'; pos: number; op: BinaryOp; left: Node; right: Node }
  | { kind: 'conditional'; pos: number; test: Node; then: Node; else: Node }
  | { kind: 'member'; pos: number; object: Node; field: string; optional: boolean }
  | { kind: 'index'; pos: number; object: Node; index: Node; optional: boolean }
  | { kind: 'call'; pos: number; fn: string; args: Node[] }
  /** The body of a predicate: evaluated once per element, with `#` bound to it. */
  | { kind: 'closure'; pos: number; body: Node };

export type NodeOf<K extends Node['kind']> = Extract<Node, { kind: K }>;

/** The nodes directly below `node`. */
export function children(node: Node): Node[] {
  switch (node.kind) {
    case 'array':
      return node.items;
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'conditional':
      return [node.test, node.then, node.else];
    case 'member':
      return [node.object];
    case 'index':
      return [node.object, node.index];
    case 'call':
      return node.args;
    case 'closure':
      return [node.body];
    default:
      return [];
  }
}
