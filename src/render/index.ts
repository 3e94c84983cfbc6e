/**
 * Rendering: turns one app's path of a checked-out revision into Kubernetes objects, with the
 * real tools, as Argo CD would.
 *
 * - **directory** (directory.ts): `*.yaml`, `*.yml`, `*.json` files, sorted by path; `recurse`,
 *   `include` and `exclude` as in Argo CD (glob.ts); Lists flattened (parse.ts).
 * - **kustomize** (kustomize.ts): `kustomize build`; spec.source.kustomize overrides go into a
 *   temporary overlay outside the checkout that refers to the app directory by relative path.
 * - **helm** (helm.ts): `helm template` of a chart in the repository, offline, with an isolated
 *   Helm home; test hooks dropped, other hooks kept for the sync engine.
 *
 * The tool is what spec.source names, else Chart.yaml -> helm, a kustomization file ->
 * kustomize, else directory (detect.ts). The checkout (`root`) is shared by many apps and is
 * never written to. Every failure is a RenderError (errors.ts) whose message names the file,
 * document and line, or quotes the tool, and whose hint says what to do. Results can be cached
 * by commit with RenderCache and renderCacheKey (cache.ts).
 *
 * ```ts
 * const cache = new RenderCache();
 * const req = { root: checkout, path: 'apps/web', source: app.spec.source, appName: 'web', namespace: 'shop' };
 * const { tool, objects } = await cache.get(renderCacheKey(sha, req), () => render(req));
 * ```
 */
import { renderDirectory } from './directory.ts';
import { toolFor } from './detect.ts';
import { renderHelm } from './helm.ts';
import { renderKustomize } from './kustomize.ts';
import { locateApp } from './locate.ts';
import type { RenderOptions, RenderRequest, RenderResult, RenderTool } from './types.ts';

export { RenderCache, renderCacheKey } from './cache.ts';
export { RenderError, type RenderErrorCode } from './errors.ts';
export type { RenderOptions, RenderRequest, RenderResult, RenderTool } from './types.ts';

/** How long a render may take, tool run included, unless the caller says otherwise. */
export const DEFAULT_RENDER_TIMEOUT_MS = 90_000;

/**
 * Which tool renders the app: explicit spec.source.helm / kustomize / directory wins (in that
 * order), else Chart.yaml -> helm, kustomization.yaml|.yml|Kustomization -> kustomize, else
 * directory. Fails with PathNotFound when the app path does not exist.
 *
 * @example await detectTool({ root, path: 'charts/web', source, appName: 'web', namespace: 'shop' }) // 'helm'
 */
export async function detectTool(req: RenderRequest): Promise<RenderTool> {
  const ctx = await locateApp(req, Date.now() + DEFAULT_RENDER_TIMEOUT_MS);
  return toolFor(req.source, ctx.appDir);
}

/**
 * Renders one app. Rejects with a RenderError (PathNotFound, MalformedManifest, KustomizeFailed,
 * HelmFailed, ChartNotFound, ValuesFileNotFound, ToolMissing, RenderTimeout). Zero objects is a
 * valid result; callers must not prune on it.
 *
 * @example
 * const { tool, objects } = await render(
 *   { root: '/var/cache/sluice/checkouts/3f2a9c1', path: 'apps/web', source, appName: 'web', namespace: 'shop' },
 *   { timeoutMs: 60_000 },
 * );
 */
export async function render(req: RenderRequest, opts: RenderOptions = {}): Promise<RenderResult> {
  const ctx = await locateApp(req, Date.now() + (opts.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS));
  const tool = await toolFor(req.source, ctx.appDir);
  switch (tool) {
    case 'helm':
      return { tool, objects: await renderHelm(ctx, req) };
    case 'kustomize':
      return { tool, objects: await renderKustomize(ctx, req.source.kustomize) };
    case 'directory':
      return { tool, objects: await renderDirectory(ctx, req.source.directory) };
  }
}
