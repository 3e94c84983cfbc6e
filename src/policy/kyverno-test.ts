/**
 * Kyverno's `kyverno-test.yaml`: a test names policy files, resource files and the expected
 * result per (policy, rule, resource). Both shapes are read: the plain one (`name:`,
 * `policies:`, `resources:`, `results:`) and `cli.kyverno.io/v1alpha1` `kind: Test`; results
 * take `resources: [names]` or the older singular `resource: name`. Pure: parsing, and
 * comparing expectations with the engine's results; the CLI reads the files.
 */
import { parse } from 'yaml';
import { SluiceError } from '../errors.ts';
import { isRecord } from '../kube/types.ts';
import type { ResultStatus, RuleResult, UserInfo } from './types.ts';

export type Expected = ResultStatus | 'warn';

export interface Expectation {
  policy: string;
  rule: string;
  resource: string;
  kind?: string;
  namespace?: string;
  result: Expected;
}

export interface TestFile {
  name: string;
  policies: string[];
  resources: string[];
  userinfo?: string;
  variables?: string;
  expectations: Expectation[];
}

/** The outcome of one expectation. */
export interface Check extends Expectation {
  actual: Expected | 'missing';
  ok: boolean;
  message: string;
}

const EXPECTED: readonly string[] = ['pass', 'fail', 'skip', 'error', 'warn'];

function bad(file: string, message: string): SluiceError {
  return new SluiceError('BadInput', `${file}: ${message}`, {
    hint: 'see the kyverno-test.yaml format in policies/README.md',
    exitCode: 2,
  });
}

const strings = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : typeof v === 'string'
      ? [v]
      : [];

function expectations(raw: unknown, file: string): Expectation[] {
  if (!Array.isArray(raw)) throw bad(file, '`results` must be a list');
  return raw.flatMap((r: unknown, i) => {
    if (!isRecord(r)) throw bad(file, `results[${i}] is not a map`);
    const raw = r['result'] ?? r['status'];
    const result = typeof raw === 'string' ? raw.toLowerCase() : '';
    if (!EXPECTED.includes(result))
      throw bad(file, `results[${i}].result must be one of ${EXPECTED.join(', ')}`);
    const names = [...strings(r['resources']), ...strings(r['resource'])];
    if (typeof r['policy'] !== 'string' || typeof r['rule'] !== 'string' || names.length === 0) {
      throw bad(file, `results[${i}] needs policy, rule and resources (or resource)`);
    }
    return names.map((resource) => ({
      policy: r['policy'] as string,
      rule: r['rule'] as string,
      resource,
      ...(typeof r['kind'] === 'string' ? { kind: r['kind'] } : {}),
      ...(typeof r['namespace'] === 'string' ? { namespace: r['namespace'] } : {}),
      result: result as Expected,
    }));
  });
}

/** Parses a kyverno-test.yaml text; throws BadInput naming the file. */
export function parseTestFile(text: string, file: string): TestFile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw bad(
      file,
      `not valid YAML: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : ''}`,
    );
  }
  if (!isRecord(doc))
    throw bad(file, 'not a test (a YAML map with policies, resources and results)');
  const meta = isRecord(doc['metadata']) ? doc['metadata'] : {};
  const named = doc['name'] ?? meta['name'];
  const name = typeof named === 'string' ? named : file;
  const policies = strings(doc['policies']);
  const resources = strings(doc['resources']);
  if (policies.length === 0) throw bad(file, 'the test names no `policies`');
  return {
    name,
    policies,
    resources,
    ...(typeof doc['userinfo'] === 'string' ? { userinfo: doc['userinfo'] } : {}),
    ...(typeof doc['variables'] === 'string' ? { variables: doc['variables'] } : {}),
    expectations: expectations(doc['results'] ?? [], file),
  };
}

/** Reads Kyverno's RequestInfo file (`userInfo`, `roles`, `clusterRoles`). */
export function parseUserInfo(text: string): {
  userInfo: UserInfo;
  roles: string[];
  clusterRoles: string[];
} {
  const doc: unknown = parse(text);
  const d = isRecord(doc) ? doc : {};
  const u = isRecord(d['userInfo']) ? d['userInfo'] : {};
  return {
    userInfo: {
      ...(typeof u['username'] === 'string' ? { username: u['username'] } : {}),
      groups: strings(u['groups']),
    },
    roles: strings(d['roles']),
    clusterRoles: strings(d['clusterRoles']),
  };
}

/** Kyverno names auto-generated rules `autogen-<rule>` / `autogen-cronjob-<rule>`. */
const ruleName = (r: string): string => r.replace(/^autogen-(cronjob-)?/, '');

function matches(e: Expectation, r: RuleResult): boolean {
  const policyName = r.policy.includes('/') ? r.policy.slice(r.policy.indexOf('/') + 1) : r.policy;
  if (e.policy !== r.policy && e.policy !== policyName) return false;
  if (ruleName(e.rule) !== r.rule) return false;
  const ns = r.resource.namespace;
  // Kyverno's CLI puts resources without a namespace in `default`.
  const nameOk =
    e.resource === r.resource.name || e.resource === `${ns ?? 'default'}/${r.resource.name}`;
  if (!nameOk) return false;
  if (e.namespace !== undefined && e.namespace !== (ns ?? '')) return false;
  if (e.kind === undefined) return true;
  const kind = e.kind.split('/').pop();
  return kind === r.resource.kind;
}

const actualOf = (r: RuleResult): Expected =>
  r.result === 'fail' && r.action === 'Audit' ? 'warn' : r.result;

/** Compares expectations with results: every expectation must find a result that agrees. */
export function check(
  expectations: readonly Expectation[],
  results: readonly RuleResult[],
): Check[] {
  return expectations.map((e) => {
    const found = results.filter((r) => matches(e, r));
    const first = found[0];
    if (first === undefined) {
      return {
        ...e,
        actual: 'missing',
        ok: false,
        message: 'no such policy, rule or resource in this test',
      };
    }
    // A `fail` expectation accepts an Audit failure too; `warn` asks for exactly that.
    const agrees = (r: RuleResult): boolean =>
      e.result === 'warn' ? actualOf(r) === 'warn' : r.result === e.result;
    const hit = found.find(agrees);
    const shown = hit ?? first;
    const actual: Expected = e.result === 'warn' ? actualOf(shown) : shown.result;
    const detail = shown.path !== undefined ? `${shown.message} (at ${shown.path})` : shown.message;
    return { ...e, actual, ok: hit !== undefined, message: detail };
  });
}
