/**
 * `sluice convert`, as pure functions: Argo Rollouts (Rollout, AnalysisTemplate,
 * ClusterAnalysisTemplate, AnalysisRun) and Argo CD (Application, AppProject) manifests, `argoproj.io/
 * v1alpha1`, rewritten to `sluice.dev/v1alpha1`. Documents come out in the order they came in;
 * other objects pass unchanged. Each kind's rules (rollout.ts, analysis.ts, application.ts)
 * give edits and issues; the edits are made to the parsed YAML (comments stay, except on
 * rewritten fields) and to plain JSON, which is then checked against Sluice's schema
 * (validate.ts).
 *
 * @example
 * const r = convertManifests(readFileSync('rollout.yaml', 'utf8'));
 * process.stdout.write(r.yaml);
 * for (const i of r.issues) console.error(`${i.object}: ${i.path}: ${i.message}`);
 */
import { parseAllDocuments, type Document } from 'yaml';
import { SluiceError } from '../errors.ts';
import { analysisRewrite } from './analysis.ts';
import { applicationRewrite } from './application.ts';
import { ARGO_API_VERSION, baseRewrite } from './common.ts';
import { applyToDocument, applyToJson } from './edits.ts';
import { projectRewrite } from './project.ts';
import { rolloutRewrite } from './rollout.ts';
import { isFailure, isJson, within, type Issue, type Json, type Rewrite } from './types.ts';
import { validate } from './validate.ts';

export type { Issue } from './types.ts';

const RULES: Record<string, (obj: Json) => Rewrite> = {
  Rollout: rolloutRewrite,
  AnalysisTemplate: analysisRewrite,
  ClusterAnalysisTemplate: analysisRewrite,
  AnalysisRun: analysisRewrite,
  Application: applicationRewrite,
  AppProject: projectRewrite,
};

export interface ConvertResult {
  /** Every document, converted or not, in the input's order. */
  objects: unknown[];
  /** The same as YAML, with the input's comments where the fields were not rewritten. */
  yaml: string;
  issues: Issue[];
  /** How many objects were converted, by kind. */
  converted: Record<string, number>;
  /** True when something could not be mapped (the output is complete all the same). */
  failed: boolean;
}

/** Input that cannot be read as YAML: exit 2. */
export class UnreadableInputError extends SluiceError {
  constructor(message: string) {
    super('UnreadableInput', message, {
      exitCode: 2,
      hint: 'the input must be YAML or JSON manifests (several YAML documents separated by ---)',
    });
    this.name = 'UnreadableInputError';
  }
}

function objectName(obj: Json): string {
  const meta = isJson(obj['metadata']) ? obj['metadata'] : {};
  const ns = typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : '';
  const name = typeof meta['name'] === 'string' ? meta['name'] : '(no name)';
  return `${String(obj['kind'])}/${ns}${name}`;
}

/** Issues found by rules win over schema findings at or below the same path. */
function merge(ruled: Array<Omit<Issue, 'object'>>, checked: Array<Omit<Issue, 'object'>>) {
  const covered = ruled.filter(isFailure).map((i) => i.path);
  return [...ruled, ...checked.filter((c) => !covered.some((p) => within(c.path, p)))];
}

interface DocResult {
  object: unknown;
  issues: Issue[];
  kind?: string;
}

function convertDocument(doc: Document): DocResult {
  const js: unknown = doc.toJS();
  if (!isJson(js) || js['apiVersion'] !== ARGO_API_VERSION) return { object: js, issues: [] };
  const kind = String(js['kind']);
  const rules = RULES[kind];
  const name = objectName(js);
  if (!rules) {
    const message = `Sluice has no ${kind}: left unchanged`;
    return { object: js, issues: [{ object: name, path: '', kind: 'unsupported', message }] };
  }
  const base = baseRewrite(js);
  const own = rules(js);
  const edits = [...base.edits, ...own.edits];
  applyToDocument(doc, edits);
  const converted = applyToJson(js, edits);
  const found = merge([...base.issues, ...own.issues], validate(kind, converted));
  return { object: converted, issues: found.map((i) => ({ object: name, ...i })), kind };
}

function parse(text: string): Document[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  docs.forEach((d, i) => {
    const err = d.errors[0];
    if (err) {
      const line = err.linePos?.[0].line;
      throw new UnreadableInputError(
        `document ${i + 1}${line ? ` (line ${line})` : ''} is not valid YAML: ${err.message.split('\n')[0] ?? ''}`,
      );
    }
  });
  return docs;
}

/** Converts every document of a multi-document YAML (or JSON) text. */
export function convertManifests(text: string): ConvertResult {
  const docs = parse(text);
  const results = docs.map(convertDocument);
  const converted: Record<string, number> = {};
  for (const r of results) if (r.kind) converted[r.kind] = (converted[r.kind] ?? 0) + 1;
  const yaml = docs
    .map((d, i) => {
      const s = d.toString();
      return i === 0 || s.startsWith('---') ? s : `---\n${s}`;
    })
    .join('');
  const issues = results.flatMap((r) => r.issues);
  return {
    objects: results.map((r) => r.object).filter((o) => o !== null && o !== undefined),
    yaml,
    issues,
    converted,
    failed: issues.some(isFailure),
  };
}
