/**
 * A forge's pull-request API on 127.0.0.1 for tests of promotion by pull request: the parts of
 * GitHub's REST API Sluice calls (`POST /repos/{owner}/{repo}/pulls`, `GET …/pulls?head=`),
 * backed by a real Git repository — a pull request is refused (422) unless its head branch
 * really exists there, as GitHub does, and a second one for the same head is refused too.
 * `merge(number)` merges it in that repository the way the forge's button does (a merge commit
 * on the base branch), so what the test checks afterwards is what Git holds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from '../../../util/exec.ts';

export interface ForgePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
}

export interface Forge {
  /** The API root to put in `git.pullRequest.github.baseURL`. */
  url: string;
  pulls: ForgePull[];
  /** Requests answered 401 (a wrong token). */
  unauthorized: number;
  merge(number: number): Promise<string>;
  close(): Promise<void>;
}

async function git(dir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const r = await execFile(
    'git',
    ['-c', 'user.name=Reviewer', '-c', 'user.email=reviewer@example.com', ...args],
    { cwd: dir },
  );
  return { code: r.code ?? 1, out: `${r.stdout}${r.stderr}`.trim() };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The request's JSON body, its string fields only. */
async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let o: unknown;
  try {
    o = JSON.parse(Buffer.concat(chunks).toString());
  } catch {
    return {};
  }
  if (typeof o !== 'object' || o === null) return {};
  return Object.fromEntries(
    Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** A forge for `owner/repo` whose Git repository is `dir`, accepting `token`. */
export async function startForge(o: { dir: string; repo: string; token: string }): Promise<Forge> {
  const pulls: ForgePull[] = [];
  const forge = { unauthorized: 0 };
  const base = `/repos/${o.repo}/pulls`;
  const view = (p: ForgePull) => ({
    number: p.number,
    html_url: `https://forge.test/${o.repo}/pull/${p.number}`,
    state: p.state,
    head: { ref: p.head },
    base: { ref: p.base },
    title: p.title,
  });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://forge');
      if (req.headers.authorization !== `Bearer ${o.token}`) {
        forge.unauthorized++;
        return reply(res, 401, { message: 'Bad credentials' });
      }
      if (url.pathname !== base) return reply(res, 404, { message: 'Not Found' });
      if (req.method === 'GET') {
        const head = url.searchParams.get('head')?.split(':')[1];
        const open = pulls.filter((p) => p.state === 'open' && (!head || p.head === head));
        return reply(res, 200, open.map(view));
      }
      const b = await readBody(req);
      const [head, baseRef] = [b['head'] ?? '', b['base'] ?? ''];
      const exists = await git(o.dir, 'rev-parse', '--verify', '-q', `refs/heads/${head}`);
      if (exists.code !== 0)
        return reply(res, 422, { message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] }); // prettier-ignore
      if (pulls.some((p) => p.state === 'open' && p.head === head))
        return reply(res, 422, { message: 'Validation Failed', errors: [{ code: 'custom', message: `A pull request already exists for ${head}.` }] }); // prettier-ignore
      const pull: ForgePull = {
        number: pulls.length + 1,
        head,
        base: baseRef,
        title: b['title'] ?? '',
        body: b['body'] ?? '',
        state: 'open',
        merged: false,
      };
      pulls.push(pull);
      reply(res, 201, view(pull));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pulls,
    get unauthorized() {
      return forge.unauthorized;
    },
    async merge(number) {
      const p = pulls.find((x) => x.number === number);
      if (!p || p.state !== 'open') throw new Error(`no open pull request #${number}`);
      const current = (await git(o.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).out;
      if (current !== p.base) await git(o.dir, 'checkout', '-q', p.base);
      const m = await git(o.dir, 'merge', '--no-ff', '-q', '-m', `Merge pull request #${number}`, p.head); // prettier-ignore
      if (m.code !== 0) throw new Error(`merging #${number}: ${m.out}`);
      Object.assign(p, { state: 'closed', merged: true });
      return (await git(o.dir, 'rev-parse', 'HEAD')).out;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
