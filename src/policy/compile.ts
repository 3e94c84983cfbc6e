/**
 * Compiling policies: each ClusterPolicy / Policy is checked and turned, once, into matchers
 * the engine runs per request (patterns, conditions and `{{ }}` expressions all parsed here).
 * A policy that cannot work (a bad anchor, operator, range, JMESPath, failure action or rule
 * shape) is a `PolicyInvalid` SluiceError naming the policy, the rule and the path; this is
 * the check admission of the policy itself uses, so mistakes surface at creation.
 */
import { SluiceError } from '../errors.ts';
import { isRecord } from '../kube/types.ts';
import { autogenControllers, autogenRule, ruleQualifies, type TemplateFamily } from './autogen.ts';
import { compileConditions, ConditionError, type ConditionGroups } from './conditions.ts';
import { compileContext, ContextError, type ContextVariable } from './context.ts';
import { compileForeach, ForeachUnsupported, type CompiledForeach } from './foreach.ts';
import { compilePattern, PatternError, type Matcher } from './pattern.ts';
import {
  POLICY_API_VERSIONS,
  POLICY_KINDS,
  type FailureAction,
  type PolicyObject,
  type PolicySpec,
  type Validation,
  type Rule,
} from './types.ts';
import { parseTemplate, VariableError, type Template } from './variables.ts';

export interface CompiledRule {
  name: string;
  source: Rule;
  /** Why the engine does not evaluate this rule (mutate, generate, ...); reported as skip. */
  unsupported?: string;
  preconditions: ConditionGroups;
  message?: Template;
  pattern?: Matcher;
  anyPattern?: Matcher[];
  deny?: ConditionGroups;
  foreach?: CompiledForeach[];
  /** The rule's own failureAction, when it sets one. */
  action?: FailureAction;
  /** Pod rule that also checks controllers' pod templates. */
  autogen: boolean;
  /** The rule rewritten for controllers' pod templates (Kyverno's autogen rules). */
  variants?: Record<TemplateFamily, CompiledRule>;
  /** The rule reads `images.*` (the engine computes it only then). */
  usesImages: boolean;
  /** `context` variables, computed before preconditions. */
  context: ContextVariable[];
}

export interface CompiledPolicy {
  /** `name` for a ClusterPolicy, `namespace/name` for a Policy. */
  id: string;
  name: string;
  /** Set for a (namespaced) Policy: it applies only to resources in this namespace. */
  namespace?: string;
  action: FailureAction;
  overrides: Array<{ action: FailureAction; namespaces: string[] }>;
  controllers: string[];
  rules: CompiledRule[];
  source: PolicyObject;
}

const UNSUPPORTED_RULES = ['mutate', 'generate', 'verifyImages'] as const;
const UNSUPPORTED_VALIDATE = ['cel', 'podSecurity', 'manifests', 'assert'] as const;

function invalid(policy: string, where: string, message: string): SluiceError {
  return new SluiceError('PolicyInvalid', `policy ${policy}: ${where}: ${message}`, {
    hint: 'fix the policy; see policies/README.md for the pattern and condition syntax',
    exitCode: 2,
  });
}

function parseAction(raw: unknown, policy: string, where: string): FailureAction | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (s === 'enforce') return 'Enforce';
  if (s === 'audit') return 'Audit';
  throw invalid(
    policy,
    where,
    `failure action ${JSON.stringify(raw)} is neither Enforce nor Audit`,
  );
}

/** Wraps the errors of one compile step into PolicyInvalid at `where`. */
function step<T>(policy: string, where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PatternError) throw invalid(policy, `${where}${err.path}`, err.message);
    if (err instanceof ConditionError) throw invalid(policy, err.path, err.message);
    if (err instanceof VariableError || err instanceof ContextError)
      throw invalid(policy, where, err.message);
    throw err;
  }
}

function compileValidate(rule: Rule, policy: string, base: string): Partial<CompiledRule> {
  const v = rule.validate;
  if (!isRecord(v))
    throw invalid(policy, base, 'the rule has no validate, mutate, generate or verifyImages');
  const other = UNSUPPORTED_VALIDATE.find((k) => v[k] !== undefined);
  if (other !== undefined) return { unsupported: `validate.${other} is not supported by Sluice` };
  const out: Partial<CompiledRule> = {};
  const action = parseAction(v.failureAction, policy, `${base}.validate.failureAction`);
  if (action !== undefined) out.action = action;
  if (typeof v.message === 'string') {
    const msg = v.message;
    out.message = step(policy, `${base}.validate.message`, () => parseTemplate(msg));
  }
  return { ...out, ...compileCheck(v, policy, `${base}.validate`) };
}

