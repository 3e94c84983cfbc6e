/**
 * The scan gate's allowlist: vulnerability ids accepted until a date. Every entry must expire —
 * an accepted risk is reviewed again, never forgotten. From its expiry date on (00:00 UTC) an
 * entry stops allowing anything and the gate reports it as expired.
 *
 * Two formats are read, told apart by content:
 * ```yaml
 * # YAML: one entry per accepted vulnerability
 * allow:
 *   - id: CVE-2023-4911
 *     expires: 2027-01-31
 *     package: libc6        # optional: only this package
 *     reason: no setuid binaries in the image
 * ```
 * ```text
 * # Trivy's .trivyignore, each line with its `exp:` date
 * CVE-2023-4911 exp:2027-01-31
 * ```
 * An entry matches a finding by id or by one of its aliases (a GHSA's CVE), case-insensitively.
 */
import { parse } from 'yaml';
import { ScanError, type Finding } from './findings.ts';

export interface AllowEntry {
  id: string;
  /** Start of the expiry day, UTC. */
  expires: Date;
  /** As written (`2027-01-31`), for messages. */
  expiresText: string;
  package?: string;
  reason?: string;
  /** Where it was written: `entry 3` or `line 7`. */
  where: string;
}

const ID = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function expiry(text: string, file: string, where: string): Date {
  const date = DATE.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw new ScanError(
      'AllowlistInvalid',
      `allowlist ${file}, ${where}: expiry ${JSON.stringify(text)} is not a date (YYYY-MM-DD)`,
      { hint: 'write the day the acceptance ends, e.g. expires: 2027-01-31' },
    );
  }
  return date;
}

function checkId(id: string, file: string, where: string): string {
  if (!ID.test(id)) {
    throw new ScanError(
      'AllowlistInvalid',
      `allowlist ${file}, ${where}: ${JSON.stringify(id)} is not a vulnerability id`,
      { hint: 'ids look like CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx' },
    );
  }
  return id;
}

const noExpiry = (file: string, where: string, id: string): ScanError =>
  new ScanError('AllowlistInvalid', `allowlist ${file}, ${where}: ${id} has no expiry date`, {
    hint: 'every accepted vulnerability must expire: add `expires: YYYY-MM-DD` (YAML) or `exp:YYYY-MM-DD` (.trivyignore)',
  });

/** A YAML scalar as text; anything else as JSON (so messages show what was written). */
const scalar = (x: unknown): string =>
  typeof x === 'string' || typeof x === 'number' ? String(x) : JSON.stringify(x ?? '');

function fromYaml(doc: { allow?: unknown }, file: string): AllowEntry[] {
  if (!Array.isArray(doc.allow)) {
    throw new ScanError('AllowlistInvalid', `allowlist ${file}: "allow" must be a list`, {
      hint: 'allow: [{id: CVE-2024-1234, expires: 2027-01-31, reason: ...}]',
    });
  }
  return doc.allow.map((raw: unknown, i): AllowEntry => {
    const where = `entry ${i + 1}`;
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const id = checkId(scalar(e['id']), file, where);
    if (e['expires'] === undefined || e['expires'] === null) throw noExpiry(file, where, id);
    const expiresText = scalar(e['expires']);
    return {
      id,
      expires: expiry(expiresText, file, where),
      expiresText,
      where,
      ...(typeof e['package'] === 'string' ? { package: e['package'] } : {}),
      ...(typeof e['reason'] === 'string' ? { reason: e['reason'] } : {}),
    };
  });
}

function fromTrivyIgnore(text: string, file: string): AllowEntry[] {
  const out: AllowEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    const [first, ...rest] = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (first === undefined || first === '') return;
    const id = checkId(first, file, where);
    const exp = rest.find((w) => w.startsWith('exp:'));
    if (exp === undefined) throw noExpiry(file, where, id);
    const expiresText = exp.slice('exp:'.length);
    out.push({ id, expires: expiry(expiresText, file, where), expiresText, where });
  });
  return out;
}

/** Parses an allowlist in either format (pure); `file` names it in errors. */
export function parseAllowlist(text: string, file: string): AllowEntry[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    // Not YAML: a .trivyignore, read line by line — unless it meant to be the YAML format.
    if (/^allow\s*:/m.test(text)) {
      throw new ScanError('AllowlistInvalid', `allowlist ${file} is not valid YAML`, {
        cause,
        hint: `${cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : ''} (quote values that hold ": ")`,
      });
    }
    doc = undefined;
  }
  if (typeof doc === 'object' && doc !== null && 'allow' in doc) {
    return fromYaml(doc, file);
  }
  return fromTrivyIgnore(text, file);
}

export const isExpired = (e: AllowEntry, now: Date): boolean =>
  now.getTime() >= e.expires.getTime();

/** True when the entry names this finding (by id or alias, and package if it says one). */
export function entryMatches(e: AllowEntry, f: Finding): boolean {
  const id = e.id.toUpperCase();
  const named = f.id.toUpperCase() === id || f.aliases.some((a) => a.toUpperCase() === id);
  return named && (e.package === undefined || e.package === f.package);
}
