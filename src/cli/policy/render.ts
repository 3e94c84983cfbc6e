/** Tables for `sluice policy apply` and `sluice policy test` (pure: results in, text out). */
import type { Check } from '../../policy/kyverno-test.ts';
import type { ResourceRef, RuleResult } from '../../policy/types.ts';
import { formatTable } from '../output.ts';

export const resourceName = (r: ResourceRef): string =>
  [r.kind, r.namespace, r.name].filter((x) => x !== undefined && x !== '').join('/');

const resultCell = (r: RuleResult): string =>
  r.result === 'fail' ? (r.action === 'Enforce' ? 'fail' : 'fail (audit)') : r.result;

const messageCell = (r: RuleResult): string =>
  r.path !== undefined ? `${r.message} (at ${r.path})` : r.message;

export interface ApplySummary {
  pass: number;
  fail: number;
  enforceFail: number;
  auditFail: number;
  skip: number;
  error: number;
}

export function summarise(results: readonly RuleResult[]): ApplySummary {
  const s: ApplySummary = { pass: 0, fail: 0, enforceFail: 0, auditFail: 0, skip: 0, error: 0 };
  for (const r of results) {
    s[r.result]++;
    if (r.result === 'fail') s[r.action === 'Enforce' ? 'enforceFail' : 'auditFail']++;
  }
  return s;
}

/** The apply table; "not matched" skips are left out unless `all` (the summary counts them). */
export function formatApply(results: readonly RuleResult[], all: boolean): string {
  const shown = all
    ? results
    : results.filter((r) => r.result !== 'skip' || !r.message.startsWith('not matched'));
  const rows = shown.map((r) => [
    `${r.policy}/${r.rule}`,
    resourceName(r.resource),
    resultCell(r),
    messageCell(r),
  ]);
  const s = summarise(results);
  const table = rows.length > 0 ? formatTable(['RULE', 'RESOURCE', 'RESULT', 'MESSAGE'], rows) : '';
  return (
    table +
    `\n${s.pass} passed, ${s.fail} failed (${s.enforceFail} enforce, ${s.auditFail} audit), ${s.skip} skipped, ${s.error} errors\n`
  );
}

export function formatChecks(title: string, checks: readonly Check[]): string {
  const rows = checks.map((c, i) => [
    String(i + 1),
    c.policy,
    c.rule,
    [c.kind, c.resource].filter((x) => x !== undefined).join('/'),
    c.result,
    c.actual,
    c.ok ? 'ok' : 'MISMATCH',
    c.ok ? '' : c.message,
  ]);
  return (
    `${title}\n` +
    formatTable(['#', 'POLICY', 'RULE', 'RESOURCE', 'EXPECTED', 'ACTUAL', 'OK', 'MESSAGE'], rows)
  );
}