/** The check itself: pattern, anyPattern, deny or foreach (exactly one is used). */
function compileCheck(v: Validation, policy: string, at: string): Partial<CompiledRule> {
  if (v.pattern !== undefined) {
    return { pattern: step(policy, `${at}.pattern`, () => compilePattern(v.pattern)) };
  }
  if (v.anyPattern !== undefined) {
    const list = v.anyPattern;
    if (!Array.isArray(list) || list.length === 0) {
      throw invalid(policy, `${at}.anyPattern`, 'anyPattern is a non-empty list of patterns');
    }
    return {
      anyPattern: list.map((p, i) =>
        step(policy, `${at}.anyPattern[${i}]`, () => compilePattern(p)),
      ),
    };
  }
  if (v.deny !== undefined) {
    const conditions = isRecord(v.deny) ? v.deny.conditions : undefined;
    return {
      deny: step(policy, `${at}.deny.conditions`, () =>
        compileConditions(conditions, `${at}.deny.conditions`),
      ),
    };
  }
  if (v['foreach'] !== undefined) {
    try {
      return {
        foreach: step(policy, `${at}.foreach`, () => compileForeach(v['foreach'], `${at}.foreach`)),
      };
    } catch (err) {
      if (err instanceof ForeachUnsupported) return { unsupported: err.message };
      throw err;
    }
  }
  throw invalid(policy, at, 'validate needs a pattern, anyPattern, deny or foreach');
}

function compileRule(rule: unknown, index: number, id: string): CompiledRule {
  if (!isRecord(rule) || typeof rule['name'] !== 'string' || rule['name'] === '') {
    throw invalid(id, `spec.rules[${index}]`, 'every rule needs a name');
  }
  const compiled = compileOne(rule as Rule, index, id);
  if (!compiled.autogen) return compiled;
  const variant = (family: TemplateFamily): CompiledRule => ({
    ...compileOne(autogenRule(rule as Rule, family), index, id),
    autogen: false,
  });
  return { ...compiled, variants: { template: variant('template'), cronjob: variant('cronjob') } };
}

function compileOne(r: Rule, index: number, id: string): CompiledRule {
  const base = `rule ${r.name}: spec.rules[${index}]`;
  if (!isRecord(r.match)) throw invalid(id, `${base}.match`, 'the rule needs a match block');
  const preconditions = step(id, `${base}.preconditions`, () =>
    compileConditions(r.preconditions, `${base}.preconditions`),
  );
  const context = step(id, `${base}.context`, () => compileContext(r['context']));
  const kind = UNSUPPORTED_RULES.find((k) => r[k] !== undefined);
  const common = {
    name: r.name,
    source: r,
    preconditions,
    autogen: ruleQualifies(r),
    usesImages: JSON.stringify(r).includes('images.'),
    context: context.variables,
  };
  if (kind !== undefined)
    return { ...common, unsupported: `${kind} rules are not supported by Sluice (validate only)` };
  const validate = compileValidate(r, id, base);
  return context.unsupported !== undefined
    ? { ...common, ...validate, unsupported: context.unsupported }
    : { ...common, ...validate };
}

/** Checks and compiles one policy object; throws PolicyInvalid (exit code 2) when it cannot work. */
export function compilePolicy(obj: unknown): CompiledPolicy {
  const { p, id, spec } = checkEnvelope(obj);
  const rules = (spec.rules ?? []).map((r, i) => compileRule(r, i, id));
  const dup = rules.find((r, i) => rules.findIndex((o) => o.name === r.name) !== i);
  if (dup !== undefined)
    throw invalid(id, `rule ${dup.name}`, 'rule names must be unique in a policy');
  const overrides = (spec.validationFailureActionOverrides ?? []).map((o, i) => ({
    action:
      parseAction(o.action, id, `spec.validationFailureActionOverrides[${i}].action`) ?? 'Audit',
    namespaces: o.namespaces ?? [],
  }));
  return {
    id,
    name: p.metadata.name ?? '',
    ...(p.kind === 'Policy' ? { namespace: p.metadata.namespace ?? 'default' } : {}),
    action:
      parseAction(spec.validationFailureAction, id, 'spec.validationFailureAction') ?? 'Audit',
    overrides,
    controllers: autogenControllers(p.metadata.annotations),
    rules,
    source: p,
  };
}

/** apiVersion, kind, name and a non-empty rule list. */
function checkEnvelope(obj: unknown): { p: PolicyObject; id: string; spec: PolicySpec } {
  if (!isRecord(obj) || !isRecord(obj['metadata']))
    throw invalid('(unnamed)', 'metadata', 'not a Kubernetes object');
  const p = obj as PolicyObject;
  const name = p.metadata.name ?? '';
  const id = p.kind === 'Policy' ? `${p.metadata.namespace ?? 'default'}/${name}` : name;
  if (!isPolicyObject(p)) {
    throw invalid(
      id,
      'apiVersion/kind',
      `${p.apiVersion}/${p.kind} is not a policy; use sluice.dev/v1alpha1 (or kyverno.io/v1) ClusterPolicy or Policy`,
    );
  }
  if (name === '') throw invalid('(unnamed)', 'metadata.name', 'the policy needs a name');
  const spec = isRecord(p.spec) ? p.spec : {};
  if (!Array.isArray(spec.rules) || spec.rules.length === 0)
    throw invalid(id, 'spec.rules', 'the policy has no rules');
  return { p, id, spec };
}

/** Whether an object is a policy this engine reads (by apiVersion and kind). */
export function isPolicyObject(obj: unknown): boolean {
  return (
    isRecord(obj) &&
    (POLICY_API_VERSIONS as readonly unknown[]).includes(obj['apiVersion']) &&
    (POLICY_KINDS as readonly unknown[]).includes(obj['kind'])
  );
}
