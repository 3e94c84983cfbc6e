/**
 * Comment-preserving YAML edits that put an image into manifests kept in Git: the shared code of
 * `sluice set-image`, image update automation and promotion. Pure functions of text to text.
 *
 * - `setKustomizeImages(text, [{ name, ref }])`: a Kustomization's `images:` entry (newName,
 *   newTag, digest), added when missing, with `kustomize edit set image`'s rules.
 * - `setValues(text, [{ key: 'image.tag', value }])`: a Helm values key by dotted path, added
 *   (with its parents) when missing.
 * - `applySetters(text, policies)`: Flux's `# {"$imagepolicy": "ns:policy[:tag|:name|:digest]"}`
 *   markers in any YAML.
 *
 * Each returns `{ text, changes }`: only the values change in the text (comments, quoting, order,
 * flow or block style and blank lines are kept byte for byte), and `changes` says which path went
 * from what to what. Failures are `SetImageError`s naming the file.
 *
 * @example
 * const { text, changes } = setKustomizeImages(src, [
 *   { name: 'web', ref: parseImageRef('localhost:5000/web:3f2a9c1') },
 * ]);
 */
export { SetImageError, type SetImageErrorCode } from './errors.ts';
export { formatImageRef, parseImageRef, validName, type ImageRef } from './imageref.ts';
export { formatKeyPath, parseKeyPath, type PathSegment } from './keypath.ts';
export { setKustomizeImages, type KustomizeImageEdit } from './kustomize.ts';
export { setValues } from './helm.ts';
export {
  applySetters,
  markerValue,
  parseMarker,
  type PolicyImage,
  type SetterField,
  type SetterMarker,
} from './setters.ts';
export type { EditResult, ObjectId, YamlChange } from './result.ts';
