/**
 * A CycloneDX 1.6 JSON SBOM of an image (pure, given the indexed root filesystem): the image as
 * the subject, its operating system, every installed package (dpkg or apk) with its purl and
 * dependencies, and its files with their SHA-256 — by default only the files no package owns
 * (what the image's own build put there), `all` for every file, `none` for packages only.
 *
 * Scanners (Trivy `trivy sbom`, Grype `grype sbom:FILE`) match packages by purl, so the SBOM can
 * be scanned later without pulling the image again.
 */
import { parseApk, parseDpkg, parseOsRelease, type OsRelease, type Package } from './packages.ts';
import type { RootfsIndex } from './rootfs.ts';

export type FileSelection = 'unowned' | 'all' | 'none';
export const FILE_SELECTIONS: readonly FileSelection[] = ['unowned', 'all', 'none'];

export interface Inventory {
  os: OsRelease | undefined;
  packages: Package[];
}

export interface BomSubject {
  /** `localhost:5000/demo/app:3f2a9c1`, or a directory. */
  name: string;
  /** The manifest digest, when known. */
  digest?: string;
  type: 'container' | 'file';
}

export interface BomOptions {
  files: FileSelection;
  /** ISO time; the CLI passes now. */
  timestamp: string;
  /** `urn:uuid:...`. */
  serialNumber: string;
  toolVersion: string;
}

interface Component {
  type: 'container' | 'operating-system' | 'library' | 'file' | 'application';
  'bom-ref': string;
  name: string;
  version?: string;
  description?: string;
  publisher?: string;
  purl?: string;
  hashes?: Array<{ alg: 'SHA-256'; content: string }>;
  licenses?: Array<{ license: { name: string } }>;
  properties?: Array<{ name: string; value: string }>;
}

export interface CycloneDxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: Component[] };
    component: Component;
  };
  components: Component[];
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

/** The OS and packages the captured databases describe. */
export function inventory(index: RootfsIndex): Inventory {
  const osText = index.text('etc/os-release') ?? index.text('usr/lib/os-release');
  const os = osText === undefined ? undefined : parseOsRelease(osText);
  const lists = new Map<string, string>();
  for (const path of index.capturedMatching(/^var\/lib\/dpkg\/info\/[^/]+\.list$/)) {
    lists.set(path.slice('var/lib/dpkg/info/'.length, -'.list'.length), index.text(path) ?? '');
  }
  const status = [
    index.text('var/lib/dpkg/status') ?? '',
    ...index.capturedMatching(/^var\/lib\/dpkg\/status\.d\//).map((p) => index.text(p) ?? ''),
  ].filter((t) => t !== '');
  const apk = index.text('lib/apk/db/installed');
  return {
    os,
    packages: [...parseDpkg(status, lists, os), ...(apk ? parseApk(apk, os) : [])],
  };
}

function packageComponent(p: Package): Component {
  const props = [
    { name: 'sluice:package:manager', value: p.manager },
    { name: 'sluice:package:arch', value: p.arch },
    ...(p.source ? [{ name: 'sluice:package:source', value: p.source }] : []),
  ];
  return {
    type: 'library',
    'bom-ref': p.purl,
    name: p.name,
    version: p.version,
    ...(p.description ? { description: p.description } : {}),
    ...(p.maintainer ? { publisher: p.maintainer } : {}),
    purl: p.purl,
    ...(p.license ? { licenses: [{ license: { name: p.license } }] } : {}),
    properties: props,
  };
}

function fileComponents(
  index: RootfsIndex,
  packages: Package[],
  which: FileSelection,
): Component[] {
  if (which === 'none') return [];
  const owned = new Set(packages.flatMap((p) => p.files));
  return [...index.files.values()]
    .filter((f) => which === 'all' || !owned.has(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({
      type: 'file',
      'bom-ref': `file:/${f.path}`,
      name: `/${f.path}`,
      hashes: [{ alg: 'SHA-256', content: f.sha256 }],
    }));
}

function dependencies(root: string, components: Component[], packages: Package[]) {
  const byName = new Map<string, string>();
  for (const p of packages) if (!byName.has(p.name)) byName.set(p.name, p.purl);
  const deps = packages.map((p) => ({
    ref: p.purl,
    dependsOn: [
      ...new Set(p.depends.flatMap((d) => byName.get(d) ?? []).filter((r) => r !== p.purl)),
    ],
  }));
  return [{ ref: root, dependsOn: components.map((c) => c['bom-ref']) }, ...deps];
}

export function cyclonedx(
  subject: BomSubject,
  inv: Inventory,
  index: RootfsIndex,
  o: BomOptions,
): CycloneDxBom {
  const rootRef = subject.digest ? `${subject.name}@${subject.digest}` : subject.name;
  const os: Component[] = inv.os
    ? [
        {
          type: 'operating-system',
          'bom-ref': `os:${inv.os.id}@${inv.os.versionId}`,
          name: inv.os.id,
          version: inv.os.versionId,
          description: inv.os.prettyName,
        },
      ]
    : [];
  const components = [
    ...os,
    ...inv.packages.map(packageComponent),
    ...fileComponents(index, inv.packages, o.files),
  ];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: o.serialNumber,
    version: 1,
    metadata: {
      timestamp: o.timestamp,
      tools: {
        components: [
          { type: 'application', 'bom-ref': 'sluice', name: 'sluice', version: o.toolVersion },
        ],
      },
      component: {
        type: subject.type,
        'bom-ref': rootRef,
        name: subject.name,
        ...(subject.digest ? { version: subject.digest } : {}),
      },
    },
    components,
    dependencies: dependencies(rootRef, components, inv.packages),
  };
}
