/**
 * Evaluating compiled policies against one resource (and what is known of the request):
 * one result per (policy, rule, resource). For each rule: is the resource matched (directly,
 * or as a controller's pod template for Pod rules) and not excluded, do the preconditions
 * hold, then the pattern / anyPattern / deny decides pass or fail. Not matched, preconditions
 * false and unsupported rule kinds are skips with the reason; nothing is ever a silent pass.
 */
import type { KubeObject } from '../kube/types.ts';
import { familyOf } from './autogen.ts';
import type { CompiledPolicy, CompiledRule } from './compile.ts';
import { evaluateConditions } from './conditions.ts';
import { applyContext } from './context.ts';
import { runForeach } from './foreach.ts';
import { imagesContext } from './images.ts';
import { blockMatches, groupVersion, type MatchTarget } from './match.ts';
import type { PatternOutcome } from './pattern.ts';
import { wildcardMatch } from './scalars.ts';
import type { FailureAction, RequestContext, ResourceRef, RuleResult } from './types.ts';
import { renderText, VariableError, type VariableContext } from './variables.ts';

export function resourceRef(obj: KubeObject): ResourceRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? obj.metadata.generateName ?? '',
  };
}

/** The object to validate and the path prefix of its fields in the resource. */
interface Subject {
  object: KubeObject;
  prefix: string;
  autogen: boolean;
  /**
   * What `request.object` is in expressions. For a pod template: the controller with the
   * template's spec as its spec (Kyverno rewrites `request.object.spec` only, so
   * `request.object.metadata` stays the controller's).
   */
  requestObject: KubeObject;
  /** The rule to run: the autogen variant for a controller. */
  rule?: CompiledRule;
}

type Selection = Subject | { skip: string };

function select(
  rule: CompiledRule,
  policy: CompiledPolicy,
  obj: KubeObject,
  req: RequestContext,
): Selection {
  const { group, version } = groupVersion(obj.apiVersion);
  const direct: MatchTarget = { object: obj, group, version, kind: obj.kind, request: req };
  const matched = blockMatches(rule.source.match, direct);
  if (matched === true) {
    // An exclude that cannot be decided here (user info in CI) does not exclude.
    return blockMatches(rule.source.exclude, direct) === true
      ? { skip: 'excluded by the rule' }
      : { object: obj, prefix: '', autogen: false, requestObject: obj };
  }
  const variant = rule.variants?.[familyOf(obj.kind)];
  if (variant !== undefined && policy.controllers.includes(obj.kind)) {
    const asPod: MatchTarget = { ...direct, group: '', version: 'v1', kind: 'Pod' };
    if (blockMatches(rule.source.match, asPod) === true) {
      return blockMatches(rule.source.exclude, asPod) === true
        ? { skip: 'excluded by the rule' }
        : { object: obj, prefix: '', autogen: true, requestObject: obj, rule: variant };
    }
  }
  return { skip: matched === false ? 'not matched by the rule' : matched.unknown };
}

function variables(subject: Subject, req: RequestContext, rule: CompiledRule): VariableContext {
  const username = req.userInfo?.username ?? '';
  const sa = /^system:serviceaccount:([^:]*):(.*)$/.exec(username);
  const ctx: VariableContext = {
    request: {
      object: subject.requestObject,
      oldObject: req.oldObject ?? null,
      operation: req.operation ?? 'CREATE',
      userInfo: req.userInfo ?? {},
      namespace: subject.object.metadata.namespace ?? '',
      name: subject.object.metadata.name ?? '',
      roles: req.roles ?? [],
      clusterRoles: req.clusterRoles ?? [],
    },
    serviceAccountName: sa?.[2] ?? '',
    serviceAccountNamespace: sa?.[1] ?? '',
  };
  if (rule.usesImages) ctx['images'] = imagesContext(subject.object);
  applyContext(rule.context, ctx);
  return ctx;
}

function actionFor(
  policy: CompiledPolicy,
  rule: CompiledRule,
  namespace: string | undefined,
): FailureAction {
  if (rule.action !== undefined) return rule.action;
  const o = policy.overrides.find((x) =>
    x.namespaces.some((n) => wildcardMatch(n, namespace ?? '')),
  );
  return o?.action ?? policy.action;
}

