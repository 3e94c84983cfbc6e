/**
 * Admission: decisions on AdmissionReviews (pure), the webhook configuration, and the HTTPS
 * server on 127.0.0.1 with its own CA, including rotation of an expiring certificate.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../kube/types.ts';
import { compilePolicy } from '../compile.ts';
import { AuditLog } from './audit-log.ts';
import { issueCa, issueServing, needsRenewal } from './certs.ts';
import { decide, readReview, type AdmissionRequest, type AdmissionReview } from './review.ts';
import { AdmissionServer } from './server.ts';
import { policyKinds, webhookConfiguration } from './webhook-config.ts';

const policy = (action: string): KubeObject =>
  parse(`
apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: disallow-latest-${action.toLowerCase()} }
spec:
  validationFailureAction: ${action}
  rules:
    - name: validate-image-tag
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate:
        message: "Using a mutable image tag e.g. 'latest' is not allowed."
        pattern: { spec: { containers: [{ image: "!*:latest" }] } }
`) as KubeObject;
const enforce = compilePolicy(policy('Enforce'));
const audit = compilePolicy(policy('Audit'));

const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { spec: { containers: [{ name: 'web', image }] } } },
});
const req = (object: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: 'u-1',
  operation: 'CREATE',
  namespace: 'apps',
  userInfo: { username: 'alice', groups: ['devs'] },
  object: object as KubeObject,
  ...extra,
});

describe('decisions', () => {
  it('Enforce denies with the message, the rule and the path', () => {
    const d = decide([enforce], req(deployment('nginx:latest')));
    expect(d.review.response).toMatchObject({ uid: 'u-1', allowed: false, status: { code: 403 } });
    expect(d.review.response?.status?.message).toBe(
      "Deployment/apps/web was denied by policy:\n- disallow-latest-enforce/validate-image-tag: Using a mutable image tag e.g. 'latest' is not allowed. (at /spec/template/spec/containers/0/image)",
    );
  });
  it('Audit admits with a warning and hands the results on', () => {
    const d = decide([audit], req(deployment('nginx:latest')));
    expect(d.review.response).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining('validate-image-tag')],
    });
    expect(d.results[0]).toMatchObject({
      result: 'fail',
      action: 'Audit',
      resource: { namespace: 'apps' },
    });
  });
  it('admits a good object, deletes and subresources', () => {
    expect(decide([enforce], req(deployment('nginx:1.27'))).review.response).toEqual({
      uid: 'u-1',
      allowed: true,
    });
    expect(
      decide([enforce], req(null, { operation: 'DELETE', oldObject: deployment('x:latest') }))
        .review.response?.allowed,
    ).toBe(true);
    expect(
      decide([enforce], req(deployment('x:latest'), { subResource: 'status' })).review.response
        ?.allowed,
    ).toBe(true);
  });
  it('refuses an invalid policy at creation, naming policy, rule and path', () => {
    const bad = policy('Enforce');
    (
      bad['spec'] as { rules: Array<{ validate: { pattern: unknown } }> }
    ).rules[0]!.validate.pattern = {
      spec: { containers: [{ image: '>=latest' }] },
    };
    const d = decide([], req(bad));
    expect(d.review.response).toMatchObject({
      allowed: false,
      status: { code: 400, reason: 'Invalid' },
    });
    expect(d.review.response?.status?.message).toMatch(
      /policy disallow-latest-enforce: rule validate-image-tag: .*pattern\/spec\/containers\/0\/image: operator '>='/,
    );
    expect(decide([], req(policy('Audit'))).review.response?.allowed).toBe(true);
  });
  it('rejects what is not an AdmissionReview', () => {
    expect(() => readReview({ kind: 'Pod' })).toThrow(/AdmissionReview/);
  });
  it('records results as PolicyReports', () => {
    const log = new AuditLog();
    log.record(decide([audit], req(deployment('nginx:latest'))).results);
    log.record(decide([audit], req(deployment('nginx:latest'))).results);
    const [report] = log.reports();
    expect(log.size).toBe(1);
    expect(report).toMatchObject({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { namespace: 'apps' },
      summary: { warn: 1 },
    });
  });
});

describe('webhook configuration', () => {
  it('exempts system namespaces, sends the policies kinds and the policies themselves', () => {
    const vwc = webhookConfiguration({
      name: 'sluice-policy',
      caBundlePem: 'PEM',
      url: 'https://127.0.0.1:8443',
      kinds: policyKinds([enforce]),
    }) as unknown as { webhooks: Array<Record<string, unknown>> };
    const hook = vwc.webhooks[0];
    expect(hook).toMatchObject({
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      sideEffects: 'None',
      clientConfig: {
        url: 'https://127.0.0.1:8443/validate',
        caBundle: Buffer.from('PEM').toString('base64'),
      },
      namespaceSelector: {
        matchExpressions: [
          {
            operator: 'NotIn',
            values: expect.arrayContaining(['kube-system', 'sluice-system']) as unknown,
          },
        ],
      },
    });
    expect(hook?.['rules']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ apiGroups: [''], resources: ['pods'] }),
        expect.objectContaining({
          apiGroups: ['apps'],
          resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'],
        }),
        expect.objectContaining({ apiGroups: ['batch'], resources: ['cronjobs', 'jobs'] }),
        expect.objectContaining({ apiGroups: ['sluice.dev', 'kyverno.io'] }),
      ]),
    );
  });
});

describe('certificates', () => {
  it('issues a CA and a serving certificate for the names, and says when to renew', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const ca = await issueCa('test-ca', { now });
    const serving = await issueServing(ca, ['sluice-admission.sluice-system.svc', '127.0.0.1'], {
      now,
      validityDays: 30,
    });
    const cert = new X509Certificate(serving.certPem);
    expect(cert.subjectAltName).toBe(
      'DNS:sluice-admission.sluice-system.svc, IP Address:127.0.0.1',
    );
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(needsRenewal(serving, new Date('2026-12-15T00:00:00Z'))).toBe(false);
    expect(needsRenewal(serving, new Date('2026-12-25T00:00:00Z'))).toBe(true);
  });
});

describe('the HTTPS server', () => {
  let server: AdmissionServer | undefined;
  afterEach(async () => server?.close());

  const post = async (
    port: number,
    ca: string,
    review: unknown,
  ): Promise<{ status: number; body: AdmissionReview }> => {
    const dispatcher = new Agent({ connect: { ca, servername: undefined } });
    try {
      const r = await request(`https://127.0.0.1:${port}/validate`, {
        method: 'POST',
        body: JSON.stringify(review),
        headers: { 'content-type': 'application/json' },
        dispatcher,
      });
      return { status: r.statusCode, body: (await r.body.json()) as AdmissionReview };
    } finally {
      await dispatcher.close();
    }
  };

  const servedCert = (port: number, ca: string): Promise<X509Certificate> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca }, () => {
        resolve(new X509Certificate(s.getPeerCertificate().raw));
        s.end();
      });
      s.on('error', reject);
    });

  const DAY = 86_400_000;
  const review = (image: string): unknown => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: req(deployment(image)),
  });

  // The server's clock starts in the past and moves to the present, so every certificate it
  // issues is valid for the TLS client (which checks against the real time).
  const startServer = async (daysAgo: number, caValidityDays: number) => {
    let now = new Date(Date.now() - daysAgo * DAY);
    const bundles: string[] = [];
    const rotations: string[] = [];
    const s = new AdmissionServer({
      policies: () => [enforce],
      dnsNames: ['127.0.0.1'],
      servingValidityDays: 30,
      caValidityDays,
      now: () => now,
      onCaBundle: async (pem) => {
        bundles.push(pem);
      },
      onRotate: (e) => rotations.push(`${e.what}:${e.reason}`),
    });
    server = s;
    const started = await s.start();
    return { s, ...started, bundles, rotations, toPresent: () => (now = new Date()) };
  };

  it('answers AdmissionReviews over TLS; a bad body is a 400', async () => {
    const { port, caPem, bundles } = await startServer(0, 365);
    expect(bundles).toEqual([caPem]);
    const denied = await post(port, caPem, review('nginx:latest'));
    expect(denied.status).toBe(200);
    expect(denied.body.response).toMatchObject({ uid: 'u-1', allowed: false });
    expect((await post(port, caPem, review('nginx:1.27'))).body.response?.allowed).toBe(true);
    const dispatcher = new Agent({ connect: { ca: caPem } });
    const bad = await request(`https://127.0.0.1:${port}/validate`, {
      method: 'POST',
      body: '{"kind":"Pod"}',
      dispatcher,
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
    await dispatcher.close();
  });

  it('rotates the serving certificate before it expires, without a restart', async () => {
    const { s, port, caPem, rotations, toPresent } = await startServer(25, 365);
    const first = await servedCert(port, caPem);
    expect(await s.rotateIfDue()).toBe(false);
    toPresent(); // 5 days left of 30: renew
    expect(await s.rotateIfDue()).toBe(true);
    expect(rotations).toEqual(['serving:expiring']);
    const second = await servedCert(port, caPem);
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect((await post(port, caPem, review('nginx:latest'))).body.response?.allowed).toBe(false);
  });

  it('replaces an expired serving certificate and says so (for an event)', async () => {
    const { s, port, caPem, rotations, toPresent } = await startServer(31, 365);
    toPresent(); // expired a day ago
    expect(await s.rotateIfDue()).toBe(true);
    expect(rotations).toEqual(['serving:expired']);
    expect(s.servingNotAfter()?.getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
    expect((await post(port, caPem, review('nginx:1.27'))).body.response?.allowed).toBe(true);
  });

  it('rotates an expiring CA, keeping the old one in the caBundle while the new one rolls out', async () => {
    const { s, port, caPem, bundles, rotations, toPresent } = await startServer(70, 90);
    toPresent(); // 20 of 90 days left
    expect(await s.rotateIfDue()).toBe(true);
    expect(rotations).toEqual(['ca:expiring']);
    expect(bundles).toHaveLength(2);
    expect(bundles[1]).toContain(caPem);
    expect(bundles[1]?.length).toBeGreaterThan(caPem.length);
    const served = await servedCert(port, s.caBundle());
    expect(served.verify(new X509Certificate(caPem).publicKey)).toBe(false);
    expect((await post(port, s.caBundle(), review('nginx:latest'))).body.response?.allowed).toBe(
      false,
    );
  });
});
