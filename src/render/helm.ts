/**
 * `helm template` of a chart that lives in the repository, with the cached helm binary.
 *
 * Flags follow Argo CD: release name (spec.source.helm.releaseName, else the app's name),
 * `--namespace`, `--include-crds` unless skipCrds, `-f` for every valueFile (relative to the
 * chart directory; a leading `/` means the repository root) then `-f` for the inline values, then
 * `--set` / `--set-string` per parameter, `--kube-version`, `--api-versions`. Helm runs with its
 * cache, config and data homes (and HOME, KUBECONFIG) in a temporary directory, so nothing of
 * the host user's Helm setup (repositories, plugins, registry logins) leaks into a render.
 *
 * Dependencies must be vendored in `charts/`: there is no network. Helm test hooks are dropped;
 * every other hook (and its weight and delete policy annotations) is kept for the sync engine.
 * metadata.namespace is left as the chart wrote it: the caller defaults it using discovery.
 */
import { access, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import type { HelmSource } from '../api/application.ts';
import { isRecord, type KubeObject } from '../kube/types.ts';
import { indent, quoteStderr, RenderError } from './errors.ts';
import { isInside, relToRoot } from './locate.ts';
import { parseYaml } from './parse.ts';
import { requireBinary, runTool, withTempDir } from './tool.ts';
import type { RenderContext, RenderRequest } from './types.ts';

const TEST_HOOKS = new Set(['test', 'test-success', 'test-failure']);

/** True for objects whose `helm.sh/hook` names only test hooks (`helm test` pods). */
export function isTestHook(obj: KubeObject): boolean {
  const hook: unknown = obj.metadata.annotations?.['helm.sh/hook'];
  if (typeof hook !== 'string') return false;
  const hooks = hook
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  return hooks.length > 0 && hooks.every((h) => TEST_HOOKS.has(h));
}

/**
 * A `--set` value with its commas escaped (Helm splits on unescaped commas), except a `{a,b}`
 * list, as Argo CD does.
 *
 * @example escapeSetValue('a,b') // 'a\\,b'
 */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  return value.replace(/(?<!\\),/g, '\\,');
}

export interface HelmTemplateInput {
  release: string;
  chartDir: string;
  namespace: string;
  helm: HelmSource;
  /** Absolute paths of the value files, in order. */
  valueFiles: readonly string[];
  /** The file holding spec.source.helm.values, when there are any. */
  inlineValuesFile?: string;
  kubeVersion?: string;
  apiVersions?: readonly string[];
}

/** The arguments of `helm template` for one render. */
export function helmTemplateArgs(input: HelmTemplateInput): string[] {
  const args = ['template', input.release, input.chartDir];
  if (input.namespace) args.push('--namespace', input.namespace);
  if (input.helm.skipCrds !== true) args.push('--include-crds');
  for (const f of input.valueFiles) args.push('-f', f);
  if (input.inlineValuesFile !== undefined) args.push('-f', input.inlineValuesFile);
  for (const p of input.helm.parameters ?? []) {
    args.push(
      p.forceString === true ? '--set-string' : '--set',
      `${p.name}=${escapeSetValue(p.value)}`,
    );
  }
  if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
  for (const v of input.apiVersions ?? []) args.push('--api-versions', v);
  return args;
}

/** The environment helm runs in: the host's, minus every HELM_* and KUBECONFIG, homed in `home`. */
export function helmEnv(home: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (!k.startsWith('HELM_') && k !== 'KUBECONFIG') env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function valuesError(ctx: RenderContext, file: string, why: string): RenderError {
  return new RenderError('ValuesFileNotFound', `helm values file "${file}" ${why}`, {
    file,
    hint: `spec.source.helm.valueFiles are relative to the chart directory (${ctx.appPath}); check the name and that the file is committed at this revision`,
  });
}

/** A value file's real absolute path, checked to exist inside the repository. */
async function resolveValuesFile(ctx: RenderContext, entry: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    throw new RenderError('ValuesFileNotFound', `helm values file "${entry}" is a URL`, {
      hint: 'Sluice renders offline: commit the values file to the repository and list its path',
    });
  }
  const abs = isAbsolute(entry) ? join(ctx.root, entry) : resolve(ctx.appDir, entry);
  const shown = isInside(ctx.root, abs) ? relToRoot(ctx.root, abs) : entry;
  if (!isInside(ctx.root, abs)) throw valuesError(ctx, shown, 'is outside the repository');
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw valuesError(ctx, shown, `does not exist (listed as "${entry}")`);
  }
  if (!isInside(ctx.root, real))
    throw valuesError(ctx, shown, 'is a symlink leading outside the repository');
  if (!(await stat(real)).isFile()) throw valuesError(ctx, shown, 'is not a file');
  return real;
}

