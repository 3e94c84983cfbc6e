/**
 * A real HTTP receiver on 127.0.0.1 for tests of notifications (a webhook, a Slack incoming
 * webhook, a fake GitHub or GitLab API): it records every request and answers from a script —
 * a status per request in order (the last one repeats), or `hang` (never answers until closed).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Answer = number | 'hang';

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: Received[];
  /** Requests whose answer is still being held (hang). */
  readonly held: number;
  /** Parsed JSON bodies. */
  json(): unknown[];
  close(): Promise<void>;
}

export async function startReceiver(script: readonly Answer[] = [200]): Promise<Receiver> {
  const requests: Received[] = [];
  let held = 0;
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      });
      const answer = script[Math.min(n++, script.length - 1)] ?? 200;
      if (answer === 'hang') {
        held++;
        res.on('close', () => held--);
        return;
      }
      res.writeHead(answer, { 'Content-Type': 'application/json' });
      res.end(answer < 300 ? '{"ok":true}' : `{"error":"scripted ${answer}"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get held() {
      return held;
    },
    json: () => requests.map((r) => JSON.parse(r.body) as unknown),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
