/**
 * `sluice policy test DIR...`: finds Kyverno's `kyverno-test.yaml` files under the folders,
 * runs each test's resources through its policies and compares the results with the expected
 * ones. Prints a table per test and a summary; exit 1 on any mismatch, 2 on a bad test file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { isPolicyObject } from '../../policy/compile.ts';
import { evaluate } from '../../policy/evaluate.ts';
import { check, parseTestFile, parseUserInfo, type Check } from '../../policy/kyverno-test.ts';
import { compileDocs, loadDocs } from '../../policy/load.ts';
import type { RequestContext } from '../../policy/types.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { formatChecks } from './render.ts';

export interface TestOptions {
  fileName: string;
  output: OutputFormat;
  failOnly?: boolean;
}

export interface TestRun {
  name: string;
  file: string;
  notes: string[];
  checks: Check[];
}

/** The test files under the given folders (or the files themselves), sorted. */
export async function findTests(paths: readonly string[], fileName: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch((cause: unknown) => {
      throw new SluiceError('NotFound', `${p}: no such file or folder`, { cause, exitCode: 2 });
    });
    if (!info.isDirectory()) {
      out.push(p);
      continue;
    }
    const entries = await readdir(p, { withFileTypes: true, recursive: true });
    out.push(
      ...entries
        .filter((e) => e.isFile() && e.name === fileName)
        .map((e) => join(e.parentPath, e.name)),
    );
  }
  if (out.length === 0) {
    throw new SluiceError('NotFound', `no ${fileName} under ${paths.join(', ')}`, {
      hint: 'a test folder holds kyverno-test.yaml next to its policies and resources',
      exitCode: 2,
    });
  }
  return out.sort();
}

/** Runs one kyverno-test.yaml. */
export async function runTestFile(file: string): Promise<TestRun> {
  const test = parseTestFile(await readFile(file, 'utf8'), file);
  const dir = dirname(file);
  const at = (p: string): string => resolve(dir, p);
  const notes: string[] = [];
  const req: RequestContext = { operation: 'CREATE' };
  if (test.userinfo !== undefined) {
    const info = parseUserInfo(await readFile(at(test.userinfo), 'utf8'));
    Object.assign(req, info);
  }
  if (test.variables !== undefined)
    notes.push(`variables file ${test.variables} is not supported yet; ignored`);
  const policies = compileDocs(await loadDocs(test.policies.map(at)));
  const resources = (await loadDocs(test.resources.map(at))).filter(
    (d) => !isPolicyObject(d.object),
  );
  const results = resources.flatMap((d) => evaluate(policies, d.object, req));
  return { name: test.name, file, notes, checks: check(test.expectations, results) };
}

async function testCommandAction(dirs: string[], o: TestOptions): Promise<void> {
  const runs: TestRun[] = [];
  for (const file of await findTests(dirs, o.fileName)) runs.push(await runTestFile(file));
  const checks = runs.flatMap((r) => r.checks);
  const failed = checks.filter((c) => !c.ok).length;
  const summary = {
    tests: runs.length,
    checks: checks.length,
    passed: checks.length - failed,
    failed,
  };
  printData(o.output, { runs, summary }, () => {
    const parts = runs.map((r) => {
      const shown = o.failOnly === true ? r.checks.filter((c) => !c.ok) : r.checks;
      const notes = r.notes.map((n) => `  note: ${n}\n`).join('');
      return formatChecks(`Test ${r.name} (${relative(process.cwd(), r.file)})`, shown) + notes;
    });
    const verdict = failed === 0 ? 'PASSED' : 'FAILED';
    return `${parts.join('\n')}\n${verdict}: ${summary.tests} tests, ${summary.passed}/${summary.checks} results as expected, ${failed} mismatched\n`;
  });
  if (failed > 0) process.exitCode = 1;
}

export function testCommand(): Command {
  return new Command('test')
    .description(
      'run Kyverno-format tests (kyverno-test.yaml) found under the folders, as kyverno test',
    )
    .argument('<dirs...>', 'folders to search (recursively) or test files')
    .option('--file-name <name>', 'the test file name to look for', 'kyverno-test.yaml')
    .option('--fail-only', 'list only the results that did not match')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Exit status: 0 all results as expected, 1 a mismatch, 2 a bad test, policy or resource file.

Examples:
  sluice policy test policies/
  sluice policy test policies/disallow-latest-tag --fail-only -o json`,
    )
    .action(testCommandAction);
}
