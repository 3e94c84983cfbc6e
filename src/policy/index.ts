/**
 * The policy engine (Kyverno's validate language), as pure functions: compile policies once,
 * evaluate resources against them. Used by `sluice policy apply|test`, admission and preflight.
 *
 * @example
 * const policies = [compilePolicy(yamlParse(text))];
 * const results = evaluate(policies, deployment, { operation: 'CREATE' });
 * if (results.some(blocks)) deny(results.filter(blocks).map((r) => r.message));
 */
export {
  compilePolicy,
  isPolicyObject,
  type CompiledPolicy,
  type CompiledRule,
} from './compile.ts';
export { blocks, evaluate, evaluatePolicy, resourceRef } from './evaluate.ts';
export { compileDocs, expandPaths, loadDocs, parseDocs, type LoadedDoc } from './load.ts';
export { policyReports, type PolicyReport } from './report.ts';
export * from './types.ts';
