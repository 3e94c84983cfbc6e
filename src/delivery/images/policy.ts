/**
 * Selecting the latest tag (pure): `filterTags` first (a regular expression, with `extract`
 * choosing what is compared, as Flux), then one policy:
 *
 * - `semver.range`: the highest version in the range (tags that are not versions are ignored);
 * - `alphabetical.order`: asc (default) selects the last in alphabetical order, desc the first;
 * - `numerical.order`: the same with the values read as numbers (others are ignored);
 * - `newestBuild`: the image built last (its config's `created` time, read by the caller).
 *
 * Reasons are data: `InvalidPolicy` (the spec cannot be used; fix it) or `NoMatchingTag` (the
 * tags do not offer one yet; wait).
 */
import type { ImagePolicySpec } from '../../api/image.ts';
import { compareVersions, parseRange, parseVersion, satisfies, type Version } from './semver.ts';

export type PolicyFailure = 'InvalidPolicy' | 'NoMatchingTag';

export type Selection =
  | { ok: true; tag: string; candidates: number }
  | { ok: false; reason: PolicyFailure; message: string };

/** A tag as the policy sees it: the tag, and the value compared (the tag or what was extracted). */
export interface Candidate {
  tag: string;
  value: string;
}

export type PolicyKind = 'semver' | 'alphabetical' | 'numerical' | 'newestBuild';

/** The one policy a spec chooses, or a message saying why it chooses none or several. */
export function policyKind(spec: ImagePolicySpec): { kind: PolicyKind } | { problem: string } {
  const chosen = (['semver', 'alphabetical', 'numerical', 'newestBuild'] as const).filter(
    (k) => spec.policy[k] !== undefined,
  );
  if (chosen.length === 1 && chosen[0]) return { kind: chosen[0] };
  return {
    problem:
      chosen.length === 0
        ? 'spec.policy names no policy: give semver, alphabetical, numerical or newestBuild'
        : `spec.policy names ${chosen.join(' and ')}: give exactly one`,
  };
}

/** Go's `(?P<name>` written the JavaScript way. */
export function jsPattern(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?P</g, '(?<'));
}

/** Go's Regexp.Expand: `$name`, `${name}`, `$1` and `$$` in `template`, from `m`. */
export function expand(template: string, m: RegExpExecArray): string {
  return template.replace(
    /\$(\$|\{(\w+)\}|(\w+))/g,
    (_all, what: string, braced?: string, bare?: string) => {
      if (what === '$') return '$';
      const name = braced ?? bare ?? '';
      const value = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
      return value ?? '';
    },
  );
}

/** The tags passing `filterTags`, each with the value the policy compares. */
export function filterTags(
  tags: readonly string[],
  filter: ImagePolicySpec['filterTags'],
): Candidate[] {
  if (!filter?.pattern) return tags.map((tag) => ({ tag, value: tag }));
  const re = jsPattern(filter.pattern);
  const out: Candidate[] = [];
  for (const tag of tags) {
    const m = re.exec(tag);
    if (!m) continue;
    out.push({ tag, value: filter.extract ? expand(filter.extract, m) : tag });
  }
  return out;
}

/** The candidate with the highest key (ties: the tag last in alphabetical order). */
function best<K>(
  items: ReadonlyArray<{ c: Candidate; key: K }>,
  cmp: (a: K, b: K) => number,
): Candidate | undefined {
  let top: { c: Candidate; key: K } | undefined;
  for (const it of items) {
    const d = top ? cmp(it.key, top.key) : 1;
    if (!top || d > 0 || (d === 0 && it.c.tag > top.c.tag)) top = it;
  }
  return top?.c;
}

function bySemver(cands: readonly Candidate[], range: string): Candidate | undefined {
  const r = parseRange(range);
  const versions: Array<{ c: Candidate; key: Version }> = [];
  for (const c of cands) {
    const v = parseVersion(c.value);
    if (v && satisfies(v, r)) versions.push({ c, key: v });
  }
  return best(versions, compareVersions);
}

function byOrder(
  cands: readonly Candidate[],
  order: 'asc' | 'desc' | undefined,
  numeric: boolean,
): Candidate | undefined {
  const sign = order === 'desc' ? -1 : 1;
  if (!numeric) {
    const keyed = cands.map((c) => ({ c, key: c.value }));
    return best(keyed, (a, b) => sign * (a < b ? -1 : a > b ? 1 : 0));
  }
  const keyed = cands
    .filter((c) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(c.value.trim()))
    .map((c) => ({ c, key: Number(c.value) }));
  return best(keyed, (a, b) => sign * (a - b));
}

function byBuildTime(
  cands: readonly Candidate[],
  created: ReadonlyMap<string, number> | undefined,
): Candidate | undefined {
  const keyed = cands.flatMap((c) => {
    const t = created?.get(c.tag);
    return t === undefined ? [] : [{ c, key: t }];
  });
  return best(keyed, (a, b) => a - b);
}

export interface SelectInput {
  tags: readonly string[];
  spec: ImagePolicySpec;
  /** For newestBuild: when each candidate tag's image was built (ms since the epoch). */
  created?: ReadonlyMap<string, number>;
}

function pick(kind: PolicyKind, cands: Candidate[], input: SelectInput): Candidate | undefined {
  const p = input.spec.policy;
  if (kind === 'semver') return bySemver(cands, p.semver?.range ?? '');
  if (kind === 'alphabetical') return byOrder(cands, p.alphabetical?.order, false);
  if (kind === 'numerical') return byOrder(cands, p.numerical?.order, true);
  return byBuildTime(cands, input.created);
}

const invalid = (message: string): Selection => ({ ok: false, reason: 'InvalidPolicy', message });

/**
 * The tag the policy selects among `tags`.
 *
 * @example
 * selectTag({ tags: ['1.0.0', '1.1.0', '2.0.0'], spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '1.x' } } } })
 * // { ok: true, tag: '1.1.0', candidates: 3 }
 */
export function selectTag(input: SelectInput): Selection {
  const chosen = policyKind(input.spec);
  if ('problem' in chosen) return invalid(chosen.problem);
  const { kind } = chosen;
  let cands: Candidate[];
  try {
    cands = filterTags(input.tags, input.spec.filterTags);
    const tag = pick(kind, cands, input);
    if (tag) return { ok: true, tag: tag.tag, candidates: cands.length };
  } catch (err) {
    const what = kind === 'semver' ? 'spec.policy.semver.range' : 'spec.filterTags.pattern';
    return invalid(`${what}: ${(err as Error).message}`);
  }
  const filtered = input.spec.filterTags?.pattern ? ` (${cands.length} after filterTags)` : '';
  return {
    ok: false,
    reason: 'NoMatchingTag',
    message: `no tag of ${input.tags.length}${filtered} matches the ${kind} policy`,
  };
}
