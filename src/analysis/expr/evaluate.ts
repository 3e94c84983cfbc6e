/**
 * Evaluates a parsed condition on values, strictly: `&&`, `||`, `!` and `? :` want booleans,
 * arithmetic wants numbers, comparisons want two numbers or two strings. Anything else is an
 * ExprEvalError with the position of the operator, never a silent coercion (`"1" == 1` is
 * false, `nil < 1` is an error).
 *
 * Reading `result[0]` on `[]` is an error (IndexOutOfRange), as in Argo Rollouts; a missing map
 * key reads as nil, as in expr-lang. `default(x, d)` and `x ?? d` give `d` for both.
 * Each evaluation has a budget of MAX_STEPS nodes, so nested predicates over big results end.
 */
import type { BinaryOp, Node, NodeOf, Value } from './ast.ts';
import { BUILTINS } from './builtins.ts';
import { ExprEvalError, isMissing } from './errors.ts';
import { formatValue, isArray, isObject, ownField, typeName, valueEqual } from './values.ts';

export const MAX_STEPS = 100_000;

const mismatch = (what: string, pos: number): ExprEvalError =>
  new ExprEvalError('TypeMismatch', what, pos);

/** Evaluates `node` with `names` (e.g. `{ result: [0.99] }`) bound. */
export function evaluate(node: Node, names: ReadonlyMap<string, Value>): Value {
  return new Evaluator(names).eval(node, undefined);
}

class Evaluator {
  private steps = 0;
  private readonly names: ReadonlyMap<string, Value>;

  constructor(names: ReadonlyMap<string, Value>) {
    this.names = names;
  }

  eval(node: Node, element: Value | undefined): Value {
    if (++this.steps > MAX_STEPS)
      throw new ExprEvalError(
        'TooExpensive',
        `condition took more than ${MAX_STEPS} steps`,
        node.pos,
      );
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'name':
        return this.names.get(node.name) ?? null;
      case 'element':
      case 'closure':
        return element ?? null;
      case 'array':
        return node.items.map((n) => this.eval(n, element));
      case 'unary':
        return unary(node, this.eval(node.operand, element));
      case 'binary':
        return this.binary(node, element);
      case 'conditional':
        return this.conditional(node, element);
      case 'member':
        return member(node, this.eval(node.object, element));
      case 'index':
        return index(node, this.eval(node.object, element), this.eval(node.index, element));
      case 'call':
        return this.call(node, element);
    }
  }

  private bool(node: Node, element: Value | undefined, what: string): boolean {
    const v = this.eval(node, element);
    if (typeof v !== 'boolean')
      throw mismatch(`${what} needs true or false, got ${typeName(v)}`, node.pos);
    return v;
  }

  private binary(node: NodeOf<'binary'>, element: Value | undefined): Value {
    const { op, left, right } = node;
    if (op === '&&') return this.bool(left, element, '&&') && this.bool(right, element, '&&');
    if (op === '||') return this.bool(left, element, '||') || this.bool(right, element, '||');
    if (op === '??') return this.orDefault(left, right, element);
    return binary(op, this.eval(left, element), this.eval(right, element), node.pos);
  }

  private conditional(node: NodeOf<'conditional'>, element: Value | undefined): Value {
    return this.bool(node.test, element, '? :')
      ? this.eval(node.then, element)
      : this.eval(node.else, element);
  }

  /** `x ?? d`, `default(x, d)`: d when x is nil or reads past the end of a list. */
  private orDefault(value: Node, fallback: Node, element: Value | undefined): Value {
    try {
      const v = this.eval(value, element);
      if (v !== null) return v;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    return this.eval(fallback, element);
  }

  private call(node: NodeOf<'call'>, element: Value | undefined): Value {
    const fn = BUILTINS.get(node.fn);
    const [first, second] = node.args;
    if (!fn || !first) throw mismatch(`unknown function ${node.fn}`, node.pos);
    if (fn.kind === 'default') return this.orDefault(first, second ?? first, element);
    if (fn.kind === 'plain')
      return fn.call(
        node.args.map((a) => this.eval(a, element)),
        node.pos,
      );
    const items = this.eval(first, element);
    if (!isArray(items))
      throw new ExprEvalError(
        'BadArgument',
        `${node.fn}() needs an array, got ${typeName(items)}`,
        first.pos,
      );
    const body = second?.kind === 'closure' ? second.body : (second ?? first);
    return fn.call(
      items,
      (item) => {
        const v = this.eval(body, item);
        if (fn.boolean && typeof v !== 'boolean')
          throw new ExprEvalError(
            'NotBoolean',
            `the predicate of ${node.fn}() must be true or false, got ${typeName(v)}`,
            body.pos,
          );
        return v;
      },
      node.pos,
    );
  }
}

