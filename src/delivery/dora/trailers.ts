/**
 * Source-change trailers: the lines of a deploy-repository commit message that name the change
 * it carries — the commit of the application's source repository the image was built from, and
 * when that commit was made. `sluice set-image` writes them (`--source-commit`,
 * `--source-commit-time`), the Promotion controller copies them into its commits, and the DORA
 * recorder measures lead time from them. Pure; the one parser all three use.
 *
 *     Source commit: f3a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8
 *     Source commit time: 2026-12-01T09:40:00Z
 *
 * The git-trailer spelling (`Source-Commit:`, `Source-Commit-Time:`) is read too, in any case.
 * Other lines are ignored; the first valid line of each kind counts, and a value that is no SHA
 * (7 to 64 hex digits) or no RFC 3339 time (with a zone) is ignored, never guessed at.
 *
 * @example
 * sourceTrailers('set-image: envs/dev -> web@sha256:…\n\nSource commit: 3f2a9c1\nSource commit time: 2026-12-01T09:40:00Z\n');
 * // { commit: '3f2a9c1', time: '2026-12-01T09:40:00Z' }
 */

/** The source change a commit message names; either field may be missing. */
export interface SourceChange {
  /** The source commit's SHA (lowercase hex, 7 to 64 digits, as written). */
  commit?: string;
  /** When the source commit was committed: RFC 3339 with a zone, as written. */
  time?: string;
}

const LINE = /^\s*source[ -]commit([ -]time)?\s*:(.*)$/i;
const SHA = /^[0-9a-f]{7,64}$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const EPOCH_SECONDS = /^\d{1,12}$/;

/** `text` as an RFC 3339 time with a zone (T and Z in upper case); undefined when it is none. */
export function rfc3339(text: string): string | undefined {
  const t = text.trim().toUpperCase();
  const m = RFC3339.exec(t);
  if (!m || !Number.isFinite(Date.parse(t))) return undefined;
  // A day the month has (Date.parse takes 2026-02-30 for March 2nd).
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d ? t : undefined;
}

/**
 * A commit time given on the command line: RFC 3339 (git's `%cI`), or seconds since the epoch
 * (git's `%ct`, the catalog git-clone Task's `committer-date` result) turned into UTC RFC 3339.
 */
export function commitTimeArg(text: string): string | undefined {
  const t = text.trim();
  if (EPOCH_SECONDS.test(t))
    return new Date(Number(t) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return rfc3339(t);
}

/** The source trailers of a commit message (an empty object when it names none). */
export function sourceTrailers(message: string): SourceChange {
  const out: SourceChange = {};
  for (const line of message.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (!m) continue;
    const value = (m[2] ?? '').trim();
    if (m[1] !== undefined) {
      const time = rfc3339(value);
      if (time !== undefined && out.time === undefined) out.time = time;
    } else {
      const sha = value.toLowerCase();
      if (SHA.test(sha) && out.commit === undefined) out.commit = sha;
    }
  }
  return out;
}

/** The trailer lines for `c` (`Source commit:`, `Source commit time:`), each ending in \n. */
export function sourceTrailerLines(c: SourceChange): string {
  return (
    (c.commit !== undefined ? `Source commit: ${c.commit}\n` : '') +
    (c.time !== undefined ? `Source commit time: ${c.time}\n` : '')
  );
}