/** Dependencies Chart.yaml lists that have neither `charts/<name>/` nor `charts/<name>-*.tgz`. */
export async function missingDependencies(chartDir: string): Promise<string[]> {
  let chart: unknown;
  try {
    chart = parseYamlText(await readFile(join(chartDir, 'Chart.yaml'), 'utf8'));
  } catch {
    return [];
  }
  const deps = isRecord(chart) && Array.isArray(chart['dependencies']) ? chart['dependencies'] : [];
  const vendored = await readdir(join(chartDir, 'charts')).catch(() => [] as string[]);
  const names = deps
    .map((d: unknown) => (isRecord(d) && typeof d['name'] === 'string' ? d['name'] : undefined))
    .filter((n): n is string => n !== undefined);
  return names.filter(
    (n) => !vendored.some((v) => v === n || (v.startsWith(`${n}-`) && v.endsWith('.tgz'))),
  );
}

async function failure(
  ctx: RenderContext,
  what: string,
  code: string,
  stderr: string,
  inline: string | undefined,
): Promise<RenderError> {
  const missing = await missingDependencies(ctx.appDir);
  const hint =
    missing.length > 0
      ? `the chart's dependencies ${missing.join(', ')} are not vendored and Sluice renders offline: run \`helm dependency build ${ctx.appPath}\` and commit ${ctx.appPath === '.' ? '' : `${ctx.appPath}/`}charts/`
      : `fix the chart or its values in Git; \`helm template\` of ${ctx.appPath} with the same values shows the same error`;
  const rootPrefix = ctx.root.endsWith(sep) ? ctx.root : ctx.root + sep;
  // Helm's advice to use --debug is for its own CLI, not for a Sluice user.
  const useful = stderr.replace(/^Use --debug flag.*$/gm, '');
  return new RenderError(
    'HelmFailed',
    `${what} failed (exit ${code}):\n${indent(
      quoteStderr(useful, {
        [rootPrefix]: '',
        ...(inline === undefined ? {} : { [inline]: 'spec.source.helm.values' }),
      }),
    )}`,
    { file: ctx.appPath, hint },
  );
}

/** `web/templates/x.yaml` (chart name first) as a path from the repository root. */
function sourceToFile(ctx: RenderContext): (source: string) => string {
  return (source) => {
    const inChart = source.slice(source.indexOf('/') + 1);
    return ctx.appPath === '.' ? inChart : `${ctx.appPath}/${inChart}`;
  };
}

/**
 * Renders a Helm chart.
 *
 * @example await renderHelm(ctx, { ...req, source: { repoURL, helm: { valueFiles: ['values-prod.yaml'] } } })
 */
export async function renderHelm(ctx: RenderContext, req: RenderRequest): Promise<KubeObject[]> {
  if (!(await exists(join(ctx.appDir, 'Chart.yaml')))) {
    throw new RenderError(
      'ChartNotFound',
      `${ctx.appPath} has no Chart.yaml: it is not a Helm chart`,
      {
        file: ctx.appPath,
        hint: 'point spec.source.path at the chart directory (the one holding Chart.yaml), or remove spec.source.helm to render plain manifests',
      },
    );
  }
  const helm = req.source.helm ?? {};
  const valueFiles: string[] = [];
  for (const f of helm.valueFiles ?? []) valueFiles.push(await resolveValuesFile(ctx, f));
  const binary = await requireBinary('helm');
  const what = `helm template ${ctx.appPath}`;
  return withTempDir('helm', async (home) => {
    const inline = helm.values?.trim() ? join(home, 'inline-values.yaml') : undefined;
    if (inline !== undefined) await writeFile(inline, helm.values ?? '');
    const args = helmTemplateArgs({
      release: helm.releaseName || req.appName,
      chartDir: ctx.appDir,
      namespace: req.namespace,
      helm,
      valueFiles,
      ...(inline === undefined ? {} : { inlineValuesFile: inline }),
      ...(req.kubeVersion === undefined ? {} : { kubeVersion: req.kubeVersion }),
      ...(req.apiVersions === undefined ? {} : { apiVersions: req.apiVersions }),
    });
    const r = await runTool(binary, args, {
      what,
      deadline: ctx.deadline,
      env: helmEnv(home),
      cwd: home,
      budget: ctx.budget,
      file: ctx.appPath,
    });
    if (r.code !== 0) throw await failure(ctx, what, String(r.code ?? r.signal), r.stderr, inline);
    const objects = parseYaml(r.stdout, {
      origin: `${what} output`,
      sourceToFile: sourceToFile(ctx),
      hint: 'fix the chart template in Git so that it renders valid Kubernetes objects',
      budget: ctx.budget,
    });
    return objects.filter((o) => !isTestHook(o));
  });
}
