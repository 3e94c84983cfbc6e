/**
 * The package databases an image carries, read as data (pure): dpkg's status file (Debian,
 * Ubuntu; distroless images keep one file per package in `status.d/`) with each package's file
 * list from `info/<pkg>.list`, Alpine's `lib/apk/db/installed`, and os-release.
 *
 * Each package gets its package URL (purl), as scanners expect it:
 * `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12`,
 * `pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3`.
 */

export type Manager = 'dpkg' | 'apk';

export interface Package {
  manager: Manager;
  name: string;
  version: string;
  arch: string;
  /** The source package (dpkg `Source:`, apk `o:`), when it differs from the name. */
  source?: string;
  description?: string;
  /** SPDX expression or the database's words (apk `L:`); dpkg's status has none. */
  license?: string;
  maintainer?: string;
  /** Names of the packages it depends on (versions and alternatives beyond the first dropped). */
  depends: string[];
  /** Files it installed, without leading `/`. */
  files: string[];
  purl: string;
}

export interface OsRelease {
  id: string;
  versionId: string;
  name: string;
  prettyName: string;
}

/** `KEY=value` lines, values unquoted (pure). */
export function parseOsRelease(text: string): OsRelease {
  const v: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) v[m[1]] = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
  }
  return {
    id: v['ID'] ?? 'linux',
    versionId: v['VERSION_ID'] ?? '',
    name: v['NAME'] ?? v['ID'] ?? 'Linux',
    prettyName: v['PRETTY_NAME'] ?? v['NAME'] ?? '',
  };
}

/** RFC 822-style paragraphs with continuation lines (dpkg) (pure). */
export function paragraphs(text: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let cur: Record<string, string> = {};
  let last = '';
  const flush = (): void => {
    if (Object.keys(cur).length > 0) out.push(cur);
    cur = {};
    last = '';
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') flush();
    else if (/^[ \t]/.test(line) && last !== '') cur[last] += `\n${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      cur[last] = line.slice(colon + 1).trim();
    }
  }
  flush();
  return out;
}

/** `libc6 (>= 2.36), debconf | debconf-2.0, perl:any` → `[libc6, debconf, perl]` (pure). */
export function dependencyNames(field: string | undefined): string[] {
  if (!field) return [];
  return field
    .split(',')
    .map((alt) => (alt.split('|')[0] ?? '').trim().split(/[\s(]/)[0] ?? '')
    .map((name) => name.replace(/:[a-z0-9]+$/, ''))
    .filter((name) => name !== '');
}

const enc = (s: string): string => encodeURIComponent(s);

export function purl(
  type: 'deb' | 'apk',
  namespace: string,
  p: Pick<Package, 'name' | 'version' | 'arch'>,
  os: OsRelease | undefined,
): string {
  const q = [`arch=${enc(p.arch)}`];
  if (os?.versionId) q.push(`distro=${enc(`${os.id}-${os.versionId}`)}`);
  return `pkg:${type}/${enc(namespace)}/${enc(p.name)}@${enc(p.version)}?${q.join('&')}`;
}

const firstLine = (s: string | undefined): string | undefined => s?.split('\n')[0];

const fileList = (list: string): string[] =>
  list
    .split('\n')
    .map((l) => l.replace(/^\/+/, ''))
    .filter((l) => l !== '' && l !== '.');

function dpkgPackage(
  p: Record<string, string>,
  lists: ReadonlyMap<string, string>,
  os: OsRelease | undefined,
): Package | undefined {
  const name = p['Package'];
  const status = p['Status'];
  if (name === undefined || (status !== undefined && !status.endsWith(' installed')))
    return undefined;
  const arch = p['Architecture'] ?? 'all';
  const version = p['Version'] ?? '';
  const source = p['Source']?.split(' ')[0];
  const description = firstLine(p['Description']);
  return {
    manager: 'dpkg',
    name,
    version,
    arch,
    ...(source && source !== name ? { source } : {}),
    ...(description ? { description } : {}),
    ...(p['Maintainer'] ? { maintainer: p['Maintainer'] } : {}),
    depends: [...dependencyNames(p['Pre-Depends']), ...dependencyNames(p['Depends'])],
    files: fileList(lists.get(`${name}:${arch}`) ?? lists.get(name) ?? ''),
    purl: purl('deb', os?.id ?? 'debian', { name, version, arch }, os),
  };
}

/**
 * Installed packages of a dpkg database: `status` (or the `status.d/` files) and the file
 * lists, keyed by `<name>` or `<name>:<arch>` as dpkg names them (pure).
 */
export function parseDpkg(
  statusTexts: readonly string[],
  lists: ReadonlyMap<string, string>,
  os: OsRelease | undefined,
): Package[] {
  return statusTexts
    .flatMap((text) => paragraphs(text))
    .flatMap((p) => dpkgPackage(p, lists, os) ?? [])
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `so:libc.musl-x86_64.so.1 musl>=1.2 /bin/sh` → names of packages only (pure). */
function apkDepends(field: string | undefined): string[] {
  return (field ?? '')
    .split(/\s+/)
    .filter((d) => d !== '' && !d.includes(':') && !d.startsWith('/') && !d.startsWith('!'))
    .map((d) => d.split(/[<>=~]/)[0] ?? '')
    .filter((d) => d !== '');
}

/** One block of the apk database: its single-letter fields and its files (pure). */
function apkFields(block: string): { v: Record<string, string>; files: string[] } {
  const files: string[] = [];
  const v: Record<string, string> = {};
  let dir = '';
  for (const line of block.split('\n')) {
    if (line[1] !== ':') continue;
    const key = line.slice(0, 1);
    const value = line.slice(2);
    if (key === 'F') dir = value;
    else if (key === 'R') files.push(dir ? `${dir}/${value}` : value);
    else v[key] = key === 'D' && v[key] ? `${v[key]} ${value}` : (v[key] ?? value);
  }
  return { v, files };
}

function apkPackage(block: string, os: OsRelease | undefined): Package | undefined {
  const { v, files } = apkFields(block);
  const name = v['P'];
  if (name === undefined) return undefined;
  const arch = v['A'] ?? 'noarch';
  const version = v['V'] ?? '';
  return {
    manager: 'apk',
    name,
    version,
    arch,
    ...(v['o'] && v['o'] !== name ? { source: v['o'] } : {}),
    ...(v['T'] ? { description: v['T'] } : {}),
    ...(v['L'] ? { license: v['L'] } : {}),
    ...(v['m'] ? { maintainer: v['m'] } : {}),
    depends: apkDepends(v['D']),
    files,
    purl: purl('apk', os?.id ?? 'alpine', { name, version, arch }, os),
  };
}

/** Installed packages of Alpine's `lib/apk/db/installed` (single-letter keys) (pure). */
export function parseApk(text: string, os: OsRelease | undefined): Package[] {
  return text
    .split(/\n\s*\n/)
    .flatMap((block) => apkPackage(block, os) ?? [])
    .sort((a, b) => a.name.localeCompare(b.name));
}
