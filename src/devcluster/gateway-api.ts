/**
 * The Gateway API CRDs (standard channel: Gateway, GatewayClass, HTTPRoute, GRPCRoute,
 * ReferenceGrant, ... and the safe-upgrades ValidatingAdmissionPolicy the channel ships) in the dev
 * cluster, so Rollouts can shift traffic through an HTTPRoute. They come from the pinned Go module
 * `sigs.k8s.io/gateway-api` (`config/crd/standard`, concatenated once into the tool cache by
 * build.ts, like kwok's stages); no network is needed after the first fetch.
 *
 * Installing is idempotent and fast: when every CRD of the bundle is already there, Established,
 * and carries the bundle's `gateway.networking.k8s.io/bundle-version`, nothing is written.
 *
 * @example
 * const { skipped, ms } = await installGatewayApiCrds(kube);
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import type { Kube } from '../kube/api.ts';
import { UnknownKindError } from '../kube/discovery.ts';
import { KubeApiError } from '../kube/errors.ts';
import { isRecord, type Condition, type KubeObject } from '../kube/types.ts';
import { silentProgress, type Progress } from '../util/progress.ts';
import { buildTool, isBuilt, toolBinDir } from './build.ts';
import { DevClusterError } from './errors.ts';
import { cacheRoot } from './paths.ts';
import { GATEWAY_API_VERSION, TOOLS } from './tools.ts';

export const BUNDLE_VERSION_ANNOTATION = 'gateway.networking.k8s.io/bundle-version';
const CRD_API = 'apiextensions.k8s.io/v1';
const CRD_KIND = 'CustomResourceDefinition';

export interface GatewayApiInstallOptions {
  progress?: Progress;
  /** The tool cache (default ~/.cache/sluice). */
  root?: string;
  /** How long to wait for the CRDs to be served (default 60 s). */
  timeoutMs?: number;
}

export interface GatewayApiInstall {
  /** The bundle version, `v1.6.3`. */
  version: string;
  /** True when the cluster already had this bundle and nothing was written. */
  skipped: boolean;
  /** `Kind/name` of every object applied (empty when skipped). */
  applied: string[];
  ms: number;
}

/** The concatenated CRD bundle in the tool cache, fetched from the Go module the first time. */
export async function gatewayApiBundlePath(
  progress: Progress = silentProgress,
  root = cacheRoot(),
): Promise<string> {
  const tool = TOOLS.find((t) => t.name === 'gateway-api');
  const file = tool?.binaries[0];
  if (tool === undefined || file === undefined) {
    throw new DevClusterError('ToolMissing', 'the gateway-api tool is not in TOOLS');
  }
  if (!(await isBuilt(tool, root))) await buildTool(tool, progress, root);
  return join(toolBinDir(tool, root), file);
}

/** The objects of a multi-document YAML bundle (empty documents and comments dropped). */
export function parseBundle(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as unknown)
    .filter((o): o is KubeObject => isRecord(o) && typeof o['kind'] === 'string');
}

/**
 * The CRD names of the bundle, without parsing its 1 MB of YAML (which takes longer than the
 * whole check): in each generated document `metadata.name` is the two-space-indented `name:`.
 */
export function bundleCrdNames(text: string): string[] {
  const re = /^kind: CustomResourceDefinition\nmetadata:\n(?: {2}.*\n)*? {2}name: (\S+)$/gm;
  return [...text.matchAll(re)].map((m) => (m[1] ?? '').replace(/^"(.*)"$/, '$1'));
}

function established(crd: KubeObject | undefined): boolean {
  const status = crd?.['status'];
  const conditions = isRecord(status) ? (status['conditions'] as Condition[] | undefined) : [];
  return (conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** Whether every CRD of the bundle is installed, Established and of `version`. */
async function bundleInstalled(kube: Kube, names: string[], version: string): Promise<boolean> {
  if (names.length === 0) return false;
  for (const name of names) {
    const live = await kube.get(CRD_API, CRD_KIND, undefined, name);
    if (live?.metadata.annotations?.[BUNDLE_VERSION_ANNOTATION] !== version) return false;
    if (!established(live)) return false;
  }
  return true;
}

/** Installs (or upgrades to) the pinned Gateway API CRDs and waits until HTTPRoutes are served. */
export async function installGatewayApiCrds(
  kube: Kube,
  options: GatewayApiInstallOptions = {},
): Promise<GatewayApiInstall> {
  const started = Date.now();
  const version = `v${GATEWAY_API_VERSION}`;
  const progress = options.progress ?? silentProgress;
  const text = await readFile(await gatewayApiBundlePath(progress, options.root), 'utf8');
  if (await bundleInstalled(kube, bundleCrdNames(text), version)) {
    return { version, skipped: true, applied: [], ms: Date.now() - started };
  }
  const objects = parseBundle(text);
  const crds = objects.filter((o) => o.kind === CRD_KIND);
  progress.step(`installing the Gateway API ${version} CRDs (${crds.length})`);
  const applied: string[] = [];
  for (const obj of objects) {
    await kube.apply(obj, { fieldManager: 'sluice', force: true });
    applied.push(`${obj.kind}/${obj.metadata.name ?? ''}`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  await waitEstablished(kube, crds, deadline);
  kube.discovery.invalidate();
  await waitServed(kube, deadline);
  return { version, skipped: false, applied, ms: Date.now() - started };
}

async function waitEstablished(kube: Kube, crds: KubeObject[], deadline: number): Promise<void> {
  for (const crd of crds) {
    const name = crd.metadata.name ?? '';
    while (!established(await kube.get(CRD_API, CRD_KIND, undefined, name))) {
      if (Date.now() > deadline) {
        throw new DevClusterError(
          'ComponentNotReady',
          `${CRD_KIND}/${name}: not Established in time`,
          {
            hint: `inspect it with \`kubectl describe crd ${name}\``,
          },
        );
      }
      await sleep(100);
    }
  }
}

/** Established is not yet served: list HTTPRoutes until the API server answers. */
async function waitServed(kube: Kube, deadline: number): Promise<void> {
  for (;;) {
    try {
      await kube.list('gateway.networking.k8s.io/v1', 'HTTPRoute', {
        fieldSelector: 'metadata.name=sluice-install-probe',
      });
      return;
    } catch (err) {
      const notYet =
        (err instanceof KubeApiError && err.status === 429) || err instanceof UnknownKindError;
      if (!notYet || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