type Verdict = Pick<RuleResult, 'result' | 'message'> & { path?: string; detail?: string };

function runPatterns(rule: CompiledRule, subject: Subject, ctx: VariableContext): PatternOutcome {
  if (rule.pattern !== undefined) return rule.pattern(subject.object, '', ctx);
  const outcomes = (rule.anyPattern ?? []).map((m) => m(subject.object, '', ctx));
  if (outcomes.some((o) => o.kind === 'pass')) return { kind: 'pass' };
  return outcomes.find((o) => o.kind === 'fail') ?? outcomes[0] ?? { kind: 'pass' };
}

function validate(rule: CompiledRule, subject: Subject, ctx: VariableContext): Verdict {
  const message = (c: VariableContext = ctx): string =>
    rule.message !== undefined
      ? renderText(rule.message, c)
      : `validation rule '${rule.name}' failed`;
  if (rule.deny !== undefined) {
    const denied = evaluateConditions(rule.deny, ctx).ok;
    return denied ? { result: 'fail', message: message() } : { result: 'pass', message: '' };
  }
  if (rule.foreach !== undefined) {
    const out = runForeach(rule.foreach, ctx);
    if (out.kind === 'pass') return { result: 'pass', message: '' };
    if (out.kind === 'skip') return { result: 'skip', message: 'no foreach element applied' };
    return {
      result: 'fail',
      message: message(out.ctx),
      ...(out.path !== undefined ? { path: subject.prefix + out.path } : {}),
      ...(out.detail !== undefined ? { detail: out.detail } : {}),
    };
  }
  const out = runPatterns(rule, subject, ctx);
  if (out.kind === 'pass') return { result: 'pass', message: '' };
  const path = subject.prefix + (out.path === '' ? '/' : out.path);
  if (out.kind === 'skip')
    return {
      result: 'skip',
      message: `${out.global ? 'global' : 'conditional'} anchor did not match at ${path}: ${out.detail}`,
    };
  return { result: 'fail', message: message(), path, detail: out.detail };
}

function evaluateRule(
  policy: CompiledPolicy,
  rule: CompiledRule,
  obj: KubeObject,
  req: RequestContext,
): Verdict & { autogen?: boolean } {
  if (policy.namespace !== undefined && obj.metadata.namespace !== policy.namespace) {
    return {
      result: 'skip',
      message: `Policy ${policy.id} applies only in namespace ${policy.namespace}`,
    };
  }
  const s = select(rule, policy, obj, req);
  if ('skip' in s) return { result: 'skip', message: s.skip };
  if (rule.unsupported !== undefined) return { result: 'skip', message: rule.unsupported };
  const run = s.rule ?? rule;
  try {
    const ctx = variables(s, req, run);
    const pre = evaluateConditions(run.preconditions, ctx);
    if (!pre.ok)
      return {
        result: 'skip',
        message: 'preconditions not met',
        ...(s.autogen ? { autogen: true } : {}),
      };
    return { ...validate(run, s, ctx), ...(s.autogen ? { autogen: true } : {}) };
  } catch (err) {
    if (err instanceof VariableError) return { result: 'error', message: err.message };
    throw err;
  }
}

/** Results of one policy's rules for one resource. */
export function evaluatePolicy(
  policy: CompiledPolicy,
  obj: KubeObject,
  req: RequestContext = {},
): RuleResult[] {
  const resource = resourceRef(obj);
  return policy.rules.map((rule) => {
    const v = evaluateRule(policy, rule, obj, req);
    return {
      policy: policy.id,
      rule: rule.name,
      resource,
      action: actionFor(policy, rule, obj.metadata.namespace),
      ...v,
    };
  });
}

/** Results of every policy's rules for one resource, in policy then rule order. */
export function evaluate(
  policies: readonly CompiledPolicy[],
  obj: KubeObject,
  req: RequestContext = {},
): RuleResult[] {
  return policies.flatMap((p) => evaluatePolicy(p, obj, req));
}

/** Whether a result blocks: an Enforce rule that failed. */
export const blocks = (r: RuleResult): boolean => r.result === 'fail' && r.action === 'Enforce';
