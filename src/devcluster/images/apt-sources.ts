/**
 * Which Debian mirror and suite this machine uses, read from its own apt configuration, so the
 * Debian images come from the same place as the host's packages (Sluice names no mirror itself).
 *
 * Both formats are read: one-line `.list` files (`deb [opts] URI suite components...`) and
 * deb822 `.sources` files (`Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled:`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevClusterError } from '../errors.ts';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
}

/** Entries of a one-line sources.list file. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    // Options in brackets come right after the type: `deb [arch=amd64 signed-by=/k.gpg] URI ...`.
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      types: [m[1] ?? 'deb'],
      uris: [m[2] ?? ''],
      suites: [m[3] ?? ''],
      components: (m[4] ?? '').trim().split(/\s+/).filter(Boolean),
      enabled: true,
    });
  }
  return out;
}

/** Entries of a deb822 `.sources` file (stanzas separated by blank lines). */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  let fields = new Map<string, string>();
  let last: string | undefined;
  const flush = (): void => {
    if (fields.size > 0) out.push(stanza(fields));
    fields = new Map();
    last = undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (/^\s/.test(line)) {
      // A continuation line (e.g. an inline Signed-By key) belongs to the previous field.
      if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  flush();
  return out;
}

function stanza(fields: Map<string, string>): AptSource {
  const list = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
  return {
    types: list('types'),
    uris: list('uris'),
    suites: list('suites'),
    components: list('components'),
    enabled: !/^(no|false|0)$/i.test(fields.get('enabled') ?? 'yes'),
  };
}

/** The first enabled `deb` source that serves `suite` itself (not `-updates`/`-security`). */
export function mirrorFor(sources: readonly AptSource[], suite: string): string | undefined {
  const s = sources.find(
    (e) => e.enabled && e.types.includes('deb') && e.suites.includes(suite) && e.uris.length > 0,
  );
  return s?.uris[0];
}

/** `VERSION_CODENAME` from os-release text (`bookworm`), or undefined. */
export function codename(osRelease: string): string | undefined {
  const m = /^VERSION_CODENAME="?([a-z]+)"?\s*$/m.exec(osRelease);
  return m?.[1];
}

/** Every apt source configured on this machine, in apt's order. */
export async function hostAptSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const main = await readFile(join(etcApt, 'sources.list'), 'utf8').catch(() => '');
  sources.push(...parseOneLineSources(main));
  const dir = join(etcApt, 'sources.list.d');
  const files = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const f of files) {
    if (f.endsWith('.list'))
      sources.push(...parseOneLineSources(await readFile(join(dir, f), 'utf8')));
    if (f.endsWith('.sources'))
      sources.push(...parseDeb822Sources(await readFile(join(dir, f), 'utf8')));
  }
  return sources;
}

/** The mirror apt uses for `suite` on this machine, or a clear error. */
export async function hostMirror(suite: string): Promise<string> {
  const mirror = mirrorFor(await hostAptSources(), suite);
  if (mirror === undefined) {
    throw new DevClusterError(
      'BuildFailed',
      `no apt source for Debian "${suite}" is configured on this machine`,
      {
        hint: `add a \`deb <mirror> ${suite} main\` line to /etc/apt/sources.list (the Debian image is bootstrapped from it)`,
      },
    );
  }
  return mirror;
}
