/**
 * A streaming reader of tar archives (the layers of an OCI image), enough for an SBOM: entry
 * paths, types, sizes and modes, and each regular file's bytes handed to a sink as they pass —
 * nothing is written to disk and a layer is never held in memory whole.
 *
 * Reads ustar and GNU headers (name + prefix, base-256 sizes), PAX extended headers (`path`,
 * `linkpath`, `size`) and GNU long names (`L`, `K`). Global PAX headers (`g`) are skipped.
 *
 * @example
 * const reader = new TarReader((entry) => entry.type === 'file' ? hashSink(entry) : undefined);
 * for await (const chunk of gunzippedLayer) reader.write(chunk);
 * reader.end();
 */
import { SluiceError } from '../../errors.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Path without a leading `./` or `/`; directories without their trailing `/`. */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  linkname: string;
}

/** Receives a regular file's bytes. */
export interface EntrySink {
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'dir',
  '2': 'symlink',
  '1': 'hardlink',
};

function text(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function octal(buf: Buffer, start: number, length: number): number {
  const first = buf[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, high bit set.
    let n = first & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + (buf[start + i] ?? 0);
    return n;
  }
  const t = text(buf, start, length).trim();
  return t === '' ? 0 : Number.parseInt(t, 8);
}

/** `./usr/bin/` → `usr/bin` (pure). */
export function cleanPath(p: string): string {
  return p.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** PAX records `"<len> key=value\n"...` (pure). */
export function paxRecords(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number.parseInt(body.subarray(at, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = body.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

type State =
  | { kind: 'header' }
  | { kind: 'body'; left: number; pad: number; sink: EntrySink | undefined }
  | { kind: 'meta'; left: number; pad: number; parts: Buffer[]; flag: string };

export class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'header' };
  private pax: Record<string, string> = {};
  private ended = false;
  private readonly onEntry: (entry: TarEntry) => EntrySink | undefined;
  private readonly name: string;

  /** `onEntry` sees every entry; it returns a sink for the files whose bytes it wants. */
  constructor(onEntry: (entry: TarEntry) => EntrySink | undefined, name = 'archive') {
    this.onEntry = onEntry;
    this.name = name;
  }

  write(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let progressed = true;
    while (progressed && !this.ended) progressed = this.step();
  }

  /** Checks the archive did not stop in the middle of an entry. */
  end(): void {
    if (!this.ended && this.state.kind !== 'header') {
      throw new SluiceError('TarTruncated', `${this.name} ends in the middle of an entry`, {
        hint: 'the layer blob may be truncated or not a tar archive',
      });
    }
  }

  /** One step of the state machine; false when it needs more bytes. */
  private step(): boolean {
    const s = this.state;
    if (s.kind === 'header') return this.header();
    const take = Math.min(s.left, this.pending.length);
    if (take > 0) {
      const part = this.pending.subarray(0, take);
      if (s.kind === 'body') s.sink?.data(part);
      else s.parts.push(Buffer.from(part));
      s.left -= take;
      this.pending = this.pending.subarray(take);
    }
    if (s.left > 0) return false;
    if (this.pending.length < s.pad) return false;
    this.pending = this.pending.subarray(s.pad);
    if (s.kind === 'body') s.sink?.end();
    else this.meta(s.flag, Buffer.concat(s.parts));
    this.state = { kind: 'header' };
    return true;
  }

  private header(): boolean {
    if (this.pending.length < BLOCK) return false;
    const h = this.pending.subarray(0, BLOCK);
    this.pending = this.pending.subarray(BLOCK);
    if (h.every((b) => b === 0)) {
      this.ended = true; // the end-of-archive blocks
      return false;
    }
    const flag = String.fromCharCode(h[156] ?? 0);
    const size = this.pax['size'] !== undefined ? Number(this.pax['size']) : octal(h, 124, 12);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      this.state = { kind: 'meta', left: size, pad, parts: [], flag };
      return true;
    }
    const entry = this.entry(h, flag, size);
    this.pax = {};
    const wanted = this.onEntry(entry);
    this.state = {
      kind: 'body',
      left: size,
      pad,
      sink: entry.type === 'file' ? wanted : undefined,
    };
    return true;
  }

  private entry(h: Buffer, flag: string, size: number): TarEntry {
    const magic = text(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? text(h, 345, 155) : '';
    const name = text(h, 0, 100);
    const path = this.pax['path'] ?? (prefix ? `${prefix}/${name}` : name);
    return {
      path: cleanPath(path),
      type: TYPES[flag] ?? 'other',
      size,
      mode: octal(h, 100, 8),
      linkname: this.pax['linkpath'] ?? text(h, 157, 100),
    };
  }

  private meta(flag: string, body: Buffer): void {
    if (flag === 'x') Object.assign(this.pax, paxRecords(body));
    else if (flag === 'L') this.pax['path'] = text(body, 0, body.length);
    else if (flag === 'K') this.pax['linkpath'] = text(body, 0, body.length);
  }
}
