/**
 * Kubernetes label selectors (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
 * DoesNotExist), as an ImageUpdateAutomation's `policySelector` is written. No selector, or an
 * empty one, selects everything.
 */

export class SelectorError extends Error {
  override name = 'SelectorError';
}

interface Expression {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

function expressionHolds(e: Expression, labels: Readonly<Record<string, string>>): boolean {
  if (typeof e.key !== 'string' || e.key === '')
    throw new SelectorError('spec.policySelector.matchExpressions: every expression needs a key');
  const values = Array.isArray(e.values) ? e.values.map(String) : [];
  const has = Object.hasOwn(labels, e.key);
  const value = labels[e.key];
  switch (e.operator) {
    case 'In':
      return has && values.includes(value ?? '');
    case 'NotIn':
      return !has || !values.includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      throw new SelectorError(
        `spec.policySelector.matchExpressions: operator "${String(e.operator)}" (In, NotIn, Exists or DoesNotExist)`,
      );
  }
}

/** Whether `labels` match `selector`; throws SelectorError for one that is malformed. */
export function matchesSelector(
  selector: Record<string, unknown> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  const matchLabels = (selector['matchLabels'] ?? {}) as Record<string, unknown>;
  const exprs = (selector['matchExpressions'] ?? []) as unknown;
  if (!Array.isArray(exprs))
    throw new SelectorError('spec.policySelector.matchExpressions must be a list');
  const byLabel = Object.entries(matchLabels).every(([k, v]) => labels[k] === String(v));
  // Every expression is checked, even after a mismatch, so a malformed one is always reported.
  const byExpr = exprs.map((e) => expressionHolds(e as Expression, labels)).every(Boolean);
  return byLabel && byExpr;
}
