/**
 * An AnalysisRun instantiated from templates, for the Rollout controller: the templates'
 * metrics merged (a metric name used twice is an error), their arguments merged and given the
 * Rollout's values (an argument without a value is an error naming it), dry-run and retention
 * settings carried over, and the run owned by the Rollout (deleted with it).
 *
 * @example
 * const run = buildAnalysisRun({
 *   rollout: { name: 'web', namespace: 'shop', uid },
 *   templates: [successRate],
 *   args: resolveArgs(step.analysis.args, { stableHash, latestHash, rollout }),
 *   labels: { 'rollouts-pod-template-hash': latestHash },
 *   name: `web-${latestHash}-2`,
 * });
 * await kube.create(run);
 */
import { API_VERSION } from '../api/application.ts';
import {
  ANALYSIS_RUN_KIND,
  type AnalysisRun,
  type AnalysisTemplate,
  type Argument,
  type Metric,
} from '../api/analysis.ts';
import { ROLLOUT_KIND } from '../api/rollout.ts';
import { missing } from './args.ts';
import { AnalysisError } from './errors.ts';

export interface BuildRunOptions {
  rollout: { name: string; namespace: string; uid: string };
  /** AnalysisTemplates and ClusterAnalysisTemplates, in the order the Rollout names them. */
  templates: readonly AnalysisTemplate[];
  /** The Rollout's arguments, resolved with `resolveArgs`. */
  args?: readonly Argument[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  name: string;
}

const templateRef = (t: AnalysisTemplate): string =>
  t.metadata.namespace
    ? `${t.kind}/${t.metadata.namespace}/${t.metadata.name}`
    : `${t.kind}/${t.metadata.name}`;

function mergeMetrics(templates: readonly AnalysisTemplate[]): Metric[] {
  const from = new Map<string, string>();
  const metrics: Metric[] = [];
  for (const t of templates) {
    for (const m of t.spec.metrics) {
      const other = from.get(m.name);
      if (other !== undefined) {
        throw new AnalysisError(
          'DuplicateMetric',
          `metric ${m.name} is defined by both ${other} and ${templateRef(t)}`,
          { subject: m.name, hint: 'metric names must be unique across the templates of a run' },
        );
      }
      from.set(m.name, templateRef(t));
      metrics.push(m);
    }
  }
  return metrics;
}

/** Template arguments by name; two templates giving one argument different values conflict. */
function templateArgs(templates: readonly AnalysisTemplate[]): Map<string, Argument> {
  const out = new Map<string, Argument>();
  for (const t of templates) {
    for (const a of t.spec.args ?? []) {
      const prev = out.get(a.name);
      if (prev?.value !== undefined && a.value !== undefined && prev.value !== a.value) {
        throw new AnalysisError(
          'ConflictingArgument',
          `argument ${a.name} has the default ${JSON.stringify(prev.value)} in one template and ${JSON.stringify(a.value)} in ${templateRef(t)}`,
          { subject: a.name },
        );
      }
      out.set(a.name, prev?.value !== undefined ? prev : a);
    }
  }
  return out;
}

/** The run's arguments: every template argument, with the Rollout's value where it gives one. */
function mergeArgs(templates: readonly AnalysisTemplate[], given: readonly Argument[]): Argument[] {
  const byName = new Map(given.map((a) => [a.name, a]));
  return [...templateArgs(templates).values()].map((declared) => {
    const a = byName.get(declared.name) ?? declared;
    if (a.value === undefined && !a.valueFrom?.secretKeyRef) throw missing(a.name);
    return a.value !== undefined ? { name: a.name, value: a.value } : a;
  });
}

export function buildAnalysisRun(o: BuildRunOptions): AnalysisRun {
  const metrics = mergeMetrics(o.templates);
  const args = mergeArgs(o.templates, o.args ?? []);
  const dryRun = o.templates.flatMap((t) => t.spec.dryRun ?? []);
  const retention = o.templates.flatMap((t) => t.spec.measurementRetention ?? []);
  return {
    apiVersion: API_VERSION,
    kind: ANALYSIS_RUN_KIND,
    metadata: {
      name: o.name,
      namespace: o.rollout.namespace,
      ...(o.labels ? { labels: { ...o.labels } } : {}),
      ...(o.annotations ? { annotations: { ...o.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: ROLLOUT_KIND,
          name: o.rollout.name,
          uid: o.rollout.uid,
          controller: true,
        },
      ],
    },
    spec: {
      metrics,
      ...(args.length ? { args } : {}),
      ...(dryRun.length ? { dryRun } : {}),
      ...(retention.length ? { measurementRetention: retention } : {}),
    },
  };
}
