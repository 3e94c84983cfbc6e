/**
 * Bare Git repositories on this machine, served to the dev cluster's real node: `git
 * http-backend` behind Basic auth on 127.0.0.1 (src/source/git-http-server.ts), fronted by a TCP
 * relay on the host end of the real node's link, where pods on that node (and the node's own
 * network, for `hostNetwork` pods) reach it. Nothing listens on another address.
 *
 * @example
 * const git = await serveReposToNode(dir, { username: 'ci', password }, state.realNode.network.hostIp);
 * // pods clone `${git.base}/source.git`
 * await git.close();
 */
import { connect, createServer, type Socket } from 'node:net';
import { startGitHttpServer } from '../source/git-http-server.ts';

export interface NodeGitServer {
  /** `http://<hostIp>:<port>`: `${base}/<repo>.git` as pods on the real node reach it. */
  base: string;
  close(): Promise<void>;
}

export async function serveReposToNode(
  projectRoot: string,
  auth: { username: string; password: string; bearerToken?: string },
  hostIp: string,
): Promise<NodeGitServer> {
  const http = await startGitHttpServer({
    projectRoot,
    bearerToken: auth.bearerToken ?? `unused-${auth.password}`,
    username: auth.username,
    password: auth.password,
  });
  const target = new URL(http.baseURL);
  const open = new Set<Socket>();
  const relay = createServer((c) => {
    const up = connect(Number(target.port), target.hostname);
    open.add(c).add(up);
    c.on('close', () => open.delete(c));
    up.on('close', () => open.delete(up));
    c.pipe(up).pipe(c);
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
  });
  try {
    await new Promise<void>((done, fail) => {
      relay.once('error', fail);
      relay.listen(0, hostIp, done);
    });
  } catch (err) {
    await http.close();
    throw err;
  }
  const address = relay.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    base: `http://${hostIp}:${port}`,
    close: async () => {
      const closed = new Promise<void>((done) => relay.close(() => done()));
      for (const s of open) s.destroy();
      await closed;
      await http.close();
    },
  };
}
