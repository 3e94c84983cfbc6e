/**
 * `sluice set-image`, the pure part: from the flags, what to edit (a Kustomization's images or
 * Helm values keys), and the data its commit message template sees.
 */
import { InvalidArgumentError } from 'commander';
import { commitTimeArg } from '../../delivery/dora/trailers.ts';
import type { EditOutcome } from '../../delivery/gitwrite/index.ts';
import { formatImageRef, parseImageRef, type ImageRef } from '../../delivery/setimage/index.ts';
import type { KustomizeImageEdit } from '../../delivery/setimage/index.ts';
import { usageError } from '../app/flags.ts';

export interface SetImageFlags {
  repo: string;
  branch: string;
  pushBranch?: string;
  path?: string;
  image: string[];
  valuesFile?: string;
  key?: string;
  digestKey?: string;
  value?: string;
  message?: string;
  sourceCommit?: string;
  /** RFC 3339 (see `sourceCommitTimeArg`). */
  sourceCommitTime?: string;
  run?: string;
}

/**
 * `--source-commit-time`: RFC 3339, or seconds since the epoch (git's `%ct`, the git-clone
 * Task's `committer-date`), as RFC 3339; anything else is bad usage.
 */
export function sourceCommitTimeArg(value: string): string {
  const t = commitTimeArg(value);
  if (t === undefined)
    throw new InvalidArgumentError(
      'must be an RFC 3339 time with a zone (2026-12-01T09:40:00Z) or seconds since the epoch',
    );
  return t;
}

export type SetImageTarget =
  | { kind: 'kustomize'; path: string; images: KustomizeImageEdit[] }
  | { kind: 'values'; file: string; values: Array<{ key: string; value: string }>; ref?: ImageRef };

/** `[name=]registry/app:tag[@digest]`: the entry's name (default: the reference's) and the ref. */
export function parseImageFlag(text: string): KustomizeImageEdit {
  const eq = text.indexOf('=');
  const ref = parseImageRef(eq >= 0 ? text.slice(eq + 1) : text);
  const name = eq >= 0 ? text.slice(0, eq).trim() : ref.name;
  if (name === '') throw usageError(`--image "${text}": the name before = is empty`);
  return { name, ref };
}

function valuesTarget(f: SetImageFlags, file: string): SetImageTarget {
  if (f.key === undefined) throw usageError('--values-file needs --key (e.g. --key image.tag)');
  if (f.image.length > 1) throw usageError('--values-file takes one --image');
  const ref = f.image[0] !== undefined ? parseImageRef(f.image[0]) : undefined;
  const value = f.value ?? ref?.tag ?? ref?.digest;
  if (value === undefined)
    throw usageError(
      '--values-file needs --value, or an --image with a tag',
      'e.g. --image localhost:5000/web:3f2a9c1',
    );
  const values = [{ key: f.key, value }];
  if (f.digestKey !== undefined) {
    if (ref?.digest === undefined) throw usageError('--digest-key needs an --image with @sha256:…');
    values.push({ key: f.digestKey, value: ref.digest });
  }
  return { kind: 'values', file, values, ...(ref ? { ref } : {}) };
}

/** What the flags ask to edit; usage errors (exit 2) for combinations that make no sense. */
export function planTarget(f: SetImageFlags): SetImageTarget {
  if (f.path !== undefined && f.valuesFile !== undefined)
    throw usageError('give --path (a Kustomization) or --values-file (Helm values), not both');
  if (f.valuesFile !== undefined) return valuesTarget(f, f.valuesFile);
  if (f.path === undefined)
    throw usageError('say where: --path DIR (a Kustomization) or --values-file FILE --key KEY');
  if (f.key !== undefined || f.value !== undefined || f.digestKey !== undefined)
    throw usageError('--key, --value and --digest-key go with --values-file');
  if (f.image.length === 0) throw usageError('--path needs at least one --image [name=]ref');
  return { kind: 'kustomize', path: f.path, images: f.image.map(parseImageFlag) };
}

/** The images a target writes, as references (for messages). */
export function targetImages(t: SetImageTarget): string[] {
  if (t.kind === 'kustomize') return t.images.map((i) => formatImageRef(i.ref));
  return t.ref ? [formatImageRef(t.ref)] : t.values.map((v) => `${v.key}=${v.value}`);
}

/** Where a target writes: the directory or the file. */
export const targetPlace = (t: SetImageTarget): string =>
  t.kind === 'kustomize' ? t.path : t.file;

/**
 * The fields a `--message` template sees: `.Images` (list), `.Image` (the first), `.Target`,
 * `.SourceCommit`, `.SourceCommitTime`, `.Run`, `.Repo`, `.Branch`, and `.Changes` (each with
 * `.File`, `.Path`, `.OldValue`, `.NewValue`).
 */
export function messageData(
  f: SetImageFlags,
  t: SetImageTarget,
  edit: EditOutcome,
): Record<string, unknown> {
  const images = targetImages(t);
  return {
    Images: images,
    Image: images[0] ?? '',
    Target: targetPlace(t),
    SourceCommit: f.sourceCommit ?? '',
    SourceCommitTime: f.sourceCommitTime ?? '',
    Run: f.run ?? '',
    Repo: f.repo,
    Branch: f.pushBranch ?? f.branch,
    Changes: edit.files.flatMap((file) =>
      file.changes.map((c) => ({
        File: file.file,
        Path: c.path,
        OldValue: c.oldValue ?? '',
        NewValue: c.newValue ?? '',
      })),
    ),
  };
}

/**
 * The message when no --message is given. Its `Source commit:` and `Source commit time:` lines
 * are the trailers DORA measures lead time from (src/delivery/dora/trailers.ts).
 */
export const DEFAULT_MESSAGE = `set-image: {{ .Target }} -> {{ range $i, $img := .Images }}{{ if $i }}, {{ end }}{{ $img }}{{ end }}
{{ if .SourceCommit }}
Source commit: {{ .SourceCommit }}{{ end }}{{ if .SourceCommitTime }}
Source commit time: {{ .SourceCommitTime }}{{ end }}{{ if .Run }}
Run: {{ .Run }}{{ end }}

{{ range .Changes }}{{ .File }}: {{ .Path }}: {{ if .OldValue }}{{ .OldValue }}{{ else }}(none){{ end }} -> {{ if .NewValue }}{{ .NewValue }}{{ else }}(removed){{ end }}
{{ end }}`;
