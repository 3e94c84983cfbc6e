/**
 * `validate.foreach`: checks each element of a list the rule selects with JMESPath (`list:
 * request.object.spec.containers`), as `element` (and `elementIndex`) in its expressions. Each
 * entry may have preconditions (elements that do not meet them are passed over), and a
 * `pattern`, `anyPattern` or `deny` applied per element. The rule fails at the first element
 * that fails; a list that is absent or empty has nothing to fail. Nested foreach is not
 * supported (the rule is skipped with the reason).
 */
import { isRecord } from '../kube/types.ts';
import { compileConditions, evaluateConditions, type ConditionGroups } from './conditions.ts';
import { applyContext, compileContext, type ContextVariable } from './context.ts';
import { compilePattern, PatternError, type Matcher, type PatternOutcome } from './pattern.ts';
import { parseTemplate, render, type Template, type VariableContext } from './variables.ts';

export interface CompiledForeach {
  list: Template;
  /** Where the list is in the resource, for paths (`/spec/containers`), when it is a plain path. */
  at: string;
  preconditions: ConditionGroups;
  pattern?: Matcher;
  anyPattern?: Matcher[];
  deny?: ConditionGroups;
  context: ContextVariable[];
}

export type ForeachOutcome =
  | { kind: 'pass' }
  | { kind: 'skip' }
  | { kind: 'fail'; path?: string; detail?: string; ctx: VariableContext };

/** Thrown for a nested foreach or a context that needs the cluster: the rule is skipped. */
export class ForeachUnsupported extends Error {
  override name = 'ForeachUnsupported';
}

function pathOf(list: string): string {
  const m = /^request\.object((?:\.[A-Za-z_][\w]*)+)(\[\])?$/.exec(list.trim());
  return m?.[1] !== undefined ? m[1].replaceAll('.', '/') : `(${list.trim()})`;
}

/** Compiles the entries; errors come out as PatternError / ConditionError / VariableError. */
export function compileForeach(raw: unknown, base: string): CompiledForeach[] {
  if (!Array.isArray(raw)) throw new PatternError('', 'foreach is a list of entries');
  return raw.map((e: unknown, i) => {
    const where = `${base}[${i}]`;
    if (!isRecord(e) || typeof e['list'] !== 'string') {
      throw new PatternError(`/${i}`, 'a foreach entry needs a `list` (a JMESPath expression)');
    }
    if (e['foreach'] !== undefined)
      throw new ForeachUnsupported('nested foreach is not supported by Sluice');
    const context = compileContext(e['context']);
    if (context.unsupported !== undefined) throw new ForeachUnsupported(context.unsupported);
    const out: CompiledForeach = {
      list: parseTemplate(`{{ ${e['list']} }}`),
      at: pathOf(e['list']),
      preconditions: compileConditions(e['preconditions'] as never, `${where}.preconditions`),
      context: context.variables,
    };
    if (e['pattern'] !== undefined) out.pattern = compilePattern(e['pattern'], `/${i}/pattern`);
    else if (Array.isArray(e['anyPattern'])) {
      out.anyPattern = e['anyPattern'].map((p, j) => compilePattern(p, `/${i}/anyPattern/${j}`));
    } else if (isRecord(e['deny'])) {
      out.deny = compileConditions(e['deny']['conditions'] as never, `${where}.deny.conditions`);
    } else {
      throw new PatternError(`/${i}`, 'a foreach entry needs a pattern, anyPattern or deny');
    }
    return out;
  });
}

function checkElement(
  f: CompiledForeach,
  element: unknown,
  path: string,
  ctx: VariableContext,
): PatternOutcome {
  if (f.deny !== undefined) {
    return evaluateConditions(f.deny, ctx).ok
      ? { kind: 'fail', path, detail: 'deny conditions hold' }
      : { kind: 'pass' };
  }
  if (f.pattern !== undefined) return f.pattern(element, path, ctx);
  const outcomes = (f.anyPattern ?? []).map((m) => m(element, path, ctx));
  if (outcomes.length === 0 || outcomes.some((o) => o.kind === 'pass')) return { kind: 'pass' };
  return outcomes.find((o) => o.kind === 'fail') ?? { kind: 'pass' };
}

/**
 * Runs the entries over their lists; the first failing element decides. When no element of
 * any list applies (empty lists, preconditions unmet), the rule is a skip, as in Kyverno.
 */
export function runForeach(
  entries: readonly CompiledForeach[],
  ctx: VariableContext,
): ForeachOutcome {
  let applied = 0;
  for (const f of entries) {
    const items = render(f.list, ctx);
    if (!Array.isArray(items)) continue;
    for (const [i, element] of items.entries()) {
      const local: VariableContext = { ...ctx, element, elementIndex: i };
      applyContext(f.context, local);
      if (!evaluateConditions(f.preconditions, local).ok) continue;
      applied++;
      const out = checkElement(f, element, `${f.at}/${i}`, local);
      if (out.kind === 'fail')
        return { kind: 'fail', path: out.path, detail: out.detail, ctx: local };
    }
  }
  return applied === 0 ? { kind: 'skip' } : { kind: 'pass' };
}
