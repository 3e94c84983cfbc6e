/**
 * Writing to Git: the shared code of `sluice set-image`, image update automation and promotion.
 *
 * - `writeToGit(options)`: fetch a branch (shallow), run an edit in the working tree, commit
 *   (author and message from the caller; no commit when nothing changed), push without force;
 *   on a non-fast-forward, fetch the new head, run the edit again and push again, with backoff.
 * - Edit functions for it: `kustomizeImageEdit(dir, images)`, `valuesEdit(file, values)`,
 *   `settersEdit(path, policies)` (the edits of src/delivery/setimage applied to files of the
 *   working tree), or `editYamlFiles(dir, specs)` for any text -> text edit.
 * - `renderTemplate(template, data)`: commit messages from Go-style templates.
 *
 * Credentials are `RepoCredentials` (src/source): never in a URL, an argument or a message.
 * Failures are `GitWriteError`s naming the repository, the branch and, for an edit, the file.
 */
export { GitWriteError, type GitWriteErrorCode } from './errors.ts';
export {
  kustomizationFile,
  kustomizeImageEdit,
  KUSTOMIZATION_FILES,
  settersEdit,
  valuesEdit,
} from './edits.ts';
export { editYamlFiles, FileEditError, yamlFilesUnder, type FileEditSpec } from './files.ts';
export { pushArgs, readPush, type PushOutcome } from './push.ts';
export { renderTemplate, TemplateError } from './template.ts';
export type { Author } from './workspace.ts';
export {
  writeToGit,
  type EditOutcome,
  type FileEdit,
  type GitWriteOptions,
  type GitWriteResult,
} from './write.ts';
