/**
 * Argo CD Application: Sluice's Application has Argo CD's field names, for one source. Mapped:
 * a `sources` list of one entry becomes `source`; `helm.valuesObject` becomes `helm.values`;
 * the `argocd` namespace becomes `sluice-system` (where Sluice looks for Applications). Named
 * as unsupported: several sources, Helm-repository charts, plugins, managedNamespaceMetadata,
 * sync options Sluice ignores. `spec.project` stays: convert its AppProject too.
 */
import { stringify } from 'yaml';
import { DEFAULT_APP_NAMESPACE } from '../cli/context.ts';
import { formatPath, isJson, type Edit, type Json, type Path, type Rewrite } from './types.ts';

type Found = Rewrite['issues'][number];

/** Application-level sync options Sluice acts on (object-level ones are annotations). */
export const SUPPORTED_SYNC_OPTIONS = [
  'CreateNamespace',
  'PruneLast',
  'PrunePropagationPolicy',
  'RespectIgnoreDifferences',
];

const found = (kind: Found['kind'], path: Path, message: string): Found => ({
  path: formatPath(path),
  kind,
  message,
});

function namespaceRule(obj: Json, edits: Edit[], issues: Found[]): void {
  const meta = isJson(obj['metadata']) ? obj['metadata'] : {};
  if (meta['namespace'] !== 'argocd') return;
  edits.push({ op: 'set', path: ['metadata', 'namespace'], value: DEFAULT_APP_NAMESPACE });
  issues.push(
    found(
      'changed',
      ['metadata', 'namespace'],
      `argocd -> ${DEFAULT_APP_NAMESPACE}, where Sluice looks for Applications (\`sluice controller --app-namespace\` names others)`,
    ),
  );
}

/** Rules for one source, at `path` in the converted object. */
function sourceRules(source: unknown, path: Path, edits: Edit[], issues: Found[]): void {
  if (!isJson(source)) return;
  if (source['chart'] !== undefined)
    issues.push(
      found(
        'unsupported',
        [...path, 'chart'],
        `Helm charts from a Helm repository are not supported (chart ${JSON.stringify(source['chart'])}): Sluice renders charts kept in Git (set path to the chart's directory)`,
      ),
    );
  if (source['plugin'] !== undefined)
    issues.push(
      found(
        'unsupported',
        [...path, 'plugin'],
        'config management plugins are not supported: Sluice renders plain YAML, Kustomize and Helm',
      ),
    );
  const helm = source['helm'];
  if (isJson(helm) && helm['valuesObject'] !== undefined) {
    edits.push(
      { op: 'set', path: [...path, 'helm', 'values'], value: stringify(helm['valuesObject']) },
      { op: 'delete', path: [...path, 'helm', 'valuesObject'] },
    );
    issues.push(
      found(
        'changed',
        [...path, 'helm', 'valuesObject'],
        'written as helm.values (YAML text); as in Argo CD it takes the place of any values',
      ),
    );
  }
}

function sourcesRule(spec: Json, edits: Edit[], issues: Found[]): void {
  const sources = spec['sources'];
  if (!Array.isArray(sources)) {
    sourceRules(spec['source'], ['spec', 'source'], edits, issues);
    return;
  }
  if (sources.length === 1 && spec['source'] === undefined) {
    edits.push(
      { op: 'move', from: ['spec', 'sources', 0], path: ['spec', 'source'] },
      { op: 'delete', path: ['spec', 'sources'] },
    );
    issues.push(found('changed', ['spec', 'sources'], 'one source: written as spec.source'));
    sourceRules(sources[0], ['spec', 'source'], edits, issues);
    return;
  }
  issues.push(
    found(
      'unsupported',
      ['spec', 'sources'],
      `multi-source Applications are not supported (${sources.length} sources): make one Application per source`,
    ),
  );
  sources.forEach((s: unknown, i) => sourceRules(s, ['spec', 'sources', i], edits, issues));
}

function syncPolicyRules(spec: Json, issues: Found[]): void {
  const policy = isJson(spec['syncPolicy']) ? spec['syncPolicy'] : {};
  const base: Path = ['spec', 'syncPolicy'];
  if (policy['managedNamespaceMetadata'] !== undefined)
    issues.push(
      found(
        'unsupported',
        [...base, 'managedNamespaceMetadata'],
        'Sluice does not label or annotate the namespace it creates (CreateNamespace=true): keep a Namespace manifest in Git for that',
      ),
    );
  const options = Array.isArray(policy['syncOptions']) ? (policy['syncOptions'] as unknown[]) : [];
  options.forEach((o, i) => {
    const name = String(o).split('=')[0] ?? '';
    if (SUPPORTED_SYNC_OPTIONS.includes(name)) return;
    const always = name === 'ServerSideApply';
    issues.push(
      found(
        always ? 'changed' : 'unsupported',
        [...base, 'syncOptions', i],
        always
          ? 'kept; Sluice always applies server-side'
          : `${String(o)}: Sluice ignores this sync option (it knows ${SUPPORTED_SYNC_OPTIONS.join(', ')})`,
      ),
    );
  });
}

export function applicationRewrite(obj: Json): Rewrite {
  const edits: Edit[] = [];
  const issues: Found[] = [];
  const spec = isJson(obj['spec']) ? obj['spec'] : {};
  namespaceRule(obj, edits, issues);
  sourcesRule(spec, edits, issues);
  syncPolicyRules(spec, issues);
  return { edits, issues };
}
