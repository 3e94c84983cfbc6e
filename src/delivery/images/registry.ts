/**
 * A client of one registry repository over the OCI distribution API v2: its tags (following
 * `Link` pages), a tag's digest, and when a tag's image was built (the image config's
 * `created`); for signatures (src/images/verify) also raw manifests and blobs, read (checked
 * against their digest) and written (blob upload, manifest PUT). Authentication as registries ask for it: Basic, or a Bearer token fetched from the
 * challenge's realm (with the credentials, if any; anonymous otherwise) and reused until refused.
 *
 * Failures are RegistryErrors whose `kind` says what happened, so callers decide on data:
 * Unreachable (connection refused, DNS, timeout, 5xx: the registry is down), AuthFailed,
 * NotFound, BadResponse.
 */
import { createHash } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { basicHeader, parseChallenge, type RegistryCredentials } from './auth.ts';
import type { RepositoryAddress } from './reference.ts';

export type RegistryErrorKind = 'Unreachable' | 'AuthFailed' | 'NotFound' | 'BadResponse';

export class RegistryError extends SluiceError {
  readonly kind: RegistryErrorKind;
  constructor(
    kind: RegistryErrorKind,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(`Registry${kind}`, message, options);
    this.name = 'RegistryError';
    this.kind = kind;
  }
}

const MANIFESTS = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  mediaType?: string;
  config?: { digest: string };
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
}

interface SendInit {
  method?: string;
  accept?: string;
  auth?: string;
  body?: { data: Buffer; contentType: string };
}

