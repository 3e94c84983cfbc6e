/**
 * Helpers for image automation tests: the dev cluster's real registry (its address from the
 * cluster's state), images pushed to it with the distribution API (busybox's layers under new
 * tags, each with its own config and build time, so each tag has its own digest), a proxy on
 * 127.0.0.1 in front of it that a test can stop (a registry that is down) or make demand
 * credentials (Basic, or Bearer tokens from its own token endpoint), and the controllers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { ImageAutomation } from '../../src/delivery/images/index.ts';
import type { Kube } from '../../src/kube/api.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { kubeconfigPath } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

export const IMAGE_API = 'sluice.dev/v1alpha1';

/** The dev cluster's registry, as the host reaches it (`<node IP>:5000`). */
export async function registry(): Promise<string> {
  const state = JSON.parse(
    await readFile(join(dirname(kubeconfigPath()), 'state.json'), 'utf8'),
  ) as {
    registry?: string | { address?: string };
  };
  const r = typeof state.registry === 'string' ? state.registry : state.registry?.address;
  if (!r) throw new Error('the run cluster has no registry');
  return r;
}

const sha = (b: Buffer | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes `repo:tag`: busybox's layers, a config of its own built at `created`. Returns the digest. */
export async function pushTag(
  reg: string,
  repo: string,
  tag: string,
  created = new Date(),
): Promise<string> {
  const base = (await (
    await fetch(`http://${reg}/v2/busybox/manifests/latest`, { headers: { accept: MANIFEST } })
  ).json()) as {
    config: { digest: string };
    layers: Array<{ digest: string; size: number; mediaType: string }>;
  };
  const baseConfig = (await (
    await fetch(`http://${reg}/v2/busybox/blobs/${base.config.digest}`)
  ).json()) as Record<string, unknown>;
  const config = JSON.stringify({
    ...baseConfig,
    created: created.toISOString(),
    config: { Labels: { tag } },
  });
  for (const l of base.layers) {
    const r = await fetch(
      `http://${reg}/v2/${repo}/blobs/uploads/?mount=${l.digest}&from=busybox`,
      { method: 'POST' },
    );
    await r.body?.cancel();
    if (r.status !== 201) throw new Error(`mounting ${l.digest} into ${repo}: ${r.status}`);
  }
  const start = await fetch(`http://${reg}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  const location = new URL(start.headers.get('location') ?? '', `http://${reg}`);
  location.searchParams.set('digest', sha(config));
  const put = await fetch(location, { method: 'PUT', body: config });
  if (put.status !== 201)
    throw new Error(`uploading the config of ${repo}:${tag}: ${put.status} ${await put.text()}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha(config),
      size: Buffer.byteLength(config),
    },
    layers: base.layers,
  });
  const r = await fetch(`http://${reg}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': MANIFEST },
    body: manifest,
  });
  if (r.status !== 201) throw new Error(`tagging ${repo}:${tag}: ${r.status} ${await r.text()}`);
  return sha(manifest);
}

export interface ProxyOptions {
  /** Demand these credentials: as Basic, or (with `bearer`) for tokens from /token. */
  credentials?: { username: string; password: string };
  bearer?: boolean;
  port?: number;
}

export interface RegistryProxy {
  /** `127.0.0.1:<port>` */
  address: string;
  port: number;
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

function authorised(req: IncomingMessage, o: ProxyOptions, token: string): boolean {
  const header = req.headers.authorization;
  if (!o.credentials) return true;
  if (o.bearer) return header === `Bearer ${token}`;
  const basic = Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString(
    'base64',
  );
  return header === `Basic ${basic}`;
}

/** A proxy of the registry on 127.0.0.1, optionally demanding credentials. */
export async function startProxy(upstream: string, o: ProxyOptions = {}): Promise<RegistryProxy> {
  const token = randomBytes(8).toString('hex');
  const requests: string[] = [];
  let self = '';
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    if (req.url?.startsWith('/token')) {
      const basic = Buffer.from(
        `${o.credentials?.username ?? ''}:${o.credentials?.password ?? ''}`,
      ).toString('base64');
      const ok = req.headers.authorization === `Basic ${basic}`;
      res
        .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
        .end(ok ? JSON.stringify({ token }) : '{}');
      return;
    }
    if (!authorised(req, o, token)) {
      const challenge = o.bearer
        ? `Bearer realm="http://${self}/token",service="test-registry",scope="repository:x:pull"`
        : 'Basic realm="test-registry"';
      res.writeHead(401, { 'www-authenticate': challenge }).end();
      return;
    }
    const r = await fetch(`http://${upstream}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers: { accept: String(req.headers.accept ?? '*/*') },
    });
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'docker-content-digest', 'link']) {
      const v = r.headers.get(h);
      if (v) headers[h] = v;
    }
    res.writeHead(r.status, headers).end(Buffer.from(await r.arrayBuffer()));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  self = `127.0.0.1:${port}`;
  return {
    address: self,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The image automation controllers for `namespace`, stopped when the test ends. */
export async function startImageAutomation(
  k: Kube,
  namespace: string,
  workDir?: string,
): Promise<ImageAutomation> {
  await ensureCrds(k);
  const log = process.env['SLUICE_TEST_LOG'] ? createLogger('debug') : silentLogger;
  const images = new ImageAutomation({
    kube: k,
    log,
    controllerNamespace: namespace,
    namespaces: [namespace],
    ...(workDir ? { workDir } : {}),
  });
  await images.start();
  const leader = new AbortController();
  images.startLeading(leader.signal);
  onTestFinished(async () => {
    await images.stop();
    leader.abort();
  });
  return images;
}
