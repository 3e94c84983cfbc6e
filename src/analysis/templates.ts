/**
 * The templates a Rollout names (`templates: [{templateName, clusterScope}]`), found in the
 * Rollout's namespace or, with `clusterScope: true`, among ClusterAnalysisTemplates. A missing
 * one is a TemplateNotFound error naming it, so the Rollout can say so in a condition and not
 * start the canary.
 *
 * @example
 * const templates = await loadTemplates(kubeLookup(kube), rollout.metadata.namespace, step.analysis.templates);
 */
import {
  ANALYSIS_TEMPLATE_KIND,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
  type AnalysisTemplate,
} from '../api/analysis.ts';
import { API_VERSION } from '../api/application.ts';
import type { Kube } from '../kube/api.ts';
import { AnalysisError } from './errors.ts';

export interface TemplateRef {
  templateName: string;
  clusterScope?: boolean;
}

/** Finds a template (namespace undefined: a ClusterAnalysisTemplate); undefined if missing. */
export type TemplateLookup = (
  kind: string,
  namespace: string | undefined,
  name: string,
) => Promise<AnalysisTemplate | undefined>;

/** Reads templates from the API server (or pass a lookup over an informer cache). */
export const kubeLookup =
  (kube: Kube): TemplateLookup =>
  (kind, namespace, name) =>
    kube.get<AnalysisTemplate>(API_VERSION, kind, namespace, name);

export async function loadTemplates(
  lookup: TemplateLookup,
  namespace: string,
  refs: readonly TemplateRef[],
): Promise<AnalysisTemplate[]> {
  return Promise.all(
    refs.map(async (ref) => {
      const kind = ref.clusterScope ? CLUSTER_ANALYSIS_TEMPLATE_KIND : ANALYSIS_TEMPLATE_KIND;
      const ns = ref.clusterScope ? undefined : namespace;
      const t = await lookup(kind, ns, ref.templateName);
      if (t) return t;
      const where = ns ? `${kind}/${ns}/${ref.templateName}` : `${kind}/${ref.templateName}`;
      throw new AnalysisError('TemplateNotFound', `${where} does not exist`, {
        subject: ref.templateName,
        hint: ref.clusterScope
          ? 'create the ClusterAnalysisTemplate, or drop clusterScope to use a namespaced one'
          : `create the AnalysisTemplate in namespace ${namespace}, or set clusterScope: true for a ClusterAnalysisTemplate`,
      });
    }),
  );
}
