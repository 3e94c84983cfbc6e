/**
 * `kustomize build` of the app directory, with the cached kustomize binary.
 *
 * Overrides from `spec.source.kustomize` (images, namePrefix, nameSuffix, commonLabels,
 * commonAnnotations) never touch the checkout: they go into a temporary overlay under
 * os.tmpdir() whose kustomization.yaml lists the app directory as its one resource, and the
 * overlay is built instead. kustomize refuses absolute paths in `resources:` ("new root cannot
 * be absolute"), so the overlay names the app directory by a relative path (`../../work/...`,
 * computed between real paths). Directories may sit anywhere, so the default load restrictor
 * (LoadRestrictionsRootOnly) stays on and no copy of the tree is needed.
 *
 * Layering, compared with Argo CD's `kustomize edit set ...` in the app's own kustomization:
 * labels, annotations and new images behave the same; namePrefix/nameSuffix are added on top of
 * the app's own (Argo CD replaces them); an image the app's kustomization already renames
 * (`name: nginx, newName: reg/nginx`) is overridden under both names, so `nginx=...` still wins.
 */
import { access, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import type { KustomizeSource } from '../api/application.ts';
import { isRecord, type KubeObject } from '../kube/types.ts';
import { indent, quoteStderr, RenderError } from './errors.ts';
import { parseYaml } from './parse.ts';
import { requireBinary, runTool, withTempDir } from './tool.ts';
import type { RenderContext } from './types.ts';

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** One entry of a kustomization's `images:`. */
export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const IMAGE_FORMATS =
  'use `name=newName:tag`, `name=newName@digest`, `name=newName`, `name:tag` or `name@digest`';
const TAG = /^(.+):([a-zA-Z0-9_][a-zA-Z0-9._-]*)$/;

function badImage(value: string, why: string): RenderError {
  return new RenderError(
    'KustomizeFailed',
    `invalid image override "${value}" in spec.source.kustomize.images: ${why}`,
    { hint: IMAGE_FORMATS },
  );
}

/** `newName:tag`, `newName@digest`, `newName:tag@digest` or `newName` into its parts. */
function splitRef(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const m = TAG.exec(rest);
  const name = m?.[1] ?? rest;
  return {
    name,
    ...(m?.[2] === undefined ? {} : { tag: m[2] }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/**
 * Parses an image override written as for `kustomize edit set image`.
 *
 * @example parseImageOverride('nginx=reg.example.com/nginx:1.27')
 * // { name: 'nginx', newName: 'reg.example.com/nginx', newTag: '1.27' }
 */
export function parseImageOverride(value: string): KustomizeImage {
  const s = value.trim();
  const eq = s.indexOf('=');
  if (eq !== s.lastIndexOf('=')) throw badImage(value, 'more than one `=`');
  const name = eq >= 0 ? s.slice(0, eq) : undefined;
  const ref = splitRef(eq >= 0 ? s.slice(eq + 1) : s);
  if (ref.digest === '') throw badImage(value, 'empty digest after `@`');
  if (name === undefined) {
    // `name:tag` or `name@digest`: only the version changes.
    if (ref.tag === undefined && ref.digest === undefined)
      throw badImage(value, 'no `=newName`, `:tag` or `@digest` to set');
    if (ref.name === '') throw badImage(value, 'no image name');
    return { name: ref.name, ...optional('newTag', ref.tag), ...optional('digest', ref.digest) };
  }
  if (name === '' || ref.name === '') throw badImage(value, 'empty image name around `=`');
  return {
    name,
    ...(ref.name === '*' ? {} : { newName: ref.name }), // `*` keeps the name, as kustomize does
    ...optional('newTag', ref.tag),
    ...optional('digest', ref.digest),
  };
}

function optional<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return (v === undefined ? {} : { [key]: v }) as Partial<Record<K, string>>;
}

/** True when the source asks for anything the app's own kustomization does not say. */
export function hasOverrides(k: KustomizeSource | undefined): boolean {
  if (!k) return false;
  return (
    (k.images?.length ?? 0) > 0 ||
    Boolean(k.namePrefix) ||
    Boolean(k.nameSuffix) ||
    Object.keys(k.commonLabels ?? {}).length > 0 ||
    Object.keys(k.commonAnnotations ?? {}).length > 0
  );
}

/**
 * The overrides' image entries, plus, for each image the app's kustomization already renames,
 * the same override under the new name (the base has renamed it before the overlay sees it).
 */
export function overlayImages(
  overrides: readonly string[],
  appImages: readonly KustomizeImage[],
): KustomizeImage[] {
  const parsed = overrides.map(parseImageOverride);
  const names = new Set(parsed.map((i) => i.name));
  const aliases: KustomizeImage[] = [];
  for (const img of parsed) {
    const renamed = appImages.find((a) => a.name === img.name)?.newName;
    if (renamed !== undefined && renamed !== img.name && !names.has(renamed)) {
      aliases.push({ ...img, name: renamed });
      names.add(renamed);
    }
  }
  return [...parsed, ...aliases];
}

/** The overlay's kustomization: the app directory as its resource, plus the overrides. */
export function overlayKustomization(
  appRef: string,
  k: KustomizeSource,
  appImages: readonly KustomizeImage[] = [],
): Record<string, unknown> {
  const labels = k.commonLabels ?? {};
  const annotations = k.commonAnnotations ?? {};
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [appRef],
    ...(k.namePrefix ? { namePrefix: k.namePrefix } : {}),
    ...(k.nameSuffix ? { nameSuffix: k.nameSuffix } : {}),
    // `labels` with includeSelectors is what `commonLabels` did, minus its deprecation warning.
    ...(Object.keys(labels).length > 0
      ? { labels: [{ pairs: labels, includeSelectors: true }] }
      : {}),
    ...(Object.keys(annotations).length > 0 ? { commonAnnotations: annotations } : {}),
    ...(k.images?.length ? { images: overlayImages(k.images, appImages) } : {}),
  };
}

/** A kustomization file larger than this is left to kustomize (which reports it). */
const MAX_KUSTOMIZATION_BYTES = 1024 * 1024;

/** The `images:` of the app's own kustomization file, or [] when it has none or is unreadable. */
async function appImages(appDir: string): Promise<KustomizeImage[]> {
  for (const f of KUSTOMIZATION_FILES) {
    const p = join(appDir, f);
    try {
      await access(p);
    } catch {
      continue;
    }
    try {
      if ((await stat(p)).size > MAX_KUSTOMIZATION_BYTES) return [];
      const doc: unknown = parseYamlText(await readFile(p, 'utf8'));
      const images = isRecord(doc) && Array.isArray(doc['images']) ? doc['images'] : [];
      return images.filter(
        (i): i is KustomizeImage => isRecord(i) && typeof i['name'] === 'string',
      );
    } catch {
      return []; // kustomize itself will report what is wrong with the file
    }
  }
  return [];
}

async function build(
  ctx: RenderContext,
  dir: string,
  replacements: Record<string, string>,
): Promise<KubeObject[]> {
  const kustomize = await requireBinary('kustomize');
  const what = `kustomize build ${ctx.appPath}`;
  const r = await runTool(kustomize, ['build', dir], {
    what,
    deadline: ctx.deadline,
    budget: ctx.budget,
    file: ctx.appPath,
  });
  if (r.code !== 0) {
    throw new RenderError(
      'KustomizeFailed',
      `${what} failed (exit ${r.code ?? r.signal}):\n${indent(quoteStderr(r.stderr, replacements))}`,
      {
        file: ctx.appPath,
        hint: `fix the kustomization in Git; \`kustomize build ${ctx.appPath}\` in a checkout shows the same error`,
      },
    );
  }
  return parseYaml(r.stdout, { origin: `${what} output`, budget: ctx.budget });
}

/**
 * Renders a Kustomize app.
 *
 * @example await renderKustomize(ctx, { images: ['web=reg.example.com/web:3f2a9c1'] })
 */
export async function renderKustomize(
  ctx: RenderContext,
  k: KustomizeSource | undefined,
): Promise<KubeObject[]> {
  const rootPrefix = ctx.root.endsWith(sep) ? ctx.root : ctx.root + sep;
  if (!k || !hasOverrides(k)) return build(ctx, ctx.appDir, { [rootPrefix]: '' });
  const images = await appImages(ctx.appDir);
  return withTempDir('kustomize', async (tmp) => {
    const overlay = await realpath(tmp);
    const appRef = relative(overlay, ctx.appDir).split(sep).join('/');
    const kustomization = overlayKustomization(appRef, k, images);
    // JSON is YAML, and every string in it is quoted: `y` stays a string for kustomize's YAML 1.1.
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      `${JSON.stringify(kustomization, null, 2)}\n`,
    );
    return build(ctx, overlay, {
      [rootPrefix]: '',
      [appRef]: ctx.appPath,
      [overlay]: '(sluice overrides)',
    });
  });
}
