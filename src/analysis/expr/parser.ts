/**
 * A Pratt parser from tokens to a syntax tree. Precedence, loosest first:
 *
 *   `? :` < `??` < `||` `or` < `&&` `and` < comparisons (`==` `!=` `<` `<=` `>` `>=` `in`
 *   `not in` `contains` `startsWith` `endsWith`) < `+` `-` < `*` `/` `%` < unary `!` `not` `-`
 *   < `**` `^` (right-associative) < postfix `.field` `?.field` `[index]` `(call)`
 *
 * Names are checked here, not when evaluating: an unknown name or function, a wrong number of
 * arguments or `#` outside a predicate is a syntax error with its position. Nesting is bounded
 * (MAX_DEPTH), so hostile input cannot exhaust the stack.
 */
import { children, type BinaryOp, type Node } from './ast.ts';
import { BUILTINS } from './builtins.ts';
import { ExprSyntaxError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

export const MAX_LENGTH = 4096;
export const MAX_DEPTH = 100;

const BINARY: Record<string, { bp: number; op: BinaryOp; right?: boolean }> = {
  '??': { bp: 20, op: '??' },
  '||': { bp: 30, op: '||' },
  or: { bp: 30, op: '||' },
  '&&': { bp: 40, op: '&&' },
  and: { bp: 40, op: '&&' },
  '==': { bp: 50, op: '==' },
  '!=': { bp: 50, op: '!=' },
  '<': { bp: 50, op: '<' },
  '<=': { bp: 50, op: '<=' },
  '>': { bp: 50, op: '>' },
  '>=': { bp: 50, op: '>=' },
  in: { bp: 50, op: 'in' },
  contains: { bp: 50, op: 'contains' },
  startsWith: { bp: 50, op: 'startsWith' },
  endsWith: { bp: 50, op: 'endsWith' },
  '+': { bp: 60, op: '+' },
  '-': { bp: 60, op: '-' },
  '*': { bp: 70, op: '*' },
  '/': { bp: 70, op: '/' },
  '%': { bp: 70, op: '%' },
  '**': { bp: 90, op: '**', right: true },
  '^': { bp: 90, op: '**', right: true },
};
const TERNARY_BP = 10;
const UNARY_BP = 80;
const LITERALS: Record<string, null | boolean> = {
  true: true,
  false: false,
  nil: null,
  null: null,
};

const tooDeep = (pos: number): ExprSyntaxError =>
  new ExprSyntaxError('TooDeep', `condition is nested more than ${MAX_DEPTH} levels deep`, pos);

const describe = (t: Token): string =>
  t.kind === 'end'
    ? 'end of condition'
    : `'${t.kind === 'string' ? JSON.stringify(t.text) : t.text}'`;

/**
 * Parses `source` into a tree; `names` are the variables it may use (e.g. `result`).
 *
 * @example parse('result[0] >= 0.99', ['result'])
 */
export function parse(source: string, names: readonly string[]): Node {
  if (source.length > MAX_LENGTH)
    throw new ExprSyntaxError(
      'TooLong',
      `condition is longer than ${MAX_LENGTH} characters`,
      MAX_LENGTH + 1,
    );
  const parser = new Parser(tokenize(source), names);
  const node = parser.expression(0);
  parser.expectEnd();
  checkDepth(node, 1);
  return node;
}

class Parser {
  private readonly tokens: Token[];
  private readonly names: ReadonlySet<string>;
  private i = 0;
  private depth = 0;
  private closures = 0;

  constructor(tokens: Token[], names: readonly string[]) {
    this.tokens = tokens;
    this.names = new Set(names);
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'op' || t.kind === 'name') && t.text === text;
  }

  private expect(text: string): Token {
    if (!this.is(text)) throw this.unexpected(this.peek(), `, expected '${text}'`);
    return this.next();
  }

  private unexpected(t: Token, extra = ''): ExprSyntaxError {
    return t.kind === 'end'
      ? new ExprSyntaxError('UnexpectedEnd', `unexpected end of condition${extra}`, t.pos)
      : new ExprSyntaxError('UnexpectedToken', `unexpected ${describe(t)}${extra}`, t.pos);
  }

  expectEnd(): void {
    if (this.peek().kind !== 'end') throw this.unexpected(this.peek());
  }

  expression(minBp: number): Node {
    if (++this.depth > MAX_DEPTH) throw tooDeep(this.peek().pos);
    let left = this.prefix();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' && t.kind !== 'name') break;
      if (t.text === '?' && TERNARY_BP > minBp) {
        left = this.conditional(left);
        continue;
      }
      const notIn = t.text === 'not' && this.is('in', 1);
      const info = notIn
        ? { bp: 50, op: 'not in' as const }
        : Object.hasOwn(BINARY, t.text)
          ? BINARY[t.text]
          : undefined;
      if (!info || info.bp <= minBp) break;
      this.next();
      if (notIn) this.next();
      const right = this.expression(info.right ? info.bp - 1 : info.bp);
      left = { kind: 'binary', pos: t.pos, op: info.op, left, right };
    }
    this.depth--;
    return left;
  }

  private conditional(test: Node): Node {
    const q = this.next();
    const then = this.expression(0);
    this.expect(':');
    const otherwise = this.expression(TERNARY_BP - 1);
    return { kind: 'conditional', pos: q.pos, test, then, else: otherwise };
  }

  private prefix(): Node {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '!' || t.text === '-' || t.text === '+')) {
      this.next();
      return { kind: 'unary', pos: t.pos, op: t.text, operand: this.expression(UNARY_BP) };
    }
    if (t.kind === 'name' && t.text === 'not') {
      this.next();
      return { kind: 'unary', pos: t.pos, op: '!', operand: this.expression(UNARY_BP) };
    }
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const t = this.next();
    if (t.kind === 'number') return { kind: 'literal', pos: t.pos, value: t.number ?? 0 };
    if (t.kind === 'string') return { kind: 'literal', pos: t.pos, value: t.text };
    if (t.kind === 'name') return this.name(t);
    if (t.text === '(') {
      const inner = this.expression(0);
      this.expect(')');
      return inner;
    }
    if (t.text === '[') return { kind: 'array', pos: t.pos, items: this.list(']') };
    if (t.text === '#' || (t.text === '.' && this.closures > 0)) return this.element(t);
    throw this.unexpected(t);
  }

  private element(t: Token): Node {
    if (this.closures === 0)
      throw new ExprSyntaxError(
        'UnexpectedToken',
        "'#' is only allowed in a predicate such as all(result, {# > 0})",
        t.pos,
      );
    const element: Node = { kind: 'element', pos: t.pos };
    if (t.text === '#') return element;
    const field = this.next(); // `.ok` inside a predicate means `#.ok`
    if (field.kind !== 'name') throw this.unexpected(field, ', expected a field name');
    return { kind: 'member', pos: t.pos, object: element, field: field.text, optional: false };
  }

  private name(t: Token): Node {
    if (this.is('(')) return this.call(t);
    if (Object.hasOwn(LITERALS, t.text))
      return { kind: 'literal', pos: t.pos, value: LITERALS[t.text] ?? null };
    if (this.names.has(t.text)) return { kind: 'name', pos: t.pos, name: t.text };
    throw new ExprSyntaxError(
      'UnknownName',
      `unknown name '${t.text}' (conditions can use ${[...this.names].join(', ')})`,
      t.pos,
    );
  }

  private call(t: Token): Node {
    const fn = BUILTINS.get(t.text);
    if (!fn) throw new ExprSyntaxError('UnknownFunction', `unknown function '${t.text}'`, t.pos);
    this.next(); // (
    if (fn.kind === 'predicate') {
      const items = this.expression(0);
      this.expect(',');
      const body = this.closure();
      this.expect(')');
      return { kind: 'call', pos: t.pos, fn: t.text, args: [items, body] };
    }
    const args = this.list(')');
    if (args.length < fn.min || args.length > fn.max) {
      const want =
        fn.min === fn.max
          ? `${fn.min}`
          : fn.max === Infinity
            ? `at least ${fn.min}`
            : `${fn.min} to ${fn.max}`;
      throw new ExprSyntaxError(
        'WrongArguments',
        `${t.text}() takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`,
        t.pos,
      );
    }
    return { kind: 'call', pos: t.pos, fn: t.text, args };
  }

  /** `{# > 0}` or just `# > 0`. */
  private closure(): Node {
    const pos = this.peek().pos;
    const braced = this.is('{');
    if (braced) this.next();
    this.closures++;
    const body = this.expression(0);
    this.closures--;
    if (braced) this.expect('}');
    return { kind: 'closure', pos, body };
  }

  /** Comma-separated expressions up to `close` (consumed). */
  private list(close: string): Node[] {
    const items: Node[] = [];
    while (!this.is(close)) {
      items.push(this.expression(0));
      if (!this.is(close)) this.expect(',');
    }
    this.next();
    return items;
  }

  private postfix(node: Node): Node {
    for (let n = 0; ; n++) {
      const t = this.peek();
      if (n + this.depth > MAX_DEPTH) throw tooDeep(t.pos);
      if (t.kind !== 'op') return node;
      const optionalIndex = t.text === '?.' && this.is('[', 1);
      if (t.text === '[' || optionalIndex) {
        this.next();
        if (optionalIndex) this.next();
        const index = this.expression(0);
        this.expect(']');
        node = { kind: 'index', pos: t.pos, object: node, index, optional: optionalIndex };
      } else if (t.text === '.' || t.text === '?.') {
        this.next();
        const field = this.next();
        if (field.kind !== 'name') throw this.unexpected(field, ', expected a field name');
        node = {
          kind: 'member',
          pos: t.pos,
          object: node,
          field: field.text,
          optional: t.text === '?.',
        };
      } else if (t.text === '(') {
        throw new ExprSyntaxError(
          'UnexpectedToken',
          'only built-in functions can be called',
          t.pos,
        );
      } else return node;
    }
  }
}

/** Long left-leaning chains (`1+1+1+…`) are built without recursion; bound their height too. */
function checkDepth(node: Node, depth: number): void {
  if (depth > MAX_DEPTH) throw tooDeep(node.pos);
  for (const child of children(node)) checkDepth(child, depth + 1);
}
