/**
 * Test helper: a private OpenSSH server on a loopback port (temp host key, one authorized key,
 * no PAM, no passwords) that serves git over ssh as the current user, and ssh-keygen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execFile } from '../../util/exec.ts';

export const SSHD = '/usr/sbin/sshd';

/** True when sshd and ssh-keygen are installed (Debian package openssh-server). */
export async function hasSshd(): Promise<boolean> {
  try {
    await access(SSHD, constants.X_OK);
    return (await execFile('ssh-keygen', ['-?'], { timeoutMs: 5_000 })).code !== null;
  } catch {
    return false;
  }
}

/** Generates an ed25519 key pair at `path` (and `path.pub`). */
export async function sshKeygen(path: string): Promise<{ privateKey: string; publicKey: string }> {
  const r = await execFile('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'sluice-test',
    '-f',
    path,
  ]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return {
    privateKey: await readFile(path, 'utf8'),
    publicKey: await readFile(`${path}.pub`, 'utf8'),
  };
}

/** A free TCP port on 127.0.0.1 (free when asked; taken by nobody we know of). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface Sshd {
  port: number;
  /** The user git logs in as. */
  user: string;
  stop(): Promise<void>;
}

/**
 * Starts sshd on `port` with the host key `hostKey` (a private key file), accepting
 * `authorizedKey` for the current user. Resolves once it listens.
 */
export async function startSshd(opts: {
  dir: string;
  port: number;
  hostKey: string;
  authorizedKey: string;
  /** The address it binds (default 127.0.0.1), e.g. the host end of the dev cluster's node link. */
  listenAddress?: string;
}): Promise<Sshd> {
  const user = userInfo().username;
  const authorized = join(opts.dir, 'authorized_keys');
  await writeFile(authorized, opts.authorizedKey, { mode: 0o600 });
  const config = join(opts.dir, `sshd_config.${opts.port}`);
  await writeFile(
    config,
    [
      `Port ${opts.port}`,
      `ListenAddress ${opts.listenAddress ?? '127.0.0.1'}`,
      `HostKey ${opts.hostKey}`,
      `PidFile ${join(opts.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      `AllowUsers ${user}`,
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  // The privilege separation directory that the Debian service would create.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitListening(child);
  return {
    port: opts.port,
    user,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

function waitListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not start listening:\n${log}`));
    }, 10_000);
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('Server listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log}`));
    });
  });
}
