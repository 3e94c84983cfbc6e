import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { execFile } from '../util/exec.ts';
import { render } from './index.ts';
import {
  DEFAULT_RENDER_LIMITS,
  type LimitName,
  RenderBudget,
  RenderLimitError,
  type RenderLimits,
  resolveLimits,
} from './limits.ts';
import { CyclicAliasError, measureDocument } from './measure.ts';
import { parseJson, parseYaml } from './parse.ts';

const MiB = 1024 * 1024;
const cm = (name: string, data = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${data}`;

/** `k00: &big <size>`, then `k01..kNN: *big`: the file that crashed the controller. */
function aliasedFile(size: number, aliases: number): string {
  let text = cm('bomb', `data:\n  k00: &big ${'x'.repeat(size)}\n`);
  for (let i = 1; i <= aliases; i++) text += `  k${String(i).padStart(2, '0')}: *big\n`;
  return text;
}

/** A ConfigMap holding a "billion laughs" (10^5 here): 10 + 110 + 1110 + 11110 expansions. */
const laughs = cm(
  'laughs',
  [
    'data:',
    '  a: &a [x, x, x, x, x, x, x, x, x, x]',
    '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    '  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n',
  ].join('\n'),
);

describe('measureDocument', () => {
  const exact: Array<[string, string, number]> = [
    ['no aliases', 'a: 1\nb: [x, "y z", null, true]\nc: {d: é}\n', 0],
    ['a scalar anchor aliased twice', 'a: &x hello\nb: *x\nc: *x\n', 2],
    ['a mapping aliased in a sequence', 'a: &m {k: v, n: 2}\nb: [*m, *m, *m]\n', 3],
    // 2 in b, then each *b is itself and the 2 inside it.
    ['nested aliases count once per expansion', 'a: &a [1]\nb: &b [*a, *a]\nc: [*b, *b]\n', 8],
    ['an empty document', '', 0],
  ];
  it.each(exact)('%s: bytes equal the expanded JSON', (_name, text, aliases) => {
    const doc = parseDocument(text);
    const json = JSON.stringify(doc.toJS() ?? null);
    expect(measureDocument(doc)).toEqual({ bytes: Buffer.byteLength(json), aliases });
  });

  it('measures the 98-alias file at ~99 MiB without expanding it', () => {
    const m = measureDocument(parseDocument(aliasedFile(MiB, 98)));
    expect(m.aliases).toBe(98);
    expect(m.bytes / MiB).toBeCloseTo(99, 0);
  });

  it('counts a billion-laughs document by its expansions', () => {
    expect(measureDocument(parseDocument(laughs)).aliases).toBe(12_340);
  });

  it('refuses an alias to the node it sits in', () => {
    expect(() => measureDocument(parseDocument('a: &a [1, *a]\n'))).toThrow(CyclicAliasError);
  });
});

interface LimitCase {
  name: string;
  text: string;
  limits?: Partial<RenderLimits>;
  json?: boolean;
  /** The limit hit, or undefined when the text passes. */
  hit?: LimitName;
  /** Words the message must contain. */
  says?: string[];
}

const cases: LimitCase[] = [
  {
    name: 'the 98-alias file',
    text: aliasedFile(MiB, 98),
    hit: 'maxBytes',
    says: ['apps/bomb/cm.yaml document 1', 'with its YAML aliases expanded', 'maxBytes'],
  },
  {
    name: 'the 98-alias file, under a raised maxBytes',
    text: aliasedFile(MiB, 98),
    limits: { maxBytes: 128 * MiB },
  },
  { name: 'billion laughs', text: laughs, hit: 'maxAliases', says: ['12340 YAML aliases'] },
  { name: 'billion laughs, aliases raised', text: laughs, limits: { maxAliases: 20_000 } },
  {
    name: 'a text larger than maxBytes',
    text: cm('a', `data: {k: ${'x'.repeat(2000)}}\n`),
    limits: { maxBytes: 1000 },
    hit: 'maxBytes',
    says: ['apps/bomb/cm.yaml is 2 KiB', 'over the limit of 1000 bytes'],
  },
  {
    name: 'one object too many',
    text: [cm('a'), cm('b'), cm('c')].join('---\n'),
    limits: { maxObjects: 2 },
    hit: 'maxObjects',
    says: ['document 3', '2 objects'],
  },
  {
    name: 'List items count one each',
    text: 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n',
    limits: { maxObjects: 1 },
    hit: 'maxObjects',
    says: ['item 2'],
  },
  { name: 'exactly at the object limit', text: cm('a'), limits: { maxObjects: 1 } },
  {
    name: 'JSON larger than maxBytes',
    text: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }),
    json: true,
    limits: { maxBytes: 20 },
    hit: 'maxBytes',
  },
];

describe('limits of one render', () => {
  it.each(cases)('$name', ({ text, limits, json, hit, says }) => {
    const budget = new RenderBudget({ ...DEFAULT_RENDER_LIMITS, ...limits }, 'bomb');
    const opts = { origin: 'apps/bomb/cm.yaml', file: 'apps/bomb/cm.yaml', budget };
    const run = () => (json ? parseJson(text, opts) : parseYaml(text, opts));
    if (hit === undefined) {
      expect(run().length).toBeGreaterThan(0);
      return;
    }
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RenderLimitError);
    const e = err as RenderLimitError;
    expect(e.code).toBe('RenderLimitExceeded');
    expect(e.limit).toBe(hit);
    expect(e.file).toBe('apps/bomb/cm.yaml');
    for (const word of says ?? []) expect(e.message).toContain(word);
    expect(e.hint).toContain(`spec.source.limits.${hit}`);
    expect(e.hint).toContain('sluice app patch bomb --type merge');
  });

  it('adds up across files: the file that goes over is named', () => {
    const budget = new RenderBudget({ ...DEFAULT_RENDER_LIMITS, maxBytes: 100 }, 'web');
    parseYaml(cm('a'), { origin: 'a.yaml', file: 'a.yaml', budget });
    expect(() => parseYaml(cm('b'), { origin: 'b.yaml', file: 'b.yaml', budget })).toThrow(
      /^b\.yaml document 1 is \d+ bytes, \d+ bytes in all: over the limit of 100 bytes/,
    );
  });

  it('takes spec.source.limits over the defaults', () => {
    expect(resolveLimits({})).toEqual(DEFAULT_RENDER_LIMITS);
    expect(resolveLimits({ limits: { maxObjects: 5 } })).toEqual({
      ...DEFAULT_RENDER_LIMITS,
      maxObjects: 5,
    });
  });
});

describe('limits in a render', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-limits-'));
    await writeFile(join(root, 'a.yaml'), cm('a'));
    await writeFile(join(root, 'big.yaml'), cm('big', `data: {k: ${'x'.repeat(5000)}}\n`));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const req = (limits?: Partial<RenderLimits>) => ({
    root,
    path: '.',
    source: { repoURL: 'file:///x', ...(limits ? { limits } : {}) },
    appName: 'web',
    namespace: 'web',
  });

  it('refuses a file larger than maxBytes before reading it, naming the file', async () => {
    const err = await render(req({ maxBytes: 4096 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderLimitError);
    expect((err as RenderLimitError).file).toBe('big.yaml');
    expect((err as RenderLimitError).message).toMatch(
      /^big\.yaml is 4\.9 KiB: over the limit of 4 KiB per render \(maxBytes\)$/,
    );
  });

  it('renders the same files under the default limits', async () => {
    expect((await render(req())).objects).toHaveLength(2);
  });
});

describe('execFile maxOutputBytes', () => {
  it('kills a program whose output passes the limit', async () => {
    const r = await execFile(
      process.execPath,
      ['-e', 'for (;;) require("node:fs").writeSync(1, "x".repeat(65536))'],
      { maxOutputBytes: 1_000_000, timeoutMs: 20_000 },
    );
    expect(r.overflowed).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.length).toBeLessThanOrEqual(1_000_000);
  });
});
