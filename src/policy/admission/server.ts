/**
 * The admission webhook server: HTTPS with its own CA and a serving certificate it rotates
 * before expiry (the new certificate is swapped in without a restart; a new CA is announced
 * with the old one still in the bundle, so the API server trusts both while it changes).
 * `POST /validate` takes an AdmissionReview v1 and answers with the decision (review.ts);
 * `GET /healthz` answers ok. Policies are read through a function on every request, so the
 * caller can swap them as ClusterPolicies change.
 *
 * @example
 * const server = new AdmissionServer({ policies: () => compiled, dnsNames: ['127.0.0.1'],
 *   onCaBundle: (pem) => applyWebhookConfiguration(kube, { name: 'sluice', caBundlePem: pem, url }) });
 * const { port } = await server.start();
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompiledPolicy } from '../compile.ts';
import type { RuleResult } from '../types.ts';
import { issueCa, issueServing, needsRenewal, type IssuedCa, type KeyPairPem } from './certs.ts';
import { BadReview, decide, readReview, type AdmissionRequest } from './review.ts';

export interface RotationEvent {
  what: 'ca' | 'serving';
  reason: 'expiring' | 'expired';
  notAfter: Date;
}

export interface AdmissionServerOptions {
  policies: () => readonly CompiledPolicy[];
  /** Names in the serving certificate (the Service's DNS names, or 127.0.0.1 in development). */
  dnsNames: readonly string[];
  host?: string;
  port?: number;
  ca?: IssuedCa;
  caValidityDays?: number;
  servingValidityDays?: number;
  /** How often to check whether a certificate needs renewal (default: hourly). */
  checkEveryMs?: number;
  /** Called with the port once listening (before `onCaBundle`): where the webhook is served. */
  onListening?: (port: number) => void;
  /** Called with the CA bundle to trust (at start and whenever it changes): update the caBundle. */
  onCaBundle?: (bundlePem: string) => Promise<void>;
  /** Called with every evaluation's results (record Audit results for PolicyReports). */
  onResults?: (results: RuleResult[], request: AdmissionRequest) => void;
  onRotate?: (event: RotationEvent) => void;
  /** Called with each review's time in the server, from its first byte to the answer (ms). */
  onServed?: (ms: number) => void;
  now?: () => Date;
}

const MAX_BODY = 4 * 1024 * 1024;

export class AdmissionServer {
  private readonly o: AdmissionServerOptions;
  private server: Server | undefined;
  private ca: IssuedCa | undefined;
  private previousCaPem: string | undefined;
  private serving: KeyPairPem | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AdmissionServerOptions) {
    this.o = options;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** The PEM bundle the API server should trust (the current CA, and the previous one for a while). */
  caBundle(): string {
    return [this.ca?.certPem, this.previousCaPem].filter((x) => x !== undefined).join('');
  }

  /** The serving certificate's expiry. */
  servingNotAfter(): Date | undefined {
    return this.serving?.notAfter;
  }

  async start(): Promise<{ port: number; caPem: string }> {
    this.ca =
      this.o.ca ??
      (await issueCa(undefined, { now: this.now(), validityDays: this.o.caValidityDays ?? 365 }));
    this.serving = await this.issue();
    const server = createServer(
      { cert: this.serving.certPem, key: this.serving.keyPem },
      (req, res) => this.handle(req, res),
    );
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.o.onListening?.((server.address() as AddressInfo).port);
    await this.o.onCaBundle?.(this.caBundle());
    const every = this.o.checkEveryMs ?? 3_600_000;
    this.timer = setInterval(() => void this.rotateIfDue().catch(() => undefined), every);
    this.timer.unref();
    return { port: (server.address() as AddressInfo).port, caPem: this.ca.certPem };
  }

  private async issue(): Promise<KeyPairPem> {
    if (this.ca === undefined) throw new Error('no CA');
    return issueServing(this.ca, this.o.dnsNames, {
      now: this.now(),
      validityDays: this.o.servingValidityDays ?? 30,
    });
  }

  /** Renews the CA and/or the serving certificate when due; true when something changed. */
  async rotateIfDue(): Promise<boolean> {
    const now = this.now();
    if (this.ca === undefined || this.serving === undefined || this.server === undefined)
      return false;
    const reason = (c: KeyPairPem): RotationEvent['reason'] =>
      c.notAfter <= now ? 'expired' : 'expiring';
    let changed = false;
    if (needsRenewal(this.ca, now)) {
      this.o.onRotate?.({ what: 'ca', reason: reason(this.ca), notAfter: this.ca.notAfter });
      this.previousCaPem = this.ca.certPem;
      this.ca = await issueCa(undefined, { now, validityDays: this.o.caValidityDays ?? 365 });
      // Announce the new CA (with the old one) before serving a certificate it signed.
      await this.o.onCaBundle?.(this.caBundle());
      changed = true;
    }
    if (changed || needsRenewal(this.serving, now)) {
      if (!changed)
        this.o.onRotate?.({
          what: 'serving',
          reason: reason(this.serving),
          notAfter: this.serving.notAfter,
        });
      this.serving = await this.issue();
      this.server.setSecureContext({ cert: this.serving.certPem, key: this.serving.keyPem });
      changed = true;
    }
    return changed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/validate')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      this.answer(Buffer.concat(chunks), size, res);
      this.o.onServed?.(performance.now() - started);
    });
  }

  private answer(body: Buffer, size: number, res: ServerResponse): void {
    const fail = (code: number, message: string): void => {
      res.writeHead(code, { 'content-type': 'text/plain' }).end(message);
    };
    if (size > MAX_BODY) return fail(413, 'AdmissionReview too large');
    let request: AdmissionRequest;
    try {
      request = readReview(JSON.parse(body.toString('utf8')));
    } catch (err) {
      return fail(
        400,
        err instanceof BadReview || err instanceof SyntaxError ? err.message : 'bad request',
      );
    }
    const decision = decide(this.o.policies(), request);
    if (decision.results.length > 0) this.o.onResults?.(decision.results, request);
    const out = JSON.stringify(decision.review);
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
      })
      .end(out);
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
