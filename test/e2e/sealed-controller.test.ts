/**
 * Sealed secrets as a user meets them: `sluice controller` (its own process) creates its sealing
 * key, serves the certificate at GET /v1/cert.pem on its --listen address; `sluice seal --cert
 * <that URL>` seals a Secret on this machine; the SealedSecret created in the cluster becomes the
 * Secret, owned by it — and the plaintext appears nowhere but in that Secret.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import type { SealedSecret, Secret } from '../../src/api/sealedsecret.ts';
import { execFile } from '../../src/util/exec.ts';
import { freePort } from '../../src/source/testing/sshd.ts';
import { startSluiceController } from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

const ns = useNamespace('sealed-cli');
const PLAIN = 'hunter2-planted-0x5eal';

describe('sluice controller with sealed secrets', () => {
  it('serves its certificate; `sluice seal --cert URL` output becomes a Secret it owns', async () => {
    const k = await kube();
    await ensureCrds(k);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sealed-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const controller = await startSluiceController(ns(), [
      ...['--no-pipelines', '--no-dora', '--no-image-automation', '--no-policies'],
      ...['--listen', `127.0.0.1:${port}`],
    ]);
    const certURL = `http://127.0.0.1:${port}/v1/cert.pem`;
    const cert = await eventually(
      'the controller serves its certificate',
      async () => {
        const r = await fetch(certURL).catch(() => undefined);
        const text = r?.ok ? await r.text() : '';
        return text.includes('BEGIN CERTIFICATE') ? text : undefined;
      },
      120_000,
    );
    expect(cert).toMatch(/^-----BEGIN CERTIFICATE-----\n/);

    const secretFile = join(dir, 'secret.yaml');
    await writeFile(
      secretFile,
      `apiVersion: v1
kind: Secret
metadata: {name: db, namespace: ${ns()}}
stringData: {password: ${PLAIN}}
`,
    );
    const sealed = await execFile(
      process.execPath,
      ['bin/sluice.js', 'seal', '--cert', certURL, '-f', secretFile, '-o', 'yaml'],
      { timeoutMs: 60_000 },
    );
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).not.toContain(PLAIN);
    const ss = parse(sealed.stdout) as SealedSecret;
    await k.create(ss);
    const secret = await eventually('the Secret unsealed', async () => {
      const s = await k.get<Secret>('v1', 'Secret', ns(), 'db');
      return s?.data?.['password'] ? s : undefined;
    });
    expect(Buffer.from(secret.data?.['password'] ?? '', 'base64').toString()).toBe(PLAIN);
    expect(secret.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'SealedSecret',
      name: 'db',
    });
    const status = await k.get<SealedSecret>(ss.apiVersion, 'SealedSecret', ns(), 'db');
    expect(JSON.stringify(status)).not.toContain(PLAIN);
    expect(controller.log()).not.toContain(PLAIN);
  }, 240_000);
});
