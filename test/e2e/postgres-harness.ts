/**
 * A throwaway PostgreSQL (Debian's, /usr/lib/postgresql/<version>/bin) for tests: `initdb` into
 * a temp dir, the server started on 127.0.0.1 and a free port (its socket in that dir, trust
 * auth for the superuser `sluice`), one database created. The server is a child of this
 * process (not daemonised by pg_ctl), so `stop()` stops it for sure and removes the dir; one
 * still running when the process exits is killed and its dir removed too.
 *
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user
 * the Debian package creates; as anyone else, as that user.
 *
 * @example
 * const pg = await startPostgres();   // pg.url = postgres://sluice@127.0.0.1:<port>/sluice
 * ...
 * await pg.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { execFile } from '../../src/util/exec.ts';

export interface RunningPostgres {
  /** postgres://sluice@127.0.0.1:<port>/<database> */
  url: string;
  port: number;
  /** The server (postmaster) process, a child of this one. */
  pid: number;
  /** Creates another (empty) database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The directory of initdb and pg_ctl: $SLUICE_PG_BIN, or the newest Debian version. */
export function postgresBin(): string | undefined {
  const fromEnv = process.env['SLUICE_PG_BIN'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Who runs the server: the `postgres` user when we are root (it refuses root), else us. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [u, g] = await Promise.all([
    execFile('id', ['-u', 'postgres']),
    execFile('id', ['-g', 'postgres']),
  ]);
  if (u.code !== 0) throw new Error('no user postgres: apt-get install -y postgresql');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function run(
  cmd: string,
  args: readonly string[],
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${out}`)),
    );
  });
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((r) => child.once('exit', () => r(true))),
    sleep(ms).then(() => false),
  ]);
}

/** Waits until the server accepts connections (or has exited). */
async function ready(child: ChildProcess, url: string, logPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      return;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw err;
    }
    await sleep(100);
  }
}

export async function startPostgres(options: { database?: string } = {}): Promise<RunningPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql');
  const user = await serverUser();
  const database = options.database ?? 'sluice';
  const dir = await mkdtemp(join(tmpdir(), 'sluice-postgres-'));
  const data = join(dir, 'data');
  const logPath = join(dir, 'server.log');
  let child: ChildProcess | undefined;
  const kill = (): void => {
    // At exit nothing can be awaited: stop at once (SIGQUIT), then remove the dir until it is
    // gone (the server may still write a file or two while it dies).
    child?.kill('SIGQUIT');
    for (let i = 0; i < 30 && existsSync(dir); i++) {
      rmSync(dir, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  };
  live.add(kill);
  const stop = async (): Promise<void> => {
    live.delete(kill);
    // SIGINT: "fast" shutdown (sessions ended, then a clean stop).
    if (child && !(child.kill('SIGINT') && (await exited(child, 30_000)))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (user) await chown(dir, user.uid, user.gid);
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'sluice', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
      user,
    );
    const port = await freePort();
    const log = openSync(logPath, 'a');
    child = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
      { stdio: ['ignore', log, log], ...user },
    );
    closeSync(log);
    const base = `postgres://sluice@127.0.0.1:${port}`;
    await ready(child, `${base}/postgres`, logPath);
    const createDatabase = async (name: string): Promise<string> => {
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    };
    const url = await createDatabase(database);
    return { url, port, pid: child.pid ?? 0, createDatabase, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
