/**
 * Pod rules also check the pod templates of the controllers that make Pods (Kyverno's
 * auto-generated rules). A rule qualifies when its `match` names Pods only, by kind alone
 * (no names, no label selector). The controllers are DaemonSet, Deployment, Job, StatefulSet,
 * ReplicaSet and CronJob, or those the policy's `pod-policies.kyverno.io/autogen-controllers`
 * annotation lists (`none` turns it off). As Kyverno does, the rule is rewritten for the
 * controllers: patterns are nested under the template (`spec.template`, or
 * `spec.jobTemplate.spec.template` for CronJobs) and the text `request.object.spec` /
 * `request.object.metadata` in expressions points into the template (so `request."object"`
 * still reads the controller, Kyverno's escape). Results keep the rule's name.
 */
import { isRecord } from '../kube/types.ts';
import { blockKinds } from './match.ts';
import type { MatchResources, Rule } from './types.ts';

export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';

/** Where each controller keeps its pod template. */
export const POD_TEMPLATE_PATHS: Record<string, readonly string[]> = {
  DaemonSet: ['spec', 'template'],
  Deployment: ['spec', 'template'],
  Job: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
export const DEFAULT_CONTROLLERS = Object.keys(POD_TEMPLATE_PATHS);

/** The controllers a policy's Pod rules extend to, from its annotation. */
export function autogenControllers(annotations: Record<string, string> | undefined): string[] {
  const raw = annotations?.[AUTOGEN_ANNOTATION]?.trim();
  if (raw === undefined || raw === '' || raw.toLowerCase() === 'all') return DEFAULT_CONTROLLERS;
  if (raw.toLowerCase() === 'none') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((k) => k in POD_TEMPLATE_PATHS);
}

const isPodKind = (k: string): boolean => k === 'Pod' || k === 'v1/Pod' || k === '/v1/Pod';

function namesOrSelects(m: MatchResources | undefined): boolean {
  if (m === undefined) return false;
  const filters = [...(m.any ?? []), ...(m.all ?? []), m];
  return filters.some((f) => {
    const r = f.resources;
    return (
      r !== undefined &&
      ((r.names?.length ?? 0) > 0 || r.name !== undefined || r.selector !== undefined)
    );
  });
}

/** Whether a rule is a Pod rule that Kyverno would extend to controllers. */
export function ruleQualifies(rule: Rule): boolean {
  const kinds = blockKinds(rule.match);
  return kinds.length > 0 && kinds.every(isPodKind) && !namesOrSelects(rule.match);
}

/** Where the pod template is, per controller family. */
export type TemplateFamily = 'template' | 'cronjob';
export const familyOf = (kind: string): TemplateFamily =>
  kind === 'CronJob' ? 'cronjob' : 'template';

function nest(pattern: unknown, family: TemplateFamily): unknown {
  return family === 'cronjob'
    ? { spec: { jobTemplate: { spec: { template: pattern } } } }
    : { spec: { template: pattern } };
}

function rewriteText(value: unknown, family: TemplateFamily): unknown {
  const to = family === 'cronjob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
  const json = JSON.stringify(value ?? null)
    .replaceAll('request.object.spec', `request.object.${to}.spec`)
    .replaceAll('request.oldObject.spec', `request.oldObject.${to}.spec`)
    .replaceAll('request.object.metadata', `request.object.${to}.metadata`)
    .replaceAll('request.oldObject.metadata', `request.oldObject.${to}.metadata`);
  return JSON.parse(json) as unknown;
}

/** The rule as Kyverno generates it for a family of controllers (match is not used). */
export function autogenRule(rule: Rule, family: TemplateFamily): Rule {
  const out = rewriteText(rule, family) as Rule;
  const v = out.validate;
  if (v !== undefined && isRecord(v)) {
    if (v.pattern !== undefined) v.pattern = nest(v.pattern, family);
    if (Array.isArray(v.anyPattern)) v.anyPattern = v.anyPattern.map((p) => nest(p, family));
  }
  const { match, exclude } = rule;
  return {
    ...out,
    ...(match !== undefined ? { match } : {}),
    ...(exclude !== undefined ? { exclude } : {}),
  };
}
