/**
 * The condition language of AnalysisTemplates (`successCondition: result[0] >= 0.99`): a small
 * expression language after the expr-lang subset Argo Rollouts' users write, parsed by hand
 * (lexer.ts, parser.ts) and evaluated on data (evaluate.ts): no `eval`, no `Function`, no
 * access to JavaScript objects' prototypes.
 *
 * @example
 * const c = compileCondition('len(result) > 0 && result[0] < 5');
 * c.test([3]); // true
 */
import type { Node, Value } from './ast.ts';
import { ExprEvalError } from './errors.ts';
import { evaluate } from './evaluate.ts';
import { parse } from './parser.ts';
import { typeName } from './values.ts';

export type { Value } from './ast.ts';
export { ExprEvalError, ExprSyntaxError } from './errors.ts';
export { formatValue, toValue } from './values.ts';

/** The variables a condition may use. */
export const CONDITION_NAMES = ['result'] as const;

export interface Condition {
  readonly source: string;
  /** True or false for this result; ExprEvalError when it cannot be evaluated on it. */
  test(result: Value): boolean;
}

const cache = new Map<string, Node>();
const CACHE_LIMIT = 1000;

/** Parses (once per distinct source) a condition; ExprSyntaxError when it is not valid. */
export function compileCondition(source: string): Condition {
  let node = cache.get(source);
  if (!node) {
    node = parse(source, CONDITION_NAMES);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value ?? '');
    cache.set(source, node);
  }
  const tree = node;
  return {
    source,
    test(result: Value): boolean {
      const v = evaluate(tree, new Map([['result', result]]));
      if (typeof v !== 'boolean')
        throw new ExprEvalError(
          'NotBoolean',
          `condition must be true or false, got ${typeName(v)}`,
          1,
        );
      return v;
    },
  };
}

/** Evaluates any expression over `names` (tests and tools; conditions use compileCondition). */
export function evaluateExpression(source: string, names: Record<string, Value>): Value {
  const tree = parse(source, Object.keys(names));
  return evaluate(tree, new Map(Object.entries(names)));
}