/** A manifest as the registry stores it: its bytes, media type and digest (of the bytes). */
export interface RawManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export const sha256Digest = (b: Buffer | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface RegistryClientOptions {
  address: RepositoryAddress;
  credentials?: RegistryCredentials;
  /** Time limit of each request; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The `next` URL of a `Link` header, if any. */
export function nextLink(link: string | null, base: string): string | undefined {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return m?.[1] ? new URL(m[1], base).toString() : undefined;
}

export class RegistryClient {
  private readonly o: RegistryClientOptions;
  private readonly base: string;
  private authorization: string | undefined;

  constructor(o: RegistryClientOptions) {
    this.o = o;
    this.base = `${o.address.scheme}://${o.address.host}`;
  }

  private get where(): string {
    return `registry ${this.o.address.host} repository ${this.o.address.path}`;
  }

  private async send(url: string, init: SendInit): Promise<Response> {
    const signals = [AbortSignal.timeout(this.o.timeoutMs ?? 30_000)];
    if (this.o.signal) signals.push(this.o.signal);
    const headers: Record<string, string> = { 'User-Agent': 'sluice' };
    if (init.accept) headers['Accept'] = init.accept;
    if (init.auth) headers['Authorization'] = init.auth;
    if (init.body) headers['Content-Type'] = init.body.contentType;
    try {
      return await fetch(url, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body ? { body: new Uint8Array(init.body.data) } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      if (this.o.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new RegistryError('Unreachable', `${this.where}: cannot reach ${this.base}: ${why}`, {
        hint: 'check that the registry is up and reachable from the controller (and spec.insecure for a plain-http registry)',
        cause: err,
      });
    }
  }

  /** Answers a 401 challenge: the Authorization value to try, or undefined when there is none. */
  private async answer(res: Response, push = false): Promise<string | undefined> {
    const ch = parseChallenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    const creds = this.o.credentials;
    if (ch?.scheme === 'basic') return creds ? basicHeader(creds) : undefined;
    const realm = ch?.scheme === 'bearer' ? ch.params['realm'] : undefined;
    if (!ch || !realm) return undefined;
    const url = new URL(realm);
    if (ch.params['service']) url.searchParams.set('service', ch.params['service']);
    const actions = push ? 'pull,push' : 'pull';
    url.searchParams.set(
      'scope',
      ch.params['scope'] ?? `repository:${this.o.address.path}:${actions}`,
    );
    return this.token(url);
  }

  /** A Bearer token from the token service at `url` (anonymous without credentials). */
  private async token(url: URL): Promise<string | undefined> {
    const creds = this.o.credentials;
    const r = await this.send(url.toString(), creds ? { auth: basicHeader(creds) } : {});
    if (r.status === 401 || r.status === 403) {
      await r.body?.cancel();
      const who = creds ? 'the credentials' : 'an anonymous token';
      throw this.authFailed(`the token service ${url.origin} refused ${who}`);
    }
    if (!r.ok) throw await this.bad(r, 'token');
    const body = (await r.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  private authFailed(why: string): RegistryError {
    return new RegistryError('AuthFailed', `${this.where}: authentication failed: ${why}`, {
      hint: this.o.credentials
        ? 'check the username and password (or token) in the Secret spec.secretRef names'
        : 'the registry wants credentials: name a docker-registry Secret in spec.secretRef',
    });
  }

  private async bad(res: Response, what: string): Promise<RegistryError> {
    const text = (await res.text().catch(() => '')).slice(0, 200).trim();
    const kind: RegistryErrorKind =
      res.status >= 500 ? 'Unreachable' : res.status === 404 ? 'NotFound' : 'BadResponse';
    const why =
      res.status === 404 ? 'not found' : `answered ${res.status}${text ? ` ${text}` : ''}`;
    return new RegistryError(kind, `${this.where}: ${what}: ${why}`);
  }

  /** A request with authentication; the response is ok, or a RegistryError is thrown. */
  private async request(
    url: string,
    what: string,
    method = 'GET',
    accept?: string,
    body?: SendInit['body'],
  ): Promise<Response> {
    const init: SendInit = {
      method,
      ...(accept ? { accept } : {}),
      ...(body ? { body } : {}),
    };
    let res = await this.send(url, {
      ...init,
      ...(this.authorization ? { auth: this.authorization } : {}),
    });
    if (res.status === 401) {
      const auth = await this.answer(res, method !== 'GET' && method !== 'HEAD');
      if (auth === undefined)
        throw this.authFailed('the registry asks for credentials and none were given');
      this.authorization = auth;
      res = await this.send(url, { ...init, auth });
      if (res.status === 401) {
        await res.body?.cancel();
        throw this.authFailed('the registry refused the credentials');
      }
    }
    if (res.status === 403) {
      await res.body?.cancel();
      throw this.authFailed('access denied (403)');
    }
    if (!res.ok) throw await this.bad(res, what);
    return res;
  }

  /** Every tag of the repository, following pages (at most `maxPages` of 1000). */
  async tags(maxPages = 100): Promise<string[]> {
    const out: string[] = [];
    let url: string | undefined = `${this.base}/v2/${this.o.address.path}/tags/list?n=1000`;
    for (let page = 0; url && page < maxPages; page++) {
      const res = await this.request(url, 'listing tags');
      const body = (await res.json()) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      url = nextLink(res.headers.get('link'), this.base);
    }
    return out;
  }

  private manifestURL(ref: string): string {
    return `${this.base}/v2/${this.o.address.path}/manifests/${ref}`;
  }

  /** The digest of `tag` (the manifest's, or the index's for a multi-platform image). */
  async digest(tag: string): Promise<string> {
    const res = await this.request(this.manifestURL(tag), `tag ${tag}`, 'HEAD', MANIFESTS);
    const header = res.headers.get('docker-content-digest');
    if (header) return header;
    const body = Buffer.from(
      await (
        await this.request(this.manifestURL(tag), `tag ${tag}`, 'GET', MANIFESTS)
      ).arrayBuffer(),
    );
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  private async manifest(ref: string): Promise<Manifest> {
    return (await (
      await this.request(this.manifestURL(ref), `manifest ${ref}`, 'GET', MANIFESTS)
    ).json()) as Manifest;
  }

  /** When `tag`'s image was built (ms since the epoch): linux/amd64's for a multi-platform image. */
  async created(tag: string): Promise<number | undefined> {
    let m = await this.manifest(tag);
    if (m.manifests) {
      const pick =
        m.manifests.find(
          (d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64',
        ) ?? m.manifests[0];
      if (!pick) return undefined;
      m = await this.manifest(pick.digest);
    }
    if (!m.config?.digest) return undefined;
    const blob = await this.request(
      `${this.base}/v2/${this.o.address.path}/blobs/${m.config.digest}`,
      `config of ${tag}`,
    );
    const created = ((await blob.json()) as { created?: string }).created;
    const t = created ? Date.parse(created) : NaN;
    return Number.isNaN(t) ? undefined : t;
  }

  /** The address this client talks to (for messages). */
  get address(): RepositoryAddress {
    return this.o.address;
  }

  /** A manifest's bytes; NotFound when the tag or digest is absent. */
  async rawManifest(ref: string, accept = MANIFESTS): Promise<RawManifest> {
    const res = await this.request(this.manifestURL(ref), `manifest ${ref}`, 'GET', accept);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (ref.startsWith('sha256:') && ref !== digest)
      throw new RegistryError(
        'BadResponse',
        `${this.where}: manifest ${ref}: the bytes served hash to ${digest}`,
      );
    const mediaType =
      (JSON.parse(bytes.toString('utf8')) as Manifest).mediaType ??
      res.headers.get('content-type') ??
      '';
    return { bytes, mediaType, digest };
  }

  /** A blob's bytes, checked against its digest. */
  async blob(digest: string, what = `blob ${digest}`): Promise<Buffer> {
    const res = await this.request(`${this.base}/v2/${this.o.address.path}/blobs/${digest}`, what);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sha256Digest(bytes) !== digest)
      throw new RegistryError(
        'BadResponse',
        `${this.where}: ${what}: the bytes served do not match`,
      );
    return bytes;
  }

  /** Uploads a blob (monolithic: POST then PUT) unless the repository has it; answers its digest. */
  async putBlob(data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    const url = `${this.base}/v2/${this.o.address.path}/blobs/${digest}`;
    try {
      await (await this.request(url, `blob ${digest}`, 'HEAD')).body?.cancel();
      return digest;
    } catch (err) {
      if (!(err instanceof RegistryError && err.kind === 'NotFound')) throw err;
    }
    const start = await this.request(
      `${this.base}/v2/${this.o.address.path}/blobs/uploads/`,
      'starting an upload',
      'POST',
    );
    await start.body?.cancel();
    const location = new URL(start.headers.get('location') ?? '', this.base);
    location.searchParams.set('digest', digest);
    const put = await this.request(
      location.toString(),
      `uploading blob ${digest}`,
      'PUT',
      undefined,
      {
        data,
        contentType: 'application/octet-stream',
      },
    );
    await put.body?.cancel();
    return digest;
  }

  /** Writes a manifest under `tag`; answers its digest. */
  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(
      this.manifestURL(tag),
      `writing manifest ${tag}`,
      'PUT',
      undefined,
      {
        data: bytes,
        contentType: mediaType,
      },
    );
    await res.body?.cancel();
    return sha256Digest(bytes);
  }
}
