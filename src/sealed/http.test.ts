import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedSecretsHandler } from './http.ts';
import type { SealingKey } from './keys.ts';
import { sealSecret } from './seal.ts';
import { testKey } from './testkeys.ts';
import { openAll } from './unseal.ts';

let keys: SealingKey[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  const handler = sealedSecretsHandler({ keys: () => keys });
  server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop' },
  stringData: { pw: 'hunter2' },
};

describe('sealed secrets HTTP routes', () => {
  it('answers 503 for the certificate until there is a key, then the newest certificate', async () => {
    keys = [];
    expect((await fetch(`${base}/v1/cert.pem`)).status).toBe(503);
    const a = await testKey('a');
    const b = await testKey('b');
    keys = [b, a];
    const res = await fetch(`${base}/v1/cert.pem`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-pem-file');
    expect(await res.text()).toBe(b.certificatePem);
  });

  it('verifies: 200 when every blob opens, 409 with the reason and no plaintext when not', async () => {
    const a = await testKey('a');
    const other = await testKey('other');
    keys = [a];
    const good = sealSecret(secret, { certificate: a, apiVersion: 'bitnami.com/v1alpha1' });
    const ok = await fetch(`${base}/v1/verify`, { method: 'POST', body: JSON.stringify(good) });
    expect(ok.status).toBe(200);
    const bad = sealSecret(secret, { certificate: other });
    const no = await fetch(`${base}/v1/verify`, { method: 'POST', body: JSON.stringify(bad) });
    expect(no.status).toBe(409);
    const text = await no.text();
    expect(text).toContain('SealedSecret/shop/db: encryptedData.pw');
    expect(text).not.toContain('hunter2');
  });

  it('rotates: the answer opens with the newest key only', async () => {
    const a = await testKey('a');
    const b = await testKey('b');
    keys = [b, a];
    const old = sealSecret(secret, { certificate: a });
    const res = await fetch(`${base}/v1/rotate`, { method: 'POST', body: JSON.stringify(old) });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as typeof old;
    expect(openAll(rotated, [b]).get('pw')?.toString()).toBe('hunter2');
    expect(() => openAll(rotated, [a])).toThrow();
  });

  it('refuses a body that is not a SealedSecret (400) and leaves other paths alone', async () => {
    const r = await fetch(`${base}/v1/verify`, { method: 'POST', body: '{"kind":"Secret"}' });
    expect(r.status).toBe(400);
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });
});
