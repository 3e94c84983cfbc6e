import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/log.ts';
import { ListenError, startServer, type RunningServer } from './server.ts';
import type { PushEvent } from './webhook.ts';

// The routes of the controller's HTTP server, on a loopback port; pushes go to a recorder.
const SECRET = 'gh-secret';
const push = JSON.stringify({
  ref: 'refs/heads/main',
  repository: { clone_url: 'https://github.com/org/deploy.git', default_branch: 'main' },
});
const signed = (body: string, secret = SECRET): Record<string, string> => ({
  'x-github-event': 'push',
  'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
});

let server: RunningServer;
const pushes: PushEvent[] = [];

beforeAll(async () => {
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    metrics: () => Promise.resolve('sluice_up 1\n'),
    webhookSecrets: { github: SECRET },
    onPush: (event) => {
      pushes.push(event);
      return Promise.resolve(['sluice-system/guestbook']);
    },
    onResync: () => 3,
    api: {
      '/api/echo': (q) =>
        Promise.resolve({ status: q.get('bad') ? 400 : 200, body: { env: q.get('env') } }),
    },
    log: silentLogger,
    maxBodyBytes: 1024,
  });
});
afterAll(() => server.close());

describe('server routes', () => {
  it.each([
    { name: 'GET /healthz → 200 ok', method: 'GET', path: '/healthz', status: 200, body: 'ok' },
    {
      name: 'GET /metrics → the metrics text',
      method: 'GET',
      path: '/metrics?x=1',
      status: 200,
      body: 'sluice_up 1\n',
    },
    {
      name: 'POST /api/resync → how many apps were queued',
      method: 'POST',
      path: '/api/resync',
      status: 200,
      body: '{"queued":3}',
    },
    {
      name: 'GET /api/webhook → 405, use POST',
      method: 'GET',
      path: '/api/webhook',
      status: 405,
      body: '{"error":"use POST"}',
    },
    {
      name: 'GET on an API route → its JSON answer, from the query',
      method: 'GET',
      path: '/api/echo?env=prod',
      status: 200,
      body: '{"env":"prod"}',
    },
    {
      name: 'an API route answers with its own status',
      method: 'GET',
      path: '/api/echo?bad=1',
      status: 400,
      body: '{"env":null}',
    },
    {
      name: 'API routes are GET only',
      method: 'POST',
      path: '/api/echo',
      status: 404,
      body: '{"error":"no route for POST /api/echo"}',
    },
    {
      name: 'unknown route → 404 naming it',
      method: 'DELETE',
      path: '/api/apps',
      status: 404,
      body: '{"error":"no route for DELETE /api/apps"}',
    },
  ])('$name', async ({ method, path, status, body }) => {
    const res = await fetch(`${server.url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(body);
  });

  it('refreshes what a signed push touches', async () => {
    const res = await fetch(`${server.url}/api/webhook`, {
      method: 'POST',
      body: push,
      headers: signed(push),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ refreshed: ['sluice-system/guestbook'] });
    expect(pushes.at(-1)?.ref).toBe('refs/heads/main');
  });

  it.each([
    { name: 'wrong signature → 401', body: push, headers: signed(push, 'wrong'), status: 401 },
  ])('refuses a push: $name, and refreshes nothing', async ({ body, headers, status }) => {
    const before = pushes.length;
    const res = await fetch(`${server.url}/api/webhook`, { method: 'POST', body, headers });
    expect(res.status).toBe(status);
    expect(pushes.length).toBe(before);
  });

  it('answers 413 to a body over the limit, and refreshes nothing', async () => {
    const before = pushes.length;
    const body = JSON.stringify({ ...JSON.parse(push), padding: 'x'.repeat(5000) });
    const res = await fetch(`${server.url}/api/webhook`, {
      method: 'POST',
      body,
      headers: signed(body),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'body too large' });
    expect(pushes.length).toBe(before);
  });
});

describe('startServer on an address it cannot use', () => {
  it('rejects with a ListenError naming the address and how to choose another', async () => {
    const port = Number(new URL(server.url).port);
    const err: unknown = await startServer({ host: '127.0.0.1', port, log: silentLogger }).then(
      (s) => s.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ListenError);
    expect(err).toMatchObject({ code: 'ListenFailed', errno: 'EADDRINUSE' });
    expect((err as ListenError).describe()).toContain(`cannot listen on 127.0.0.1:${port}`);
    expect((err as ListenError).describe()).toContain('--listen 127.0.0.1:9090');
  });
});
