/**
 * ssh host keys: trusted only when given (a repository Secret's `known_hosts`, else the
 * controller's ConfigMap `sluice-ssh-known-hosts`, key `ssh_known_hosts`); never trusted on
 * first use. When a host is unknown or its key changed, the error prints the key fingerprints
 * the server offers now (`ssh-keyscan` of the same host and port, then `ssh-keygen -l`), so
 * the person fixing it can compare them with what the server's administrator publishes.
 */
import { execFile } from '../util/exec.ts';
import type { ParsedRepoURL } from './url.ts';

/** The ConfigMap (in the controller's namespace) that holds trusted ssh host keys. */
export const KNOWN_HOSTS_CONFIGMAP = 'sluice-ssh-known-hosts';
/** Its data key, in `known_hosts` format (Argo CD's `argocd-ssh-known-hosts-cm` uses the same). */
export const KNOWN_HOSTS_KEY = 'ssh_known_hosts';

/** A key the server offers: `ED25519 SHA256:...`. */
export interface HostKeyFingerprint {
  type: string;
  fingerprint: string;
}

/** How ssh addresses the host in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(repo: ParsedRepoURL): string {
  const h = repo.host.replace(/^\[(.*)\]$/, '$1');
  return repo.port === undefined || repo.port === '22' ? h : `[${h}]:${repo.port}`;
}

/** Parses `ssh-keygen -lf -` output: `256 SHA256:abc [h]:2222 (ED25519)` per line. */
export function parseFingerprints(out: string): HostKeyFingerprint[] {
  const seen = new Set<string>();
  const keys: HostKeyFingerprint[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+\s+(\S+)\s+.*\(([A-Z0-9-]+)\)\s*$/.exec(line.trim());
    if (!m || seen.has(m[1] ?? '')) continue;
    seen.add(m[1] ?? '');
    keys.push({ type: m[2] ?? '', fingerprint: m[1] ?? '' });
  }
  return keys;
}

/**
 * The host keys `repo`'s server offers now, with their `known_hosts` lines; empty when it cannot
 * be reached or the tools are missing (the caller's error then says so).
 */
export async function scanHostKeys(
  repo: ParsedRepoURL,
  timeoutMs = 10_000,
): Promise<{ keys: HostKeyFingerprint[]; lines: string }> {
  const port = repo.port ?? '22';
  const host = repo.host.replace(/^\[(.*)\]$/, '$1');
  try {
    const scan = await execFile(
      'ssh-keyscan',
      ['-T', String(Math.ceil(timeoutMs / 1000)), '-p', port, '--', host],
      { timeoutMs },
    );
    const lines = scan.stdout
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .join('\n');
    if (lines === '') return { keys: [], lines: '' };
    const fp = await execFile('ssh-keygen', ['-l', '-f', '-'], { input: `${lines}\n`, timeoutMs });
    return { keys: parseFingerprints(fp.stdout), lines };
  } catch {
    return { keys: [], lines: '' };
  }
}