function unary(node: NodeOf<'unary'>, v: Value): Value {
  if (node.op === '!') {
    if (typeof v !== 'boolean')
      throw mismatch(`! needs true or false, got ${typeName(v)}`, node.pos);
    return !v;
  }
  if (typeof v !== 'number')
    throw mismatch(`unary ${node.op} needs a number, got ${typeName(v)}`, node.pos);
  return node.op === '-' ? -v : v;
}

function binary(op: BinaryOp, l: Value, r: Value, pos: number): Value {
  switch (op) {
    case '==':
      return valueEqual(l, r);
    case '!=':
      return !valueEqual(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, l, r, pos);
    case 'in':
    case 'not in':
      return contains(r, l, pos) === (op === 'in');
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return stringTest(op, l, r, pos);
    default:
      return arithmetic(op, l, r, pos);
  }
}

function compare(op: '<' | '<=' | '>' | '>=', l: Value, r: Value, pos: number): boolean {
  const bothNumbers = typeof l === 'number' && typeof r === 'number';
  if (!bothNumbers && !(typeof l === 'string' && typeof r === 'string'))
    throw mismatch(`cannot compare ${typeName(l)} ${op} ${typeName(r)}`, pos);
  if (op === '<') return l < r;
  if (op === '<=') return l <= r;
  return op === '>' ? l > r : l >= r;
}

function contains(container: Value, item: Value, pos: number): boolean {
  if (isArray(container)) return container.some((v) => valueEqual(v, item));
  if (isObject(container) && typeof item === 'string')
    return ownField(container, item) !== undefined;
  throw mismatch(`cannot look for ${typeName(item)} in ${typeName(container)}`, pos);
}

function stringTest(
  op: 'contains' | 'startsWith' | 'endsWith',
  l: Value,
  r: Value,
  pos: number,
): boolean {
  if (typeof l !== 'string' || typeof r !== 'string')
    throw mismatch(`${op} needs two strings, got ${typeName(l)} and ${typeName(r)}`, pos);
  if (op === 'contains') return l.includes(r);
  return op === 'startsWith' ? l.startsWith(r) : l.endsWith(r);
}

function arithmetic(op: BinaryOp, l: Value, r: Value, pos: number): Value {
  if (op === '+' && typeof l === 'string' && typeof r === 'string') return l + r;
  if (typeof l !== 'number' || typeof r !== 'number')
    throw mismatch(`cannot compute ${typeName(l)} ${op} ${typeName(r)}`, pos);
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      if (r === 0) throw new ExprEvalError('DivisionByZero', 'modulo by zero', pos);
      return l % r;
    default:
      return l ** r;
  }
}

function member(node: NodeOf<'member'>, obj: Value): Value {
  if (obj === null) {
    if (node.optional) return null;
    throw new ExprEvalError('NilAccess', `cannot read field '${node.field}' of nil`, node.pos);
  }
  if (!isObject(obj))
    throw mismatch(`cannot read field '${node.field}' of ${typeName(obj)}`, node.pos);
  return ownField(obj, node.field) ?? null;
}

function index(node: NodeOf<'index'>, obj: Value, key: Value): Value {
  if (obj === null) {
    if (node.optional) return null;
    throw new ExprEvalError('NilAccess', `cannot index nil`, node.pos);
  }
  if (isObject(obj)) {
    if (typeof key !== 'string')
      throw mismatch(`a map's key must be a string, got ${typeName(key)}`, node.pos);
    return ownField(obj, key) ?? null;
  }
  if (!isArray(obj) && typeof obj !== 'string')
    throw mismatch(`cannot index ${typeName(obj)}`, node.pos);
  if (typeof key !== 'number' || !Number.isInteger(key))
    throw mismatch(
      `an index must be an integer, got ${typeName(key)} ${formatValue(key)}`,
      node.pos,
    );
  const items: readonly Value[] = typeof obj === 'string' ? [...obj] : obj;
  const i = key < 0 ? items.length + key : key;
  const v = items[i];
  if (v === undefined)
    throw new ExprEvalError(
      'IndexOutOfRange',
      `index ${key} is out of range (length ${items.length})`,
      node.pos,
    );
  return v;
}
