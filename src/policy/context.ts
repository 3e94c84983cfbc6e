/**
 * A rule's `context`: named values its expressions can read. `variable` entries (a `value`,
 * a `jmesPath` over it or over the request, a `default`) are computed per evaluation. Entries
 * that fetch data (`configMap`, `apiCall`, `imageRegistry`, `globalReference`) need a cluster:
 * a rule using them is skipped with the reason, never evaluated with missing data.
 */
import { isRecord } from '../kube/types.ts';
import {
  parseTemplate,
  render,
  resolveDeep,
  checkVariables,
  type Template,
  type VariableContext,
} from './variables.ts';

export interface ContextVariable {
  name: string;
  value?: unknown;
  jmesPath?: Template;
  default?: unknown;
}

export class ContextError extends Error {
  override name = 'ContextError';
}

/** The variable entries, or the reason the rule cannot be evaluated here. */
export function compileContext(raw: unknown): {
  variables: ContextVariable[];
  unsupported?: string;
} {
  if (raw === undefined || raw === null) return { variables: [] };
  if (!Array.isArray(raw)) throw new ContextError('context is a list of named entries');
  const variables: ContextVariable[] = [];
  for (const [i, entry] of raw.entries()) {
    if (!isRecord(entry) || typeof entry['name'] !== 'string') {
      throw new ContextError(`context[${i}] needs a name`);
    }
    const v = entry['variable'];
    if (!isRecord(v)) {
      const kind = Object.keys(entry).find((k) => k !== 'name') ?? 'entry';
      return {
        variables,
        unsupported: `context ${kind} '${entry['name']}' needs the cluster; Sluice does not fetch it here`,
      };
    }
    checkVariables(v['value']);
    const path = v['jmesPath'];
    variables.push({
      name: entry['name'],
      ...('value' in v ? { value: v['value'] } : {}),
      ...(typeof path === 'string' ? { jmesPath: parseTemplate(`{{ ${path} }}`) } : {}),
      ...('default' in v ? { default: v['default'] } : {}),
    });
  }
  return { variables };
}

/** Adds the variables to the evaluation context, in order (later ones may read earlier ones). */
export function applyContext(vars: readonly ContextVariable[], ctx: VariableContext): void {
  for (const v of vars) {
    const base = v.value !== undefined ? resolveDeep(v.value, ctx) : undefined;
    let out = base;
    if (v.jmesPath !== undefined) out = render(v.jmesPath, (base ?? ctx) as VariableContext);
    if (out === null || out === undefined)
      out = v.default !== undefined ? resolveDeep(v.default, ctx) : null;
    ctx[v.name] = out;
  }
}
