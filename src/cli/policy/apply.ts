/**
 * `sluice policy apply -f POLICIES -r RESOURCES`: evaluates resources against policies in CI,
 * as `kyverno apply` does. Prints a table of rule / resource / result / message (or JSON, YAML,
 * or PolicyReports). Exit 1 when an Enforce rule fails (also an Audit one with
 * `--audit-fail`) or a rule errors, 2 on a bad file (named), else 0.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SluiceError } from '../../errors.ts';
import { compileDocs, loadDocs } from '../../policy/load.ts';
import { evaluate } from '../../policy/evaluate.ts';
import { isPolicyObject } from '../../policy/compile.ts';
import { parseUserInfo } from '../../policy/kyverno-test.ts';
import { policyReports } from '../../policy/report.ts';
import type { Operation, RequestContext, RuleResult } from '../../policy/types.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { formatApply, summarise } from './render.ts';

export interface ApplyOptions {
  policy?: string[];
  resource?: string[];
  output: OutputFormat;
  policyReport?: boolean;
  auditFail?: boolean;
  auditWarn?: boolean;
  showSkipped?: boolean;
  operation: Operation;
  userinfo?: string;
}

/** Kyverno's RequestInfo file (`--userinfo`): who asks, with their roles. */
async function readUserInfo(file: string | undefined): Promise<Partial<RequestContext>> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SluiceError('BadInput', `${file}: cannot read the user info file`, {
      cause,
      exitCode: 2,
    });
  }
  try {
    return parseUserInfo(text);
  } catch (cause) {
    throw new SluiceError('BadInput', `${file}: not valid YAML`, { cause, exitCode: 2 });
  }
}

/** Loads, compiles and evaluates (no printing): the results and the exit code they mean. */
export async function runApply(
  policyPaths: readonly string[],
  resourcePaths: readonly string[],
  o: Pick<ApplyOptions, 'auditFail' | 'operation' | 'userinfo'>,
): Promise<{ results: RuleResult[]; exitCode: number }> {
  if (policyPaths.length === 0) {
    throw new SluiceError('Usage', 'no policies given', {
      hint: 'pass -f POLICY_FILE_OR_DIR',
      exitCode: 2,
    });
  }
  if (resourcePaths.length === 0) {
    throw new SluiceError('Usage', 'no resources given', {
      hint: 'pass -r RESOURCE_FILE_OR_DIR',
      exitCode: 2,
    });
  }
  const policies = compileDocs(await loadDocs(policyPaths));
  if (policies.length === 0) {
    throw new SluiceError('BadInput', `no ClusterPolicy or Policy in ${policyPaths.join(', ')}`, {
      exitCode: 2,
    });
  }
  const resources = (await loadDocs(resourcePaths)).filter((d) => !isPolicyObject(d.object));
  const req: RequestContext = { operation: o.operation, ...(await readUserInfo(o.userinfo)) };
  const results = resources.flatMap((d) => evaluate(policies, d.object, req));
  const s = summarise(results);
  const failed = s.enforceFail > 0 || s.error > 0 || (o.auditFail === true && s.auditFail > 0);
  return { results, exitCode: failed ? 1 : 0 };
}

async function apply(positional: string[], o: ApplyOptions): Promise<void> {
  const { results, exitCode } = await runApply(
    [...positional, ...(o.policy ?? [])],
    o.resource ?? [],
    o,
  );
  if (o.policyReport === true) {
    const reports = policyReports(results, { auditWarn: o.auditWarn === true });
    printData(
      o.output === 'table' ? 'yaml' : o.output,
      reports.length === 1 ? reports[0] : { apiVersion: 'v1', kind: 'List', items: reports },
      () => '',
    );
  } else {
    printData(o.output, { results, summary: summarise(results) }, () =>
      formatApply(results, o.showSkipped === true),
    );
  }
  if (exitCode !== 0) process.exitCode = exitCode;
}

export function applyCommand(): Command {
  return new Command('apply')
    .description(
      'evaluate resources against ClusterPolicies/Policies (sluice.dev or kyverno.io), as kyverno apply',
    )
    .argument('[policies...]', 'policy files or folders (same as -f)')
    .option('-f, --policy <paths...>', 'policy files or folders (multi-document YAML)')
    .option('-r, --resource <paths...>', 'resource files or folders to check')
    .addOption(outputOption())
    .option('--policy-report', 'print the results as PolicyReports (wgpolicyk8s.io/v1alpha2)')
    .option('--audit-fail', 'exit 1 on Audit failures too (by default they are shown, exit 0)')
    .option('--audit-warn', 'in --policy-report, write Audit failures as warn')
    .option('--show-skipped', 'also list the rules that did not match a resource')
    .option(
      '-u, --userinfo <file>',
      'who asks (Kyverno RequestInfo YAML: userInfo.username/groups, roles, clusterRoles), for subjects/roles in match and exclude',
    )
    .addOption(
      new Option('--operation <op>', 'the admission operation to evaluate as')
        .choices(['CREATE', 'UPDATE', 'DELETE', 'CONNECT'])
        .default('CREATE'),
    )
    .addHelpText(
      'after',
      `
Exit status: 0 no Enforce failure, 1 an Enforce failure or an error (Audit too with
--audit-fail), 2 a bad policy or resource file (the file is named).

Examples:
  sluice policy apply -f policies/ -r k8s/
  sluice policy apply policies/disallow-latest-tag/policy.yaml -r deploy.yaml -o json
  sluice policy apply -f policies/ -r k8s/ --policy-report --audit-warn`,
    )
    .action(apply);
}
