/**
 * What admission saw, kept for PolicyReports: the latest result per (policy, rule, resource),
 * bounded in size. The controller (or a test) turns it into `wgpolicyk8s.io/v1alpha2` reports
 * with `reports()`; writing them to the cluster is the caller's job.
 */
import { policyReports, type PolicyReport } from '../report.ts';
import type { RuleResult } from '../types.ts';

export class AuditLog {
  private readonly latest = new Map<string, RuleResult>();
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  /** Keeps the results that say something (pass, fail, error); skips are not reported. */
  record(results: readonly RuleResult[]): void {
    for (const r of results) {
      if (r.result === 'skip') continue;
      const { kind, namespace, name } = r.resource;
      const key = `${r.policy}\u0000${r.rule}\u0000${kind}\u0000${namespace ?? ''}\u0000${name}`;
      this.latest.delete(key);
      this.latest.set(key, r);
      if (this.latest.size > this.limit) {
        const oldest = this.latest.keys().next();
        if (oldest.done !== true) this.latest.delete(oldest.value);
      }
    }
  }

  get size(): number {
    return this.latest.size;
  }

  /** PolicyReports (one per namespace) of what was recorded; Audit failures as `warn`. */
  reports(now = new Date()): PolicyReport[] {
    return policyReports([...this.latest.values()], { auditWarn: true, now });
  }
}
