/**
 * Ready-made edit functions for `writeToGit`, the ones set-image, image automation and promotion
 * share: an image in a Kustomization directory, values in a Helm values file, setter markers in
 * every YAML file under a path.
 *
 * @example
 * await writeToGit({ ...repo, edit: kustomizeImageEdit('envs/dev', [{ name: 'web', ref }]), message });
 */
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  applySetters,
  setKustomizeImages,
  setValues,
  type KustomizeImageEdit,
  type PolicyImage,
} from '../setimage/index.ts';
import { editYamlFiles, FileEditError, insideTree, yamlFilesUnder } from './files.ts';
import type { EditOutcome } from './write.ts';

/** The names kustomize accepts for a Kustomization file, in its order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * The Kustomization file of directory `path` in the tree `dir` (relative to `dir`); `path` may
 * also name the file itself (`envs/dev/kustomization.yaml`).
 */
export async function kustomizationFile(dir: string, path: string): Promise<string> {
  if (KUSTOMIZATION_FILES.includes(posix.basename(path))) {
    const st = await stat(await insideTree(dir, path)).catch(() => undefined);
    if (st?.isFile()) return path;
  }
  for (const name of KUSTOMIZATION_FILES) {
    const file = posix.join(path, name);
    const st = await stat(await insideTree(dir, file)).catch(() => undefined);
    if (st?.isFile()) return file;
  }
  throw new FileEditError(
    posix.join(path, KUSTOMIZATION_FILES[0] ?? ''),
    `no Kustomization in ${path} (looked for ${KUSTOMIZATION_FILES.join(', ')})`,
  );
}

/** Sets images in the Kustomization of directory `path`. */
export function kustomizeImageEdit(
  path: string,
  images: readonly KustomizeImageEdit[],
): (dir: string) => Promise<EditOutcome> {
  return async (dir) => {
    const file = await kustomizationFile(dir, path);
    return editYamlFiles(dir, [{ file, edit: (text, f) => setKustomizeImages(text, images, f) }]);
  };
}

/** Sets keys (dotted paths) in the values file `file`. */
export function valuesEdit(
  file: string,
  values: ReadonlyArray<{ key: string; value: string }>,
): (dir: string) => Promise<EditOutcome> {
  return (dir) => editYamlFiles(dir, [{ file, edit: (text, f) => setValues(text, values, f) }]);
}

/**
 * Brings every setter marker in the YAML files under `path` (a directory or a file) to the
 * images of `policies` (keyed `namespace:name`).
 */
export function settersEdit(
  path: string,
  policies: ReadonlyMap<string, PolicyImage>,
): (dir: string) => Promise<EditOutcome> {
  return async (dir) => {
    const files = await yamlFilesUnder(dir, path);
    return editYamlFiles(
      dir,
      files.map((file) => ({ file, edit: (text, f) => applySetters(text, policies, f) })),
    );
  };
}
