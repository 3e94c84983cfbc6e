/**
 * Results as PolicyReports (`wgpolicyk8s.io/v1alpha2`): one `PolicyReport` per namespace and
 * one `ClusterPolicyReport` for cluster-scoped resources, each with a summary and one entry
 * per (policy, rule, resource). Audit failures may be written as `warn` (the report's name for
 * "reported, not blocked"). `sluice policy apply --policy-report` and admission both use this.
 */
import type { RuleResult } from './types.ts';

export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';

type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface PolicyReportResult {
  source: 'sluice';
  policy: string;
  rule: string;
  result: ReportResult;
  message: string;
  scored: boolean;
  timestamp: { seconds: number; nanos: number };
  resources: Array<{ apiVersion: string; kind: string; name: string; namespace?: string }>;
  properties?: Record<string, string>;
}

export interface PolicyReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  summary: Record<ReportResult, number>;
  results: PolicyReportResult[];
}

export interface ReportOptions {
  /** Audit failures as `warn` rather than `fail`. */
  auditWarn?: boolean;
  now?: Date;
  /** Leave out skips (not matched, preconditions false); reports usually do. */
  withSkips?: boolean;
}

function entry(r: RuleResult, o: ReportOptions): PolicyReportResult {
  const ms = (o.now ?? new Date()).getTime();
  const result: ReportResult =
    r.result === 'fail' && r.action === 'Audit' && o.auditWarn === true ? 'warn' : r.result;
  const properties: Record<string, string> = {};
  if (r.path !== undefined) properties['path'] = r.path;
  if (r.autogen === true) properties['autogen'] = 'true';
  properties['action'] = r.action;
  return {
    source: 'sluice',
    policy: r.policy,
    rule: r.rule,
    result,
    message: r.path !== undefined ? `${r.message} (at ${r.path})` : r.message,
    scored: true,
    timestamp: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
    resources: [r.resource],
    properties,
  };
}

/** Groups results into reports by namespace (cluster-scoped ones in a ClusterPolicyReport). */
export function policyReports(
  results: readonly RuleResult[],
  o: ReportOptions = {},
): PolicyReport[] {
  const byNs = new Map<string, PolicyReportResult[]>();
  for (const r of results) {
    if (r.result === 'skip' && o.withSkips !== true) continue;
    const ns = r.resource.namespace ?? '';
    const list = byNs.get(ns) ?? [];
    list.push(entry(r, o));
    byNs.set(ns, list);
  }
  return [...byNs.entries()].map(([ns, entries]) => {
    const summary: Record<ReportResult, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const e of entries) summary[e.result]++;
    return {
      apiVersion: REPORT_API_VERSION,
      kind: ns === '' ? 'ClusterPolicyReport' : 'PolicyReport',
      metadata: {
        name: ns === '' ? 'sluice-cluster-policy-report' : 'sluice-policy-report',
        ...(ns === '' ? {} : { namespace: ns }),
        labels: { 'app.kubernetes.io/managed-by': 'sluice' },
      },
      summary,
      results: entries,
    };
  });
}
