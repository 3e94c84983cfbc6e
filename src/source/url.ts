/**
 * Repository URLs: parsing the forms git accepts (https, http, ssh://, scp-like `git@host:path`,
 * git://, file://), the canonical form used to compare them and to key mirrors, and redaction of
 * credentials for messages and logs.
 *
 * The parser keeps every part of the URL verbatim, so the URL handed to git is the user's own,
 * minus credentials; only the canonical form is rewritten.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { SourceError } from './errors.ts';

export type RepoScheme = 'https' | 'http' | 'ssh' | 'git' | 'file';

/** A repository URL split into its parts. */
export interface ParsedRepoURL {
  scheme: RepoScheme;
  /** Written as `user@host:path` (scp-like ssh). */
  scpLike: boolean;
  user?: string;
  password?: string;
  /** Lowercase; empty for file://. IPv6 addresses keep their brackets. */
  host: string;
  port?: string;
  /** As written, starting with `/` except for relative scp-like paths. */
  path: string;
}

const DEFAULT_PORTS: Record<RepoScheme, string> = {
  https: '443',
  http: '80',
  ssh: '22',
  git: '9418',
  file: '',
};

const SCHEMES = new Set<string>(['https', 'http', 'ssh', 'git', 'file']);

// scheme://[userinfo@]host[:port][/path]; git+ssh:// and ssh+git:// are old aliases of ssh://.
const SCHEME_URL =
  /^([a-z][a-z0-9+.-]*):\/\/(?:([^/?#]*)@)?(\[[0-9a-f:.]+\]|[^:/?#[\]]*)(?::(\d*))?(.*)$/i;
// [user@]host:path, where the host has no slash (otherwise git reads it as a local path).
const SCP_URL = /^(?:([^/]*)@)?(\[[0-9a-f:.]+\]|[^@/:[\]]+):(.*)$/i;

/** Credentials removed from text that did not parse as a repository URL. */
function redactUnparsed(url: string): string {
  const text = url.trim();
  return text.includes('://') ? redactText(text) : text.replace(/^[^/]*@/, '');
}

function invalid(url: string, why: string): SourceError {
  const shown = redactUnparsed(url);
  return new SourceError('InvalidRepoURL', `repo ${shown === '' ? '""' : shown}: ${why}`, {
    repoURL: shown,
    hint: 'use https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or file:///path/to/repo',
  });
}

function splitUserinfo(userinfo: string | undefined): { user?: string; password?: string } {
  if (userinfo === undefined || userinfo === '') return {};
  const colon = userinfo.indexOf(':');
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (colon < 0) return { user: dec(userinfo) };
  return { user: dec(userinfo.slice(0, colon)), password: dec(userinfo.slice(colon + 1)) };
}

function checkFileURL(url: string, p: ParsedRepoURL, userinfo: string | undefined): void {
  if (p.host !== '' && p.host !== 'localhost')
    throw invalid(url, 'file:// URLs must name a local path (file:///path)');
  if (p.path === '' || p.port !== undefined || userinfo !== undefined)
    throw invalid(url, 'malformed file:// URL');
  p.host = '';
}

function parseSchemeURL(url: string, m: RegExpExecArray): ParsedRepoURL {
  const [, rawScheme = '', userinfo, host = '', port, rest = ''] = m;
  const lower = rawScheme.toLowerCase();
  const scheme = lower === 'git+ssh' || lower === 'ssh+git' ? 'ssh' : lower;
  if (!SCHEMES.has(scheme)) throw invalid(url, `unsupported scheme "${scheme}"`);
  if (/[?#]/.test(rest)) throw invalid(url, 'a query or fragment is not part of a repository URL');
  if (rest !== '' && !rest.startsWith('/')) throw invalid(url, 'malformed URL');
  const parsed: ParsedRepoURL = {
    scheme: scheme as RepoScheme,
    scpLike: false,
    ...splitUserinfo(userinfo),
    host: host.toLowerCase(),
    path: rest,
    ...(port !== undefined && port !== '' ? { port } : {}),
  };
  if (scheme === 'file') checkFileURL(url, parsed, userinfo);
  else if (parsed.host === '' || parsed.host.startsWith('-'))
    throw invalid(url, 'missing or invalid host');
  return parsed;
}

/** True when `s` contains whitespace or control characters. */
export function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return /\s/.test(s);
}

/**
 * Splits a repository URL into its parts. Throws SourceError `InvalidRepoURL` for anything that
 * is not an https/http/ssh/git/file URL or an scp-like `user@host:path`; local paths without
 * `file://` are refused so that a typo cannot silently point at the controller's own disk.
 */
export function parseRepoURL(url: string): ParsedRepoURL {
  const text = url.trim();
  if (text === '') throw invalid(url, 'empty repository URL');
  if (hasSpaceOrControl(text)) throw invalid(url, 'whitespace or control characters in URL');
  const m = SCHEME_URL.exec(text);
  if (m) return parseSchemeURL(text, m);
  if (text.includes('://')) throw invalid(text, 'malformed URL');
  const s = SCP_URL.exec(text);
  if (s && !text.startsWith('/') && !text.startsWith('.')) {
    const [, userinfo, host = '', path = ''] = s;
    if (host.startsWith('-') || path === '') throw invalid(text, 'missing or invalid host or path');
    // `user:password@host` without a path would otherwise read as host "user".
    if (userinfo === undefined && /^[^/]*@/.test(path)) throw invalid(text, 'malformed URL');
    return {
      scheme: 'ssh',
      scpLike: true,
      ...splitUserinfo(userinfo),
      host: host.toLowerCase(),
      path,
    };
  }
  if (text.startsWith('/'))
    throw invalid(text, `a local path needs the file:// scheme (file://${text})`);
  throw invalid(text, 'not a repository URL');
}

function hostPort(p: ParsedRepoURL): string {
  return p.port !== undefined && p.port !== DEFAULT_PORTS[p.scheme]
    ? `${p.host}:${p.port}`
    : p.host;
}

/**
 * The canonical form used to compare repository URLs and to key mirrors: host (lowercase, default
 * port dropped) and path (lowercase, like Argo CD), without scheme, user, credentials, `.git`
 * suffix or trailing slash. Local repositories keep their exact path: `file:///x/y`.
 *
 * @example
 * normalizeRepoURL('git@github.com:Org/Repo.git') // 'github.com/org/repo'
 * normalizeRepoURL('https://user:pw@github.com:443/org/repo/') // 'github.com/org/repo'
 */
export function normalizeRepoURL(url: string): string {
  const p = parseRepoURL(url);
  if (p.scheme === 'file') {
    const path = posix.normalize(p.path).replace(/\/+$/, '');
    return `file://${path === '' ? '/' : path}`;
  }
  const path = p.path
    .toLowerCase()
    .replace(/\/{2,}/g, '/')
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return path === '' ? hostPort(p) : `${hostPort(p)}/${path}`;
}

/**
 * The URL handed to git: the user's URL without any password, and without the user name for
 * http(s), where it travels in the Authorization header instead.
 */
export function gitTransportURL(p: ParsedRepoURL): string {
  if (p.scpLike) return `${p.user !== undefined ? `${p.user}@` : ''}${p.host}:${p.path}`;
  if (p.scheme === 'file') return `file://${p.path}`;
  const keepUser = p.user !== undefined && (p.scheme === 'ssh' || p.scheme === 'git');
  const user = keepUser ? `${encodeURIComponent(p.user ?? '')}@` : '';
  const port = p.port !== undefined ? `:${p.port}` : '';
  return `${p.scheme}://${user}${p.host}${port}${p.path}`;
}

/**
 * The repository URL with any credentials removed, safe for messages and logs. http(s) URLs lose
 * their whole userinfo (a token is often written as the user name); ssh URLs keep the user name.
 * Text that does not parse as a URL has anything that looks like `//userinfo@` removed.
 */
export function redactRepoURL(url: string): string {
  try {
    const p = parseRepoURL(url);
    return gitTransportURL(p);
  } catch {
    return redactUnparsed(url);
  }
}

/** Removes URL credentials (`scheme://user:password@`) from free text such as git's stderr. */
export function redactText(text: string): string {
  return text.replace(
    /([a-z][a-z0-9+.-]*:\/\/)([^/\s'"]*)@/gi,
    (_all, scheme: string, userinfo: string) => {
      const s = scheme.toLowerCase();
      if (s.startsWith('http')) return scheme;
      const user = userinfo.split(':')[0] ?? '';
      return user === '' ? scheme : `${scheme}${user}@`;
    },
  );
}

/**
 * The directory name of a repository's mirror: a short hash of the canonical URL (unique) and a
 * readable slug of its last path segments, e.g. `3f2a9c1b7d0e-org-deploy`.
 */
export function mirrorName(normalized: string): string {
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 12);
  const slug = normalized
    .replace(/^file:\/\//, '')
    .split('/')
    .filter((s) => s !== '')
    .slice(-2)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40);
  return slug === '' ? hash : `${hash}-${slug}`;
}
