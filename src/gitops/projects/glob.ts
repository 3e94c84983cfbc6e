/**
 * The globs of AppProject rules, as Argo CD reads them: `*` matches any run of characters (`/`
 * included: `https://git.example.com/team-a/*` covers every repository below it), `?` one
 * character, `[abc]` / `[a-z]` / `[!abc]` one of a set, `{a,b}` either alternative. A pattern
 * without those is an exact match. A leading `!` (destinations, sourceRepos) marks a deny rule;
 * `denyPattern` tells them apart and the callers decide what a deny means.
 *
 * @example globMatch('team-a-*', 'team-a-web') // true
 */

const cache = new Map<string, RegExp>();

/** A character class body (`a-z`, `!abc`) as a regular expression class. */
function classOf(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const chars = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, (c) => `\\${c}`);
  return `[${negated ? '^' : ''}${chars}]`;
}

function escapeChar(c: string): string {
  return /[.+^$()|\\/[\]{}*?]/.test(c) ? `\\${c}` : c;
}

/** The regular expression source of a glob (no anchors). */
function translate(glob: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '\\' && i + 1 < glob.length) {
      out += escapeChar(glob.charAt(++i));
    } else if (c === '*') {
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        out += classOf(glob.slice(i + 1, end));
        i = end;
      }
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeChar(c);
    }
  }
  // An unclosed `{` is taken literally rather than failing the whole rule.
  return depth > 0 ? glob.split('').map(escapeChar).join('') : out;
}

/** Whether `text` matches `glob` as a whole. */
export function globMatch(glob: string, text: string): boolean {
  if (!/[*?[{\\]/.test(glob)) return glob === text;
  let re = cache.get(glob);
  if (!re) {
    try {
      re = new RegExp(`^${translate(glob)}$`, 's');
    } catch {
      re = new RegExp(`^${glob.split('').map(escapeChar).join('')}$`, 's');
    }
    cache.set(glob, re);
  }
  return re.test(text);
}

/** A rule that denies (`!team-b-*`): the pattern it denies; undefined for an allow rule. */
export function denyPattern(rule: string): string | undefined {
  return rule.startsWith('!') ? rule.slice(1) : undefined;
}
